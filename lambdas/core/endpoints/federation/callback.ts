// GET {issuer}/federation/callback: the identity source's answer, checked, redeemed and linked to a local user.
import { BROWSER_COOKIE, readCookie } from '../../cookies.js';
import { hashToken, safeEqual } from '../../crypto.js';
import { AlreadyConsumed, ConditionFailed, OAuthError, accessDenied } from '../../errors.js';
import type { IdentitySourceSettings } from '../../federation/identity-sources.js';
import { linkedUser, localClaimsOf, mappedClaims } from '../../federation/linking.js';
import { UpstreamRefused, verifyUpstreamIdToken } from '../../federation/upstream-id-token.js';
import { completeFromUserInfo } from '../../federation/upstream-userinfo.js';
import type { CoreRequest, CoreResponse } from '../../http.js';
import type { PageContext } from '../../pages/html.js';
import { loginPage } from '../../pages/interaction.js';
import { optional } from '../../params.js';
import { UpstreamUnavailable, type UpstreamMetadata } from '../../ports/upstream.js';
import { nowSeconds, type Workspace } from '../../workspace.js';
import { errorRedirect } from '../authorize/respond.js';
import { asPage, completeLogin, expiredPage, loadInteraction, type Interaction } from '../consent/interaction.js';
import { sourceUnavailablePage } from './start.js';
import { UPSTREAM_LEG, callbackUrl, type UpstreamLeg } from './upstream-leg.js';

/** Upstream errors the user can do nothing about but wait; every other one means the user was not signed in. */
const TRANSIENT_ERRORS = ['temporarily_unavailable', 'server_error'];

/** The leg `state` names, taken once: a replayed callback, or one from another browser, finds nothing. */
async function takeLeg(req: CoreRequest, ws: Workspace): Promise<UpstreamLeg | string> {
  const state = optional(req.query, 'state');
  if (state === undefined || !/^[A-Za-z0-9_-]{16,128}$/.test(state)) return 'no state';
  let leg: UpstreamLeg | undefined;
  try {
    leg = await ws.singleUse.consume<UpstreamLeg>(UPSTREAM_LEG, hashToken(state), nowSeconds(ws));
  } catch (err) {
    if (err instanceof AlreadyConsumed) return 'callback replayed';
    if (err instanceof ConditionFailed) return 'unknown or expired state';
    throw err;
  }
  const browser = readCookie(req, BROWSER_COOKIE);
  if (!leg || !browser || !safeEqual(hashToken(browser), leg.browserHash)) return 'state of another browser';
  return leg;
}

/** RFC 9207: a response naming another issuer, or none where the source promises one, may be a mix-up. */
function checkResponseIssuer(req: CoreRequest, source: IdentitySourceSettings, metadata: UpstreamMetadata): void {
  const iss = optional(req.query, 'iss');
  if (iss === undefined ? metadata.issParameterSupported : iss !== source.issuer)
    throw new UpstreamRefused('authorization response iss is not the source');
}

/**
 * Redeems the upstream code (PKCE, our client authentication) and returns the verified ID token's claims, completed
 * from UserInfo when the source maps claims the ID token lacks.
 */
async function redeem(
  ws: Workspace,
  source: IdentitySourceSettings,
  metadata: UpstreamMetadata,
  leg: UpstreamLeg,
  code: string,
  audit: Readonly<Record<string, string>>,
) {
  const { upstream } = ws.federation;
  const secret = await upstream.clientSecret(source.id);
  const form: Record<string, string> = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: callbackUrl(ws.issuer),
    code_verifier: leg.verifier,
  };
  const headers: Record<string, string> = {};
  if (source.tokenEndpointAuthMethod === 'client_secret_post') {
    form.client_id = source.clientId;
    form.client_secret = secret;
  } else {
    // RFC 6749 §2.3.1: each part form-encoded before the Basic encoding.
    const credentials = `${encodeURIComponent(source.clientId)}:${encodeURIComponent(secret)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const res = await upstream.tokenRequest(metadata.tokenEndpoint, form, headers);
  if (res.status !== 200) {
    const error = typeof res.body.error === 'string' ? res.body.error.slice(0, 64) : 'no error code';
    throw new UpstreamRefused(`token endpoint answered ${res.status} (${error})`);
  }
  if (typeof res.body.id_token !== 'string') throw new UpstreamRefused('token response without id_token');
  const idToken = await verifyUpstreamIdToken(upstream, source, metadata, res.body.id_token, leg.nonce, nowSeconds(ws));
  // The sign-in stands on the ID token: a UserInfo outage is recorded, not shown to the user.
  return completeFromUserInfo(upstream, source, metadata, res.body, idToken, (reason) =>
    ws.audit.emit('federation.userinfo_failed', { ...audit, reason }),
  );
}

/** The login page again: the sign-in at the source did not count. Nothing was written. */
function notVerifiedPage(interaction: Interaction, source: IdentitySourceSettings, detail: string): CoreResponse {
  const page = loginPage(interaction.form, {
    status: 400,
    error: 'login.error.sourceNotVerified',
    errorValues: { source: source.name },
  });
  return { ...page, error: { error: 'access_denied', detail: `source ${source.id}: ${detail}` } };
}

async function answer(req: CoreRequest, ws: Workspace, ctx: PageContext): Promise<CoreResponse> {
  const leg = await takeLeg(req, ws);
  if (typeof leg === 'string') return expiredPage(ctx, leg);
  const interaction = await loadInteraction(req, ws, leg.txnId);
  const source = ws.federation.sources.find((s) => s.id === leg.sourceId);
  if (!interaction || interaction.txn.sub || !source)
    return expiredPage(
      interaction?.form.page ?? ctx,
      'transaction over, signed in, or source gone',
      interaction?.client,
    );
  const audit = { clientId: interaction.client.clientId, source: source.id };
  let upstreamClaims: Awaited<ReturnType<typeof redeem>>;
  try {
    const metadata = await ws.federation.upstream.metadata(source.issuer);
    checkResponseIssuer(req, source, metadata);
    const error = optional(req.query, 'error');
    if (error !== undefined) {
      ws.audit.emit('login.failed', audit);
      if (TRANSIENT_ERRORS.includes(error))
        return sourceUnavailablePage(interaction, source, `answered ${error.slice(0, 64)}`);
      // The user said no, or could not sign in there: the client hears access_denied, and the transaction ends.
      await ws.interactions.discardTransaction(interaction.txn.id, nowSeconds(ws));
      const denied = accessDenied(
        'The user was not signed in by the identity source.',
        `source ${source.id}: ${error.slice(0, 64)}`,
      );
      return errorRedirect(ws, interaction.txn.request, denied, 303);
    }
    const code = optional(req.query, 'code');
    if (code === undefined) throw new UpstreamRefused('authorization response without code');
    upstreamClaims = await redeem(ws, source, metadata, leg, code, audit);
  } catch (err) {
    if (err instanceof UpstreamUnavailable) return sourceUnavailablePage(interaction, source, err.message);
    if (err instanceof UpstreamRefused || (err instanceof OAuthError && err.expose)) {
      ws.audit.emit('login.failed', audit);
      return notVerifiedPage(interaction, source, err.message);
    }
    throw err;
  }
  const { claims, unrefreshed } = upstreamClaims;
  const link = { sourceId: source.id, sub: claims.sub };
  let linked: Awaited<ReturnType<typeof linkedUser>>;
  try {
    linked = await linkedUser(ws.linkedUsers, link, mappedClaims(source, claims), localClaimsOf(source, unrefreshed));
  } catch (err) {
    if (!(err instanceof ConditionFailed)) throw err;
    // Its username is held by a user of another kind (an admin created it): never merged, refused.
    return notVerifiedPage(interaction, source, 'username of the link is taken by another user');
  }
  const { user, created } = linked;
  if (user.disabled) {
    ws.audit.emit('login.failed', { ...audit, sub: user.sub });
    const page = loginPage(interaction.form, { status: 403, error: 'login.error.accountBlocked' });
    return { ...page, error: { error: 'access_denied', detail: 'linked user disabled' } };
  }
  if (created) ws.audit.emit('user.linked', { ...audit, sub: user.sub });
  return completeLogin(req, ws, interaction, user);
}

export function federationCallback(req: CoreRequest, ws: Workspace): Promise<CoreResponse> {
  return asPage(req, ws, (ctx) => answer(req, ws, ctx));
}
