// How the core reaches upstream OpenID providers: their metadata, their keys, their token endpoint, our secrets there.
import type { ClientJwkSet } from '../model.js';
import type { ClientKeySetOptions } from './client-keys.js';

/** What the core uses of an upstream provider's discovery document (OIDC Discovery §3). */
export interface UpstreamMetadata {
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly jwksUri: string;
  /** `id_token_signing_alg_values_supported`. */
  readonly idTokenSigningAlgs: readonly string[];
  /** RFC 9207: whether its authorization responses carry `iss`, which must then be checked. */
  readonly issParameterSupported: boolean;
  /** `userinfo_endpoint` (OIDC Core §5.3), when the provider names one. */
  readonly userinfoEndpoint?: string;
}

/** A token endpoint's answer: its status and its JSON object (empty when the body was not one). */
export interface UpstreamTokenResponse {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface UpstreamProvider {
  /** The provider's metadata, checked against `issuer` (OIDC Discovery §4.3); an adapter may cache it. */
  metadata(issuer: string): Promise<UpstreamMetadata>;
  /** The JWK Set at the provider's `jwks_uri`; an adapter may cache it, `refresh` asks for a fresh one. */
  keySet(jwksUri: string, options?: ClientKeySetOptions): Promise<ClientJwkSet>;
  /** POSTs a token request (form fields and extra headers such as `authorization`). */
  tokenRequest(
    tokenEndpoint: string,
    form: Readonly<Record<string, string>>,
    headers: Readonly<Record<string, string>>,
  ): Promise<UpstreamTokenResponse>;
  /**
   * GETs the UserInfo answer with `accessToken` as a Bearer token (OIDC Core §5.3.1): its JSON object. Any other
   * answer (not 200, not `application/json`, a signed or encrypted `application/jwt`) is an UpstreamUnavailable.
   */
  userInfo(userinfoEndpoint: string, accessToken: string): Promise<Readonly<Record<string, unknown>>>;
  /** Our client secret at source `sourceId`: read at run time, never from the environment. */
  clientSecret(sourceId: string): Promise<string>;
}

/** The provider could not be reached or answered nonsense; the message says why (for the logs only). */
export class UpstreamUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamUnavailable';
  }
}

/** The provider of a workspace without identity sources: never asked. */
export const NO_UPSTREAM: UpstreamProvider = {
  metadata: () => Promise.reject(new UpstreamUnavailable('no identity sources')),
  keySet: () => Promise.reject(new UpstreamUnavailable('no identity sources')),
  tokenRequest: () => Promise.reject(new UpstreamUnavailable('no identity sources')),
  userInfo: () => Promise.reject(new UpstreamUnavailable('no identity sources')),
  clientSecret: () => Promise.reject(new UpstreamUnavailable('no identity sources')),
};
