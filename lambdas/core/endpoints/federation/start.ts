// Leaving for an identity source: a fresh state, nonce and PKCE pair bound to the transaction and this browser.
import { hashToken, randomToken, s256 } from '../../crypto.js';
import type { IdentitySourceSettings } from '../../federation/identity-sources.js';
import { redirect, type CoreResponse } from '../../http.js';
import { loginPage } from '../../pages/interaction.js';
import { UpstreamUnavailable } from '../../ports/upstream.js';
import type { Workspace } from '../../workspace.js';
import type { Interaction } from '../consent/interaction.js';
import { UPSTREAM_LEG, callbackUrl, type UpstreamLeg } from './upstream-leg.js';

/** The login page again, saying the source cannot be used now: a page the user can act on, never a 5xx. */
export function sourceUnavailablePage(interaction: Interaction, source: IdentitySourceSettings, detail: string) {
  const page = loginPage(interaction.form, {
    error: 'login.error.sourceUnavailable',
    errorValues: { source: source.name },
  });
  return { ...page, error: { error: 'temporarily_unavailable', detail: `source ${source.id}: ${detail}` } };
}

/**
 * Sends the browser to the source's authorization endpoint (authorization code, PKCE S256, `state`, `nonce`). The
 * leg is stored until the transaction ends; `prompt=login`, `max_age` and `login_hint` are passed on, since
 * the source is where the user authenticates.
 */
export async function startUpstreamSignIn(
  ws: Workspace,
  interaction: Interaction,
  source: IdentitySourceSettings,
): Promise<CoreResponse> {
  let authorizationEndpoint: string;
  try {
    authorizationEndpoint = (await ws.federation.upstream.metadata(source.issuer)).authorizationEndpoint;
  } catch (err) {
    if (err instanceof UpstreamUnavailable) return sourceUnavailablePage(interaction, source, err.message);
    throw err;
  }
  const { txn } = interaction;
  const state = randomToken();
  const leg: UpstreamLeg = {
    txnId: txn.id,
    sourceId: source.id,
    nonce: randomToken(),
    verifier: randomToken(),
    browserHash: txn.browserHash,
  };
  await ws.singleUse.put(UPSTREAM_LEG, hashToken(state), leg, txn.expiresAt);
  const { request } = txn;
  const location = new URL(authorizationEndpoint);
  const params = {
    response_type: 'code',
    client_id: source.clientId,
    redirect_uri: callbackUrl(ws.issuer),
    scope: source.scopes.join(' '),
    state,
    nonce: leg.nonce,
    code_challenge: s256(leg.verifier),
    code_challenge_method: 'S256',
    ...(request.prompt.includes('login') && { prompt: 'login' }),
    ...(request.maxAge !== undefined && { max_age: String(request.maxAge) }),
    ...(request.loginHint !== undefined && { login_hint: request.loginHint }),
  };
  for (const [name, value] of Object.entries(params)) location.searchParams.set(name, value);
  ws.audit.emit('federation.started', { clientId: interaction.client.clientId, source: source.id });
  return redirect(location.href, 303);
}
