// The UpstreamProvider over HTTP: discovery documents and JWK Sets cached and bounded, token and UserInfo requests bounded.
import { isFields, parseFields } from '../../core/registration/field-checker.js';
import type { ClientJwkSet } from '../../core/model.js';
import { ClientKeysUnavailable, type ClientKeySetOptions } from '../../core/ports/client-keys.js';
import { type Clock, systemClock } from '../../core/ports/clock.js';
import {
  UpstreamUnavailable,
  type UpstreamMetadata,
  type UpstreamProvider,
  type UpstreamTokenResponse,
} from '../../core/ports/upstream.js';
import { type BoundedResponse, FetchFailed, boundedFetch, fetchJson } from './bounded-fetch.js';
import { RemoteJwks } from './remote-jwks.js';

/** Where our client secrets at the sources come from: the local config, or Secrets Manager when deployed. */
export type SecretSource = (sourceId: string) => Promise<string>;

export interface UpstreamOidcOptions {
  readonly clientSecret: SecretSource;
  /** How long one request may take, milliseconds. @default 3000 */
  readonly timeoutMs?: number;
  /** The largest discovery document, token or UserInfo response accepted, bytes. @default 65536 */
  readonly maxBytes?: number;
  /** How long a discovery document is served from memory, seconds. @default 3600 */
  readonly metadataCacheSeconds?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** The fetch to use (tests route it to handlers). @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const;

/** The media type of a `content-type` header, parameters dropped, lower case. */
const mediaType = (contentType: string | null): string => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

/** The metadata as OIDC Discovery §4.3 asks a client to check it: the same issuer, the endpoints it needs. */
function metadataOf(issuer: string, value: unknown): UpstreamMetadata {
  if (!isFields(value)) throw new UpstreamUnavailable('discovery document is not a JSON object');
  if (value.issuer !== issuer) throw new UpstreamUnavailable('discovery document names another issuer');
  // Our client secret and the user's codes go there: never over plain http unless the issuer itself is (localhost).
  const scheme = new URL(issuer).protocol;
  // The access token goes to userinfo_endpoint: optional, but held to the same rule when named.
  const named = value.userinfo_endpoint !== undefined && value.userinfo_endpoint !== null;
  for (const name of named ? [...ENDPOINTS, 'userinfo_endpoint'] : ENDPOINTS) {
    const url = value[name];
    if (typeof url !== 'string' || !URL.canParse(url))
      throw new UpstreamUnavailable(`discovery document has no ${name}`);
    const protocol = new URL(url).protocol;
    if (protocol !== 'https:' && protocol !== scheme)
      throw new UpstreamUnavailable(`discovery document's ${name} is not https`);
  }
  const algs = value.id_token_signing_alg_values_supported;
  return {
    issuer,
    authorizationEndpoint: value.authorization_endpoint as string,
    tokenEndpoint: value.token_endpoint as string,
    jwksUri: value.jwks_uri as string,
    idTokenSigningAlgs: Array.isArray(algs) ? algs.filter((a): a is string => typeof a === 'string') : ['RS256'],
    issParameterSupported: value.authorization_response_iss_parameter_supported === true,
    ...(named && { userinfoEndpoint: value.userinfo_endpoint as string }),
  };
}

export class UpstreamOidc implements UpstreamProvider {
  /** By issuer. Issuers come from the workspace's configuration, never from requests. */
  private readonly cache = new Map<string, { metadata: UpstreamMetadata; fetchedAt: number }>();
  private readonly jwks: RemoteJwks;
  private readonly bounds: { timeoutMs: number; maxBytes: number; fetch?: typeof fetch };
  private readonly cacheMs: number;
  private readonly clock: Clock;
  readonly clientSecret: SecretSource;

  constructor(opts: UpstreamOidcOptions) {
    this.clock = opts.clock ?? systemClock;
    this.bounds = {
      timeoutMs: opts.timeoutMs ?? 3000,
      maxBytes: opts.maxBytes ?? 64 * 1024,
      ...(opts.fetch && { fetch: opts.fetch }),
    };
    this.cacheMs = (opts.metadataCacheSeconds ?? 3600) * 1000;
    this.jwks = new RemoteJwks({ ...this.bounds, clock: this.clock });
    this.clientSecret = opts.clientSecret;
  }

  async metadata(issuer: string): Promise<UpstreamMetadata> {
    const hit = this.cache.get(issuer);
    if (hit && this.clock.now() - hit.fetchedAt < this.cacheMs) return hit.metadata;
    // OIDC Discovery §4: the issuer without a trailing slash, then the well-known path.
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let value: unknown;
    try {
      value = await fetchJson(url, { headers: { accept: 'application/json' } }, this.bounds);
    } catch (err) {
      throw err instanceof FetchFailed ? new UpstreamUnavailable(`discovery: ${err.message}`) : err;
    }
    const metadata = metadataOf(issuer, value);
    this.cache.set(issuer, { metadata, fetchedAt: this.clock.now() });
    return metadata;
  }

  async keySet(jwksUri: string, options?: ClientKeySetOptions): Promise<ClientJwkSet> {
    try {
      return await this.jwks.keySet(jwksUri, options);
    } catch (err) {
      throw err instanceof ClientKeysUnavailable ? new UpstreamUnavailable(`jwks: ${err.message}`) : err;
    }
  }

  async tokenRequest(
    tokenEndpoint: string,
    form: Readonly<Record<string, string>>,
    headers: Readonly<Record<string, string>>,
  ): Promise<UpstreamTokenResponse> {
    try {
      const res = await boundedFetch(
        tokenEndpoint,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
          body: new URLSearchParams(form).toString(),
        },
        this.bounds,
      );
      return { status: res.status, body: parseFields(res.text) ?? {} };
    } catch (err) {
      throw err instanceof FetchFailed ? new UpstreamUnavailable(`token endpoint: ${err.message}`) : err;
    }
  }

  async userInfo(userinfoEndpoint: string, accessToken: string): Promise<Readonly<Record<string, unknown>>> {
    let res: BoundedResponse;
    try {
      res = await boundedFetch(
        userinfoEndpoint,
        // RFC 6750 §2.1: the header, never the query, so the token stays out of the provider's access logs.
        { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } },
        this.bounds,
      );
    } catch (err) {
      throw err instanceof FetchFailed ? new UpstreamUnavailable(`userinfo: ${err.message}`) : err;
    }
    if (res.status !== 200) throw new UpstreamUnavailable(`userinfo: status ${res.status}`);
    const type = mediaType(res.contentType);
    // A signed or encrypted answer (OIDC Core §5.3.2) would need keys and algorithms registered for it: not used.
    if (type === 'application/jwt') throw new UpstreamUnavailable('userinfo: signed or encrypted answer not used');
    if (type !== 'application/json') throw new UpstreamUnavailable('userinfo: answer is not application/json');
    const body = parseFields(res.text);
    if (!body) throw new UpstreamUnavailable('userinfo: answer is not a JSON object');
    return body;
  }
}
