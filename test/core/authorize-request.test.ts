// The authorization request pipeline on its own: parameters and a client in, a request or the first rule's error out.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalSigner } from '../../lambdas/adapters/key-file/signer.js';
import { UnverifiedRedirectError } from '../../lambdas/core/errors.js';
import { signIdToken } from '../../lambdas/core/jwt/id-token.js';
import type { ClientRecord } from '../../lambdas/core/model.js';
import type { Params } from '../../lambdas/core/params.js';
import { defaultSettings, type Workspace } from '../../lambdas/core/workspace.js';
import { checkClientRegistered, checkRedirectUriRegistered } from '../../lambdas/core/endpoints/authorize/checks.js';
import {
  AUTHORIZATION_REQUEST_CHECKS,
  authorizationRequestDraft,
  validateAuthorizationRequest,
} from '../../lambdas/core/endpoints/authorize/request.js';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const client: ClientRecord = {
  clientId: 'spa',
  tokenEndpointAuthMethod: 'none',
  redirectUris: ['https://spa.example.com/callback', 'https://spa.example.com/other'],
  grantTypes: ['authorization_code'],
  scopes: ['openid', 'profile', 'email'],
  audience: ['https://api.example.com'],
};

const target = { redirectUri: 'https://spa.example.com/callback', redirectUriSent: true };

/** What the checks read of a workspace: its issuer and keys, which verify an id_token_hint. */
let keysWs: Workspace;
beforeAll(async () => {
  const signer = await LocalSigner.load({
    file: join(mkdtempSync(join(tmpdir(), 'authz-keys-')), 'k.pem'),
    alg: 'ES256',
  });
  keysWs = {
    issuer: 'https://auth.example.com/acme/main',
    keys: { active: signer, all: [signer] },
    settings: defaultSettings,
  } as unknown as Workspace;
});

/** A valid request, changed by `change`: a string replaces the single value, an array gives every value, undefined drops it. */
function paramsOf(change: Record<string, string | string[] | undefined> = {}): Params {
  const base: Record<string, string | string[] | undefined> = {
    client_id: 'spa',
    redirect_uri: target.redirectUri,
    response_type: 'code',
    scope: 'openid profile',
    state: 'st-1',
    nonce: 'n-1',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...change,
  };
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) out[k] = [v].flat();
  return out;
}

function validate(params: Params, as: ClientRecord = client) {
  const draft = authorizationRequestDraft(as, target);
  return { draft, result: validateAuthorizationRequest(params, as, draft, keysWs) };
}

/** The name of the check that refuses `params`, and its error, running the pipeline one check at a time. */
async function firstFailure(params: Params, as: ClientRecord = client) {
  const draft = authorizationRequestDraft(as, target);
  for (const check of AUTHORIZATION_REQUEST_CHECKS) {
    try {
      await check(draft, params, as, keysWs);
    } catch (err) {
      return { check: check.name, err: err as { error: string; description: string } };
    }
  }
  return undefined;
}

describe('the pipeline', () => {
  it('runs its checks in the documented order', () => {
    expect(AUTHORIZATION_REQUEST_CHECKS.map((c) => c.name)).toEqual([
      'checkStateSingleAndBounded',
      'checkNoRequestObject',
      'checkNoRequestUri',
      'checkResponseTypeIsCode',
      'checkClientMayUseCodeGrant',
      'checkResponseModeIsQuery',
      'checkScopeSingleAndBounded',
      'checkScopeAllowed',
      'checkRedirectUriSentForOpenId',
      'checkPkceS256',
      'checkPromptValuesKnown',
      'checkPromptNoneAlone',
      'checkResourcesAllowed',
      'checkMaxAgeNonNegativeInteger',
      'checkNonceSingleAndBounded',
      'checkLoginHintSingleAndBounded',
      'checkIdTokenHintOurs',
      'checkUiLocalesSingleAndBounded',
    ]);
  });

  it('returns the validated request, with optional parts only when sent', async () => {
    expect(await validate(paramsOf({ state: undefined, nonce: undefined })).result).toStrictEqual({
      clientId: 'spa',
      ...target,
      scopes: ['openid', 'profile'],
      codeChallenge: CHALLENGE,
      codeChallengeMethod: 'S256',
      prompt: [],
      resources: [],
    });
    const full = paramsOf({
      prompt: 'select_account consent login',
      max_age: '300',
      login_hint: 'alice',
      resource: ['https://api.example.com', 'https://api.example.com'],
      ui_locales: 'de-CH fr',
    });
    expect(await validate(full).result).toStrictEqual({
      clientId: 'spa',
      ...target,
      scopes: ['openid', 'profile'],
      codeChallenge: CHALLENGE,
      codeChallengeMethod: 'S256',
      prompt: ['login', 'consent'],
      resources: ['https://api.example.com'],
      state: 'st-1',
      nonce: 'n-1',
      maxAge: 300,
      loginHint: 'alice',
      uiLocales: 'de-CH fr',
    });
  });

  const oversized = 'x'.repeat(5000);

  /** [check, what breaks its rule, the change that does it, the error]: every check has at least one. */
  const BROKEN_RULES: ReadonlyArray<[string, string, Record<string, string | string[] | undefined>, string]> = [
    ['checkStateSingleAndBounded', 'a repeated state', { state: ['a', 'b'] }, 'invalid_request'],
    ['checkStateSingleAndBounded', 'an oversized state', { state: oversized }, 'invalid_request'],
    ['checkNoRequestObject', 'a request object', { request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
    [
      'checkNoRequestUri',
      'a request_uri',
      { request_uri: 'urn:ietf:params:oauth:request_uri:x' },
      'request_uri_not_supported',
    ],
    ['checkResponseTypeIsCode', 'no response_type', { response_type: undefined }, 'invalid_request'],
    ['checkResponseTypeIsCode', 'response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
    ['checkResponseModeIsQuery', 'response_mode=fragment', { response_mode: 'fragment' }, 'invalid_request'],
    ['checkScopeSingleAndBounded', 'a repeated scope', { scope: ['openid', 'openid'] }, 'invalid_request'],
    ['checkScopeSingleAndBounded', 'an oversized scope', { scope: oversized }, 'invalid_request'],
    ['checkScopeAllowed', 'a scope the client may not use', { scope: 'openid admin' }, 'invalid_scope'],
    ['checkPkceS256', 'no code_challenge', { code_challenge: undefined }, 'invalid_request'],
    ['checkPkceS256', 'plain PKCE', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['checkPkceS256', 'no code_challenge_method', { code_challenge_method: undefined }, 'invalid_request'],
    ['checkPkceS256', 'a malformed challenge', { code_challenge: 'short' }, 'invalid_request'],
    ['checkPromptValuesKnown', 'an unknown prompt', { prompt: 'sometimes' }, 'invalid_request'],
    ['checkPromptNoneAlone', 'prompt=none with login', { prompt: 'none login' }, 'invalid_request'],
    ['checkPromptNoneAlone', 'prompt=none with select_account', { prompt: 'none select_account' }, 'invalid_request'],
    ['checkResourcesAllowed', 'a relative resource', { resource: '/api' }, 'invalid_target'],
    [
      'checkResourcesAllowed',
      'a resource with a fragment',
      { resource: 'https://api.example.com#x' },
      'invalid_target',
    ],
    ['checkResourcesAllowed', 'a foreign resource', { resource: 'https://other.example.com' }, 'invalid_target'],
    ['checkMaxAgeNonNegativeInteger', 'a negative max_age', { max_age: '-1' }, 'invalid_request'],
    ['checkMaxAgeNonNegativeInteger', 'a fractional max_age', { max_age: '1.5' }, 'invalid_request'],
    ['checkNonceSingleAndBounded', 'an oversized nonce', { nonce: oversized }, 'invalid_request'],
    ['checkLoginHintSingleAndBounded', 'a repeated login_hint', { login_hint: ['a', 'b'] }, 'invalid_request'],
    ['checkIdTokenHintOurs', 'an id_token_hint that is no ID token', { id_token_hint: 'a.b.c' }, 'invalid_request'],
    ['checkUiLocalesSingleAndBounded', 'a repeated ui_locales', { ui_locales: ['de', 'fr'] }, 'invalid_request'],
  ];

  it.each(BROKEN_RULES)('%s refuses %s with %s', async (name, _case, change, error) => {
    const params = paramsOf(change);
    expect(await firstFailure(params)).toMatchObject({ check: name, err: { error } });
    await expect(validate(params).result).rejects.toMatchObject({ error });
  });

  it('checkRedirectUriSentForOpenId refuses an openid request that left redirect_uri out', async () => {
    const draft = authorizationRequestDraft(client, { ...target, redirectUriSent: false });
    await expect(validateAuthorizationRequest(paramsOf(), client, draft, keysWs)).rejects.toMatchObject({
      error: 'invalid_request',
    });
    const plain = authorizationRequestDraft(client, { ...target, redirectUriSent: false });
    expect(await validateAuthorizationRequest(paramsOf({ scope: 'profile' }), client, plain, keysWs)).toMatchObject({
      redirectUriSent: false,
    });
  });

  it('checkIdTokenHintOurs keeps the user of an ID token of the workspace', async () => {
    const hint = await signIdToken(keysWs, { clientId: 'spa', sub: 'sub-1', scopes: ['openid'] }, 1);
    expect(await validate(paramsOf({ id_token_hint: hint })).result).toMatchObject({ idTokenHintSub: 'sub-1' });
  });

  it('checkClientMayUseCodeGrant refuses a client without the code grant with unauthorized_client', async () => {
    const machine: ClientRecord = { ...client, grantTypes: ['client_credentials'] };
    expect(await firstFailure(paramsOf(), machine)).toMatchObject({
      check: 'checkClientMayUseCodeGrant',
      err: { error: 'unauthorized_client' },
    });
    await expect(validate(paramsOf(), machine).result).rejects.toMatchObject({ error: 'unauthorized_client' });
  });

  it('has a broken-rule test for every check', () => {
    const tested = new Set([
      ...BROKEN_RULES.map(([name]) => name),
      'checkClientMayUseCodeGrant',
      'checkRedirectUriSentForOpenId',
    ]);
    expect(AUTHORIZATION_REQUEST_CHECKS.map((c) => c.name).filter((name) => !tested.has(name))).toEqual([]);
  });

  // Each pair breaks two rules; either alone fails on its own check, both together on the earlier one.
  it.each([
    ['a repeated state', { state: ['a', 'b'] }, 'a request object', { request: 'x' }],
    ['a request object', { request: 'x' }, 'response_type=token', { response_type: 'token' }],
    ['response_type=token', { response_type: 'token' }, 'a missing PKCE challenge', { code_challenge: undefined }],
    ['response_mode=fragment', { response_mode: 'fragment' }, 'a foreign scope', { scope: 'admin' }],
    ['a foreign scope', { scope: 'openid admin' }, 'plain PKCE', { code_challenge_method: 'plain' }],
    ['a missing PKCE challenge', { code_challenge: undefined }, 'an unknown prompt', { prompt: 'sometimes' }],
    ['an unknown prompt', { prompt: 'sometimes' }, 'a foreign resource', { resource: 'https://other.example.com' }],
    ['a foreign resource', { resource: 'https://other.example.com' }, 'a negative max_age', { max_age: '-1' }],
    ['a negative max_age', { max_age: '-1' }, 'an oversized nonce', { nonce: oversized }],
  ])('%s wins over %s', async (_earlier, earlierChange, _later, laterChange) => {
    const earlier = await firstFailure(paramsOf(earlierChange));
    const later = await firstFailure(paramsOf(laterChange));
    expect(earlier && later && earlier.check !== later.check).toBe(true);
    const order = AUTHORIZATION_REQUEST_CHECKS.map((c) => c.name);
    expect(order.indexOf(earlier!.check)).toBeLessThan(order.indexOf(later!.check));
    const both = paramsOf({ ...earlierChange, ...laterChange });
    expect((await firstFailure(both))?.check).toBe(earlier!.check);
    await expect(validate(both).result).rejects.toMatchObject({
      error: earlier!.err.error,
      description: earlier!.err.description,
    });
  });

  it('names the earlier check when a request breaks two rules, and keeps the state read before it', async () => {
    const params = paramsOf({ scope: 'openid admin', code_challenge_method: 'plain' });
    const failure = await firstFailure(params);
    expect(failure?.check).toBe('checkScopeAllowed');
    const { draft, result } = validate(params);
    await expect(result).rejects.toMatchObject({ error: 'invalid_scope' });
    expect(draft.state).toBe('st-1');
    expect(draft.codeChallenge).toBeUndefined();
  });
});

describe('optional scope and PKCE', () => {
  const classic: ClientRecord = { ...client, tokenEndpointAuthMethod: 'client_secret_post', requirePkce: false };

  it('reads a request without scope as one for no scopes', async () => {
    expect(await validate(paramsOf({ scope: undefined })).result).toMatchObject({ scopes: [] });
    expect(await validate(paramsOf({ scope: '' })).result).toMatchObject({ scopes: [] });
  });

  it('lets a confidential client registered with requirePkce: false leave PKCE out', async () => {
    const request = await validate(paramsOf({ code_challenge: undefined, code_challenge_method: undefined }), classic)
      .result;
    expect(request).not.toHaveProperty('codeChallenge');
    expect(request).not.toHaveProperty('codeChallengeMethod');
  });

  it.each([
    ['plain PKCE', { code_challenge_method: 'plain' }],
    ['a malformed challenge', { code_challenge: 'short' }],
    ['a challenge without its method', { code_challenge_method: undefined }],
    ['a method without a challenge', { code_challenge: undefined }],
  ])('still enforces PKCE that such a client sends: %s → invalid_request', async (_case, change) => {
    expect(await firstFailure(paramsOf(change), classic)).toMatchObject({
      check: 'checkPkceS256',
      err: { error: 'invalid_request' },
    });
  });

  it('keeps the challenge such a client sends', async () => {
    expect(await validate(paramsOf(), classic).result).toMatchObject({
      codeChallenge: CHALLENGE,
      codeChallengeMethod: 'S256',
    });
  });

  it('requires PKCE of a public client even if a stored record says requirePkce: false', async () => {
    const publicWithout: ClientRecord = { ...client, requirePkce: false };
    expect(
      await firstFailure(paramsOf({ code_challenge: undefined, code_challenge_method: undefined }), publicWithout),
    ).toMatchObject({ check: 'checkPkceS256', err: { error: 'invalid_request' } });
  });
});

describe('stage 1: client and redirect URI', () => {
  const ws = {
    clients: { get: async (id: string) => (id === client.clientId ? client : undefined) },
  } as unknown as Workspace;

  it.each([
    ['no client_id', { client_id: undefined }, 'invalid_request'],
    ['a repeated client_id', { client_id: ['spa', 'spa'] }, 'invalid_request'],
    ['an unknown client', { client_id: 'nobody' }, 'invalid_client'],
  ])('checkClientRegistered refuses %s with %s, never redirected', async (_case, change, error) => {
    const err = await checkClientRegistered(paramsOf(change), ws).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnverifiedRedirectError);
    expect(err).toMatchObject({ error });
  });

  it('checkClientRegistered finds the client', async () => {
    expect(await checkClientRegistered(paramsOf(), ws)).toBe(client);
  });

  it.each([
    ['no redirect_uri when two are registered', { redirect_uri: undefined }],
    ['an unregistered redirect_uri', { redirect_uri: 'https://spa.example.com/callback/' }],
    ['a repeated redirect_uri', { redirect_uri: [target.redirectUri, target.redirectUri] }],
  ])('checkRedirectUriRegistered refuses %s with invalid_request, never redirected', (_case, change) => {
    let err: unknown;
    try {
      checkRedirectUriRegistered(paramsOf(change), client);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnverifiedRedirectError);
    expect(err).toMatchObject({ error: 'invalid_request' });
  });

  it('checkRedirectUriRegistered takes the only registered URI when none is sent, and a native loopback URI on any port', () => {
    const single = { ...client, redirectUris: ['https://spa.example.com/callback'] };
    expect(checkRedirectUriRegistered(paramsOf({ redirect_uri: undefined }), single)).toEqual({
      redirectUri: single.redirectUris[0],
      redirectUriSent: false,
    });
    const native: ClientRecord = { ...client, applicationType: 'native', redirectUris: ['http://127.0.0.1/cb'] };
    expect(checkRedirectUriRegistered(paramsOf({ redirect_uri: 'http://127.0.0.1:5000/cb' }), native)).toEqual({
      redirectUri: 'http://127.0.0.1:5000/cb',
      redirectUriSent: true,
    });
  });
});
