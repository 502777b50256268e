// The rules every client registration, username and tenant or workspace id follows, whoever declares them.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ClientRegistration } from '../../lambdas/core/model.js';
import {
  clientRegistrationProblems,
  idProblem,
  registrationOf,
  usernameProblem,
} from '../../lambdas/core/registration/registration.js';

const client = () => ({
  clientId: 'web',
  clientName: 'Example web app',
  tokenEndpointAuthMethod: 'client_secret_basic',
  redirectUris: ['https://app.example.com/callback'],
  grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['openid', 'profile', 'orders:read'],
  audience: ['https://api.example.com'],
  firstParty: false,
});

type Client = Record<string, unknown>;

/** The problems of the valid client above with one change made to it, as `field: problem` lines. */
function problemsWith(change: (c: Client) => void): string {
  const c: Client = client();
  change(c);
  return clientRegistrationProblems(c)
    .map(({ field, problem }) => `${field}: ${problem}`)
    .join('\n');
}

const MUST_BE_HTTPS =
  'must be https, http on localhost / 127.0.0.1 / [::1], or for a native client a private-use scheme like com.example.app:';

describe('clientRegistrationProblems', () => {
  it('finds nothing wrong with a valid registration', () => {
    expect(clientRegistrationProblems(client())).toEqual([]);
  });

  it('names fields under the path it is given', () => {
    expect(clientRegistrationProblems({ ...client(), clientId: 'a b' }, { path: 'clients[3]' })).toEqual([
      { field: 'clients[3].clientId', problem: 'must be 1-128 letters, digits or . _ ~ -' },
    ]);
    expect(clientRegistrationProblems('web', { path: 'clients[3]' })).toEqual([
      { field: 'clients[3]', problem: 'must be an object' },
    ]);
  });

  it.each<[string, (c: Client) => void, string]>([
    ['a missing clientId', (c) => delete c.clientId, 'client.clientId: is required'],
    [
      'a clientId with a space',
      (c) => (c.clientId = 'my client'),
      'client.clientId: must be 1-128 letters, digits or . _ ~ -',
    ],
    [
      'a clientId with a non-ASCII character',
      (c) => (c.clientId = 'wéb'),
      'client.clientId: must be 1-128 letters, digits or . _ ~ -',
    ],
    ['a clientId with a reserved character', (c) => (c.clientId = 'web&co'), 'client.clientId: must be 1-128 letters'],
    ['a clientId that is too long', (c) => (c.clientId = 'c'.repeat(129)), 'client.clientId: must be 1-128 letters'],
    [
      'a clientName that is too long',
      (c) => (c.clientName = 'n'.repeat(201)),
      'client.clientName: must be at most 200 characters',
    ],
    ['an empty clientName', (c) => (c.clientName = ''), 'client.clientName: must be a non-empty string'],
    ['a missing auth method', (c) => delete c.tokenEndpointAuthMethod, 'client.tokenEndpointAuthMethod: is required'],
    [
      'an auth method the token endpoint does not support',
      (c) => (c.tokenEndpointAuthMethod = 'tls_client_auth'),
      'client.tokenEndpointAuthMethod: must be one of',
    ],
    [
      'an unknown auth method',
      (c) => (c.tokenEndpointAuthMethod = 'client_secret_jwt'),
      'client.tokenEndpointAuthMethod: must be one of',
    ],
    ['a missing redirect URI list', (c) => delete c.redirectUris, 'client.redirectUris: is required'],
    [
      'a relative redirect URI',
      (c) => (c.redirectUris = ['/callback']),
      'client.redirectUris[0]: must be an absolute URI',
    ],
    [
      'a redirect URI with a fragment',
      (c) => (c.redirectUris = ['https://app.example.com/cb#x']),
      'client.redirectUris[0]: must not contain a fragment',
    ],
    [
      'a plain http redirect URI to a remote host',
      (c) => (c.redirectUris = ['http://app.example.com/cb']),
      `client.redirectUris[0]: ${MUST_BE_HTTPS}`,
    ],
    [
      'a private-use scheme on a web client',
      (c) => (c.redirectUris = ['com.example.app:/cb']),
      `client.redirectUris[0]: ${MUST_BE_HTTPS}`,
    ],
    [
      'a native scheme that is not a reverse domain name',
      (c) => ((c.applicationType = 'native'), (c.redirectUris = ['myapp:/cb'])),
      `client.redirectUris[0]: ${MUST_BE_HTTPS}`,
    ],
    [
      'a redirect URI that is not a string',
      (c) => (c.redirectUris = [42]),
      'client.redirectUris[0]: must be a non-empty string',
    ],
    [
      'a redirect URI listed twice',
      (c) => (c.redirectUris = ['https://a.example/cb', 'https://a.example/cb']),
      'client.redirectUris: lists "https://a.example/cb" twice',
    ],
    [
      'no redirect URI for the code grant',
      (c) => (c.redirectUris = []),
      'client.redirectUris: must list at least one URI for the authorization_code grant',
    ],
    [
      'a grant type list that is not a list',
      (c) => (c.grantTypes = 'authorization_code'),
      'client.grantTypes: must be an array',
    ],
    ['an empty grant type list', (c) => (c.grantTypes = []), 'client.grantTypes: must name at least one grant type'],
    ['an unknown grant type', (c) => (c.grantTypes = ['implicit']), 'client.grantTypes[0]: must be one of'],
    [
      'refresh_token without authorization_code',
      (c) => ((c.grantTypes = ['refresh_token', 'client_credentials']), (c.redirectUris = [])),
      'client.grantTypes: refresh_token is only issued through authorization_code',
    ],
    [
      'client_credentials on a public client',
      (c) => ((c.tokenEndpointAuthMethod = 'none'), (c.grantTypes = ['client_credentials'])),
      'client.grantTypes: client_credentials needs an authenticated client',
    ],
    ['a scope with a space', (c) => (c.scopes = ['openid profile']), 'client.scopes[0]: must be a scope token'],
    ['a scope with a quote', (c) => (c.scopes = ['bad"scope']), 'client.scopes[0]: must be a scope token'],
    ['scopes that are not a list', (c) => (c.scopes = 'openid'), 'client.scopes: must be an array'],
    ['a scope listed twice', (c) => (c.scopes = ['openid', 'openid']), 'client.scopes: lists "openid" twice'],
    ['an empty audience', (c) => (c.audience = ['']), 'client.audience[0]: must be a non-empty string'],
    [
      'an audience listed twice',
      (c) => (c.audience = ['https://a.example', 'https://a.example']),
      'client.audience: lists "https://a.example" twice',
    ],
    ['a non-boolean firstParty', (c) => (c.firstParty = 'yes'), 'client.firstParty: must be true or false'],
    ['a non-boolean introspection', (c) => (c.introspection = 1), 'client.introspection: must be true or false'],
    [
      'introspection by a public client',
      (c) => ((c.tokenEndpointAuthMethod = 'none'), (c.introspection = true)),
      'client.introspection: introspection needs an authenticated client (a resource server), not tokenEndpointAuthMethod "none"',
    ],
    ['an unknown application type', (c) => (c.applicationType = 'spa'), 'client.applicationType: must be one of'],
    [
      'requirePkce: false on a public client',
      (c) => ((c.tokenEndpointAuthMethod = 'none'), (c.requirePkce = false)),
      'client.requirePkce: can be false only for a confidential client',
    ],
    ['a non-boolean requirePkce', (c) => (c.requirePkce = 'no'), 'client.requirePkce: must be true or false'],
    ['a non-boolean requirePar', (c) => (c.requirePar = 1), 'client.requirePar: must be true or false'],
    [
      'a post-logout redirect URI over plain http',
      (c) => (c.postLogoutRedirectUris = ['http://app.example.com/bye']),
      `client.postLogoutRedirectUris[0]: ${MUST_BE_HTTPS}`,
    ],
    [
      'a post-logout redirect URI with a fragment',
      (c) => (c.postLogoutRedirectUris = ['https://app.example.com/bye#x']),
      'client.postLogoutRedirectUris[0]: must not contain a fragment',
    ],
    [
      'a post-logout redirect URI listed twice',
      (c) => (c.postLogoutRedirectUris = ['https://a.example/bye', 'https://a.example/bye']),
      'client.postLogoutRedirectUris: lists "https://a.example/bye" twice',
    ],
    [
      'a misspelt field',
      (c) => (c.redirectUri = 'https://app.example.com/cb'),
      'client.redirectUri: is not a known field',
    ],
  ])('refuses %s', (_, change, problem) => {
    expect(problemsWith(change)).toContain(problem);
  });

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
  ])('refuses the redirect URI %s for web and native clients alike', (uri) => {
    for (const applicationType of ['web', 'native']) {
      expect(problemsWith((c) => ((c.applicationType = applicationType), (c.redirectUris = [uri])))).toBe(
        `client.redirectUris[0]: ${MUST_BE_HTTPS}`,
      );
    }
  });

  it('accepts a public client, loopback http, and a native client with a reverse-domain private-use scheme', () => {
    expect(problemsWith((c) => (c.tokenEndpointAuthMethod = 'none'))).toBe('');
    expect(
      problemsWith((c) => (c.redirectUris = ['http://localhost:8080/cb', 'http://127.0.0.1/cb', 'http://[::1]:9/cb'])),
    ).toBe('');
    expect(
      problemsWith(
        (c) => ((c.applicationType = 'native'), (c.redirectUris = ['com.example.app:/cb', 'http://127.0.0.1/cb'])),
      ),
    ).toBe('');
    expect(problemsWith((c) => ((c.grantTypes = ['client_credentials']), (c.redirectUris = [])))).toBe('');
    expect(problemsWith((c) => (c.introspection = true))).toBe('');
    expect(problemsWith((c) => ((c.tokenEndpointAuthMethod = 'none'), (c.introspection = false)))).toBe('');
  });

  it('accepts a clientUri of https or loopback http, and refuses any other', () => {
    expect(problemsWith((c) => (c.clientUri = 'https://app.example.com/'))).toBe('');
    expect(problemsWith((c) => (c.clientUri = 'http://localhost:8080/'))).toBe('');
    expect(problemsWith((c) => (c.clientUri = 'javascript:alert(1)'))).toBe(
      'client.clientUri: must be https, or http on localhost / 127.0.0.1 / [::1]',
    );
    expect(problemsWith((c) => (c.clientUri = 'http://app.example.com/'))).toBe(
      'client.clientUri: must be https, or http on localhost / 127.0.0.1 / [::1]',
    );
  });

  it('accepts requirePkce: false on a confidential client, requirePar, and post-logout redirect URIs', () => {
    expect(problemsWith((c) => (c.requirePkce = false))).toBe('');
    expect(problemsWith((c) => ((c.tokenEndpointAuthMethod = 'client_secret_post'), (c.requirePkce = false)))).toBe('');
    expect(problemsWith((c) => ((c.tokenEndpointAuthMethod = 'none'), (c.requirePkce = true)))).toBe('');
    expect(problemsWith((c) => (c.requirePar = true))).toBe('');
    expect(
      problemsWith((c) => (c.postLogoutRedirectUris = ['https://app.example.com/bye', 'http://127.0.0.1/bye'])),
    ).toBe('');
  });

  it('reports every problem at once', () => {
    expect(
      problemsWith((c) => ((c.clientId = 'a b'), (c.scopes = ['a b']), (c.firstParty = 1))).split('\n'),
    ).toHaveLength(3);
  });

  it('never repeats the value of an unknown field', () => {
    const secret = 'do-not-echo-4b1f7c';
    const problems = clientRegistrationProblems({ ...client(), clientSecret: secret });
    expect(problems).toEqual([{ field: 'client.clientSecret', problem: 'is not a known field' }]);
  });

  it('checks the type but not the content of values only known later', () => {
    const pending = (value: unknown) => typeof value === 'string' && value.startsWith('${Token');
    const token = '${Token[TOKEN.1]}';
    const withTokens = {
      ...client(),
      redirectUris: [token, token],
      audience: [token],
      grantTypes: [token, 'authorization_code'],
    };
    expect(clientRegistrationProblems(withTokens, { pending })).toEqual([]);
    expect(clientRegistrationProblems({ ...withTokens, redirectUris: [7] }, { pending })).toEqual([
      { field: 'client.redirectUris[0]', problem: 'must be a non-empty string' },
    ]);
  });
});

describe('registrationOf', () => {
  it('keeps only the fields of a registration', () => {
    const registration: ClientRegistration = {
      clientId: 'app',
      tokenEndpointAuthMethod: 'none',
      redirectUris: ['com.example.app:/cb'],
      grantTypes: ['authorization_code'],
      scopes: ['openid'],
      applicationType: 'native',
    };
    expect(registrationOf({ ...registration, clientSecret: 'x' } as ClientRegistration)).toEqual(registration);
  });
});

describe('usernameProblem', () => {
  it.each([
    ['', 'must not be empty'],
    [' alice', 'must not contain control characters or start or end with white space'],
    ['alice ', 'must not contain control characters or start or end with white space'],
    ['al\u0000ice', 'must not contain control characters or start or end with white space'],
    ['al\nice', 'must not contain control characters or start or end with white space'],
    ['a'.repeat(513), 'must be at most 512 bytes'],
    ['€'.repeat(171), 'must be at most 512 bytes'],
  ])('refuses %j', (username, problem) => {
    expect(usernameProblem(username)).toBe(problem);
  });

  it.each(['alice', 'Alice Example', 'alice@example.com', 'a', 'a'.repeat(512)])('accepts %j', (username) => {
    expect(usernameProblem(username)).toBeUndefined();
  });
});

describe('idProblem', () => {
  it.each(['Acme', '-acme', 'main-', '', 'a/b', 'a_b', 'a'.repeat(64)])('refuses %j', (id) => {
    expect(idProblem(id)).toMatch(/^must be 1-63 characters of a-z, 0-9 and "-"/);
  });

  it.each(['a', 'acme', 'main-eu', '0', 'a'.repeat(63)])('accepts %j', (id) => {
    expect(idProblem(id)).toBeUndefined();
  });
});

describe('the keys of a private_key_jwt client', () => {
  const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaJwk = () => ({ ...rsaKey.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' });
  const ecJwk = () => ({
    ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
    kid: 'ec-1',
    alg: 'ES256',
  });
  const edJwk = () => ({ ...generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }), kid: 'ed-1' });
  const rsaPrivate = () => ({ ...rsaKey.privateKey.export({ format: 'jwk' }), kid: 'rsa-1' });

  const machine = (keys: Client = { jwks: { keys: [rsaJwk()] } }): Client => ({
    clientId: 'svc',
    tokenEndpointAuthMethod: 'private_key_jwt',
    redirectUris: [],
    grantTypes: ['client_credentials'],
    scopes: ['orders:read'],
    ...keys,
  });

  const problemsOf = (c: Client) => clientRegistrationProblems(c).map(({ field, problem }) => `${field}: ${problem}`);

  it('accepts an inline JWK Set of RSA, EC and OKP public keys', () => {
    expect(problemsOf(machine({ jwks: { keys: [rsaJwk(), ecJwk(), edJwk()] } }))).toEqual([]);
  });

  it.each(['https://svc.example.com/.well-known/jwks.json', 'http://localhost:8080/jwks', 'http://127.0.0.1/jwks'])(
    'accepts the jwksUri %s',
    (jwksUri) => {
      expect(problemsOf(machine({ jwksUri }))).toEqual([]);
    },
  );

  it.each<[string, Client, string]>([
    ['neither jwks nor jwksUri', {}, 'client.jwks: is required with private_key_jwt (or jwksUri)'],
    [
      'both jwks and jwksUri',
      { jwks: { keys: [rsaJwk()] }, jwksUri: 'https://svc.example.com/jwks' },
      'client.jwksUri: must not be set together with jwks',
    ],
    [
      'a plain http jwksUri to a remote host',
      { jwksUri: 'http://svc.example.com/jwks' },
      'client.jwksUri: must be https',
    ],
    ['a relative jwksUri', { jwksUri: '/jwks' }, 'client.jwksUri: must be an absolute URI'],
    ['a jwksUri with a fragment', { jwksUri: 'https://svc.example.com/jwks#k' }, 'client.jwksUri: must not contain'],
    ['a JWK Set that is a list', { jwks: [rsaJwk()] }, 'client.jwks: must be an object'],
    ['a JWK Set without keys', { jwks: {} }, 'client.jwks.keys: is required'],
    ['an empty JWK Set', { jwks: { keys: [] } }, 'client.jwks.keys: must list at least one key'],
    ['a JWK Set with other members', { jwks: { keys: [rsaJwk()], x: 1 } }, 'client.jwks.x: is not a known field'],
    ['a key that is not an object', { jwks: { keys: ['rsa'] } }, 'client.jwks.keys[0]: must be an object'],
    ['a key without kty', { jwks: { keys: [{ n: 'x', e: 'AQAB' }] } }, 'client.jwks.keys[0].kty: is required'],
    ['a symmetric key', { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 'client.jwks.keys[0].k: is private key'],
    [
      'an encryption key',
      { jwks: { keys: [{ ...rsaJwk(), use: 'enc' }] } },
      'client.jwks.keys[0].use: must be one of "sig"',
    ],
    ['an HMAC alg', { jwks: { keys: [{ ...rsaJwk(), alg: 'HS256' }] } }, 'client.jwks.keys[0].alg: must be one of'],
    ['alg none', { jwks: { keys: [{ ...rsaJwk(), alg: 'none' }] } }, 'client.jwks.keys[0].alg: must be one of'],
    [
      'an alg that does not fit the key',
      { jwks: { keys: [{ ...ecJwk(), alg: 'ES384' }] } },
      'client.jwks.keys[0].alg: needs a P-384 key',
    ],
    [
      'an EC key on a curve not used for signing here',
      { jwks: { keys: [{ ...ecJwk(), alg: undefined, crv: 'secp256k1' }] } },
      'client.jwks.keys[0].crv: must be one of "P-256", "P-384", "P-521"',
    ],
    [
      'a key whose material is not a key',
      { jwks: { keys: [{ ...ecJwk(), x: 'AAAA' }] } },
      'client.jwks.keys[0]: is not a valid EC public key',
    ],
    [
      'an RSA key under 2048 bits',
      {
        jwks: {
          keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) }],
        },
      },
      'client.jwks.keys[0]: must be an RSA key of at least 2048 bits',
    ],
    [
      'a kid used twice',
      { jwks: { keys: [rsaJwk(), { ...ecJwk(), kid: 'rsa-1' }] } },
      'client.jwks.keys[1].kid: duplicates the kid of client.jwks.keys[0].kid',
    ],
  ])('refuses %s', (_name, keys, problem) => {
    expect(problemsOf(machine(keys)).join('\n')).toContain(problem);
  });

  it('refuses every private member of a key, naming each and repeating none of its value', () => {
    const key = rsaPrivate();
    const problems = problemsOf(machine({ jwks: { keys: [{ ...key, oth: [{}], k: 'c2VjcmV0' }] } }));
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
      expect(problems).toContain(`client.jwks.keys[0].${member}: is private key material: register public keys only`);
    }
    expect(problems.join('\n')).not.toContain(String(key.d));
    expect(problems.join('\n')).not.toContain(String(key.n));
  });

  it.each(['client_secret_basic', 'client_secret_post', 'none'])('refuses keys on a %s client', (method) => {
    const c = {
      ...machine(),
      tokenEndpointAuthMethod: method,
      grantTypes: ['authorization_code'],
      redirectUris: ['https://a.example/cb'],
    };
    expect(problemsOf(c)).toEqual([
      `client.jwks: must not be set with ${method}: only private_key_jwt clients have keys`,
    ]);
    expect(problemsOf({ ...c, jwks: undefined, jwksUri: 'https://a.example/jwks' })).toEqual([
      `client.jwksUri: must not be set with ${method}: only private_key_jwt clients have keys`,
    ]);
  });

  it('checks only the type of a jwksUri known later (a CDK token)', () => {
    const pending = (value: unknown) => typeof value === 'string' && value.startsWith('${Token');
    expect(clientRegistrationProblems(machine({ jwksUri: '${Token[TOKEN.9]}' }), { pending })).toEqual([]);
  });

  it('keeps jwks and jwksUri in registrationOf', () => {
    const registration = machine() as unknown as ClientRegistration;
    expect(registrationOf(registration)).toEqual(registration);
  });
});
