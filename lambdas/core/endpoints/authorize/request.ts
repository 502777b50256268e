// The authorization request as one ordered pipeline of checks, so that every endpoint taking such a request
// (GET /oauth2/authorize, POST /oauth2/par) validates it the same way.
import type { AuthorizationRequest, ClientRecord } from '../../model.js';
import type { Params } from '../../params.js';
import type { Workspace } from '../../workspace.js';
import {
  checkClientMayUseCodeGrant,
  checkIdTokenHintOurs,
  checkLoginHintSingleAndBounded,
  checkMaxAgeNonNegativeInteger,
  checkNoRequestObject,
  checkNoRequestUri,
  checkNonceSingleAndBounded,
  checkPkceS256,
  checkPromptNoneAlone,
  checkPromptValuesKnown,
  checkRedirectUriSentForOpenId,
  checkResourcesAllowed,
  checkResponseModeIsQuery,
  checkResponseTypeIsCode,
  checkScopeAllowed,
  checkScopeSingleAndBounded,
  checkStateSingleAndBounded,
  checkUiLocalesSingleAndBounded,
} from './checks.js';

/** Where the response goes: verified by stage 1 (`checkRedirectUriRegistered`) before any other check runs. */
export type RedirectTarget = Pick<AuthorizationRequest, 'redirectUri' | 'redirectUriSent'>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The request as the checks build it: client and target from stage 1, every other part once its check has run. */
export type AuthorizationRequestDraft = Pick<AuthorizationRequest, 'clientId'> &
  RedirectTarget &
  Partial<Mutable<Omit<AuthorizationRequest, 'clientId' | keyof RedirectTarget>>>;

/** One rule of the request: throws its OAuth error, or fills its part of the draft. */
export type AuthorizationRequestCheck = (
  draft: AuthorizationRequestDraft,
  params: Params,
  client: ClientRecord,
  ws: Workspace,
) => void | Promise<void>;

/**
 * The redirectable checks, in the order they run; the first rule broken decides the error. Stage 1 runs before
 * them: `checkClientRegistered`, then `checkRedirectUriRegistered`, whose errors are shown as a page.
 *
 * The order is the endpoint's before the checks became a list, so which error wins is unchanged:
 *  1. state          checkStateSingleAndBounded     invalid_request (read first: later errors carry it back)
 *  2. request        checkNoRequestObject           request_not_supported
 *  3. request_uri    checkNoRequestUri              request_uri_not_supported
 *  4. response_type  checkResponseTypeIsCode        invalid_request (missing, repeated), unsupported_response_type
 *  5. client grants  checkClientMayUseCodeGrant     unauthorized_client
 *  6. response_mode  checkResponseModeIsQuery       invalid_request
 *  7. scope          checkScopeSingleAndBounded     invalid_request (repeated, oversized); left out: no scopes
 *  8. scope          checkScopeAllowed              invalid_scope
 *  9. redirect_uri   checkRedirectUriSentForOpenId  invalid_request (left out of an openid request)
 * 10. PKCE           checkPkceS256                  invalid_request (also when sent by a client that may omit it)
 * 11. prompt         checkPromptValuesKnown         invalid_request
 * 12. prompt         checkPromptNoneAlone           invalid_request
 * 13. resource       checkResourcesAllowed          invalid_target, invalid_request (oversized)
 * 14. max_age        checkMaxAgeNonNegativeInteger  invalid_request
 * 15. nonce          checkNonceSingleAndBounded     invalid_request
 * 16. login_hint     checkLoginHintSingleAndBounded invalid_request
 * 17. id_token_hint  checkIdTokenHintOurs           invalid_request (not an ID token of this workspace)
 * 18. ui_locales     checkUiLocalesSingleAndBounded invalid_request (repeated, oversized)
 */
export const AUTHORIZATION_REQUEST_CHECKS: readonly AuthorizationRequestCheck[] = [
  checkStateSingleAndBounded,
  checkNoRequestObject,
  checkNoRequestUri,
  checkResponseTypeIsCode,
  checkClientMayUseCodeGrant,
  checkResponseModeIsQuery,
  checkScopeSingleAndBounded,
  checkScopeAllowed,
  checkRedirectUriSentForOpenId,
  checkPkceS256,
  checkPromptValuesKnown,
  checkPromptNoneAlone,
  checkResourcesAllowed,
  checkMaxAgeNonNegativeInteger,
  checkNonceSingleAndBounded,
  checkLoginHintSingleAndBounded,
  checkIdTokenHintOurs,
  checkUiLocalesSingleAndBounded,
];

/** The draft of a request by `client` to `target`, before any redirectable check has run. */
export function authorizationRequestDraft(client: ClientRecord, target: RedirectTarget): AuthorizationRequestDraft {
  return { clientId: client.clientId, redirectUri: target.redirectUri, redirectUriSent: target.redirectUriSent };
}

/**
 * Runs every check on `draft` in order and returns the validated request. The draft is the caller's: when a
 * check fails, it holds what the checks before it validated (the authorization endpoint redirects with its state).
 */
export async function validateAuthorizationRequest(
  params: Params,
  client: ClientRecord,
  draft: AuthorizationRequestDraft,
  ws: Workspace,
): Promise<AuthorizationRequest> {
  for (const check of AUTHORIZATION_REQUEST_CHECKS) await check(draft, params, client, ws);
  const { scopes, prompt, resources } = draft;
  if (!scopes || !prompt || !resources) {
    throw new Error('The authorization request checks left the request incomplete.');
  }
  return {
    clientId: draft.clientId,
    redirectUri: draft.redirectUri,
    redirectUriSent: draft.redirectUriSent,
    scopes,
    prompt,
    resources,
    ...(draft.codeChallenge !== undefined && {
      codeChallenge: draft.codeChallenge,
      codeChallengeMethod: draft.codeChallengeMethod,
    }),
    ...(draft.state !== undefined && { state: draft.state }),
    ...(draft.nonce !== undefined && { nonce: draft.nonce }),
    ...(draft.maxAge !== undefined && { maxAge: draft.maxAge }),
    ...(draft.loginHint !== undefined && { loginHint: draft.loginHint }),
    ...(draft.idTokenHintSub !== undefined && { idTokenHintSub: draft.idTokenHintSub }),
    ...(draft.uiLocales !== undefined && { uiLocales: draft.uiLocales }),
  };
}
