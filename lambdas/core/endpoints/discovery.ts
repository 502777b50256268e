// OIDC Discovery and RFC 8414 metadata: every endpoint and capability the workspace actually has.
import { supportedClaims, supportedScopes } from '../claims.js';
import { jsonResponse, type CoreResponse } from '../http.js';
import { signingAlgs } from '../jwt/key-set.js';
import { AUTH_METHODS, CLIENT_ASSERTION_ALGS } from '../registration/registration.js';
import { grants } from './token/token.js';
import type { Workspace } from '../workspace.js';
import { LANGUAGES } from '../pages/languages.js';

export function metadata(ws: Workspace): Record<string, unknown> {
  return {
    issuer: ws.issuer,
    authorization_endpoint: `${ws.issuer}/oauth2/authorize`,
    token_endpoint: `${ws.issuer}/oauth2/token`,
    jwks_uri: `${ws.issuer}/.well-known/jwks.json`,
    userinfo_endpoint: `${ws.issuer}/userinfo`,
    pushed_authorization_request_endpoint: `${ws.issuer}/oauth2/par`,
    end_session_endpoint: `${ws.issuer}/oauth2/logout`,
    revocation_endpoint: `${ws.issuer}/oauth2/revoke`,
    introspection_endpoint: `${ws.issuer}/oauth2/introspect`,
    scopes_supported: supportedScopes,
    claims_supported: supportedClaims,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: Object.keys(grants),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: signingAlgs(ws),
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
    // Public clients may not introspect (see ClientRegistration.introspection), so `none` is not offered here.
    introspection_endpoint_auth_methods_supported: AUTH_METHODS.filter((m) => m !== 'none'),
    introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
    code_challenge_methods_supported: ['S256'],
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    ui_locales_supported: LANGUAGES,
    claims_parameter_supported: false,
    request_parameter_supported: false,
    // About request objects by reference (OIDC Core §6.2); PAR's request_uri works regardless (RFC 9126 §5).
    request_uri_parameter_supported: false,
    require_pushed_authorization_requests: ws.settings.requirePushedAuthorizationRequests,
    authorization_response_iss_parameter_supported: true,
  };
}

/** Served at both the OIDC discovery and the RFC 8414 locations: OIDC-only members are harmless to OAuth clients. */
export async function metadataDocument(_req: unknown, ws: Workspace): Promise<CoreResponse> {
  return jsonResponse(200, metadata(ws), { 'cache-control': 'public, max-age=300' });
}
