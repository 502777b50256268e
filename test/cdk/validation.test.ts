// Bad props fail at synth time, naming the prop; unresolved tokens are not second-guessed.
import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import {
  AuthorizationServer,
  type AuthorizationServerProps,
  type ClientRegistration,
  GrantType,
} from '../../lib/index.js';
import { backend, baseProps, spa, unbundledApp } from './support.js';

let built = 0;
const build = (props: Partial<AuthorizationServerProps>, stack = new Stack(unbundledApp(), 'Test')) =>
  new AuthorizationServer(stack, `Workspace${++built}`, { ...baseProps, ...props });

const client = (changes: Record<string, unknown>): ClientRegistration => ({ ...spa, ...changes }) as ClientRegistration;

describe('prop validation', () => {
  it.each<[string, Partial<AuthorizationServerProps>]>([
    ['tenantId', { tenantId: 'Acme' }],
    ['tenantId', { tenantId: '-acme' }],
    ['workspaceId', { workspaceId: '' }],
    ['workspaceId', { workspaceId: 'a/b' }],
    ['tenantId', { tenantId: Fn.ref('Tenant') }],
    ['authorizationCodeLifetime', { authorizationCodeLifetime: Duration.minutes(20) }],
    ['accessTokenLifetime', { accessTokenLifetime: Duration.millis(90_500) }],
    ['idTokenLifetime', { idTokenLifetime: Duration.days(2) }],
    ['sessionLifetime', { sessionLifetime: Duration.seconds(5) }],
    ['refreshTokenIdleLifetime', { refreshTokenIdleLifetime: Duration.days(400) }],
    ['refreshTokenAbsoluteLifetime', { refreshTokenAbsoluteLifetime: Duration.seconds(30) }],
    ['clientCacheLifetime', { clientCacheLifetime: Duration.minutes(20) }],
    ['signingAlgorithm', { signingAlgorithm: 'HS256' as never }],
    ['signingKeys', { signingKeys: [] }],
    ['signingKeys[1]', { signingKeys: ['a', 'a'] }],
    ['signingKeys[0]', { signingKeys: ['key-1'] }],
    ['activeSigningKey', { signingKeys: ['a'], activeSigningKey: 'b' }],
    ['signingKeys', { signingKeys: ['a', 'b', 'c', 'd', 'e', 'f'] }],
    ['wafRateLimits.browserRequestsPerAddress', { wafRateLimits: { browserRequestsPerAddress: 5 } }],
    ['wafRateLimits.loginPostsPerAddress', { wafRateLimits: { loginPostsPerAddress: 1.5 } }],
    ['wafRateLimits', { webAclArn: 'arn:aws:wafv2:eu-west-1:1:regional/webacl/x/y', wafRateLimits: {} }],
    ['webAclArn', { waf: false, webAclArn: 'arn:aws:wafv2:eu-west-1:1:regional/webacl/x/y' }],
    ['deletionProtection', { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: true }],
    ['removalPolicy', { removalPolicy: RemovalPolicy.SNAPSHOT }],
    ['throttling.burstLimit', { throttling: { burstLimit: 0 } }],
    ['baseUrl', { baseUrl: 'http://id.example.com' }],
    ['baseUrl', { baseUrl: 'https://id.example.com/?tenant=1' }],
    ['baseUrl', { baseUrl: 'id.example.com' }],
    // One case per kind of client problem; the rules themselves are tested in test/core/registration.test.ts.
    ['clients[0].clientId', { clients: [client({ clientId: 'my client' })] }],
    ['clients[0].clientId', { clients: [client({ clientId: Fn.ref('ClientId') })] }],
    ['clients[0].redirectUris[0]', { clients: [client({ redirectUris: ['http://app.example.com/cb'] })] }],
    [
      'clients[0].redirectUris[0]',
      { clients: [client({ applicationType: 'native', redirectUris: ['javascript:alert(1)'] })] },
    ],
    ['clients[0].redirectUris[0]', { clients: [client({ applicationType: 'native', redirectUris: ['myapp:/cb'] })] }],
    ['clients[0].grantTypes', { clients: [client({ grantTypes: ['client_credentials'] })] }],
    ['clients[0].jwks', { clients: [client({ tokenEndpointAuthMethod: 'private_key_jwt' })] }],
    ['clients[0].requirePkce', { clients: [client({ requirePkce: false })] }],
    [
      'clients[0].postLogoutRedirectUris[0]',
      { clients: [client({ postLogoutRedirectUris: ['http://app.example.com/'] })] },
    ],
    ['requirePushedAuthorizationRequests', { requirePushedAuthorizationRequests: 'yes' as never }],
    ['clients[0].introspection', { clients: [client({ introspection: true })] }],
    ['clients[0].redirectUri', { clients: [client({ redirectUri: 'https://app.example.com/cb' })] }],
    ['clients[1].clientId', { clients: [spa, client({})] }],
  ])('names `%s`', (prop, props) => {
    expect(() => build(props)).toThrow(`\`${prop}\``);
  });

  it('says what is wrong with a client, naming the prop down to the list entry', () => {
    expect(() =>
      build({ clients: [client({ redirectUris: ['https://app.example.com/cb', 'https://app.example.com/cb#x'] })] }),
    ).toThrow('Invalid AuthorizationServer prop `clients[0].redirectUris[1]`: must not contain a fragment (#).');
  });

  it('says why a public client cannot turn PKCE off', () => {
    expect(() => build({ clients: [client({ requirePkce: false })] })).toThrow(
      'Invalid AuthorizationServer prop `clients[0].requirePkce`: can be false only for a confidential client',
    );
    expect(() =>
      build({
        clients: [
          {
            ...backend,
            grantTypes: [GrantType.AUTHORIZATION_CODE],
            redirectUris: ['https://b.example/cb'],
            requirePkce: false,
          },
        ],
      }),
    ).not.toThrow();
  });

  it('names the client passed to addClient', () => {
    // GIVEN
    const server = build({});

    // WHEN / THEN
    expect(() => server.addClient({ ...backend, redirectUris: ['http://x.example/cb'] })).toThrow(
      '`addClient("backend").redirectUris[0]`',
    );
  });

  it('refuses a client secret in a registration without repeating it', () => {
    // GIVEN
    const secret = 'do-not-echo-4b1f7c';

    // WHEN
    const error = (() => {
      try {
        build({ clients: [{ ...backend, clientSecret: secret } as ClientRegistration] });
      } catch (err) {
        return err as Error;
      }
      return undefined;
    })();

    // THEN
    expect(error?.message).toContain('`clients[0].clientSecret`');
    expect(error?.message).not.toContain(secret);
  });

  it('refuses waf and throttling with an existing API, and an API of another stack', () => {
    // GIVEN
    const app = unbundledApp();
    const apiStack = new Stack(app, 'Api');
    const api = new apigw.RestApi(apiStack, 'Api', { cloudWatchRole: false });
    api.root.addMethod('GET');

    // WHEN / THEN
    expect(() => build({ api, waf: true }, apiStack)).toThrow('`waf`');
    expect(() => build({ api, throttling: { rateLimit: 5 } }, apiStack)).toThrow('`throttling`');
    expect(() => build({ api }, new Stack(app, 'Other'))).toThrow('`api`');
    for (const props of [
      { domainName: { domainName: 'id.example.com', certificate: {} as never } },
      { securityPolicy: apigw.SecurityPolicy.TLS_1_2 },
      { cloudWatchRole: true },
    ])
      expect(() => build({ api, ...props }, apiStack)).toThrow(`\`${Object.keys(props)[0]}\``);
  });

  it('throws a ValidationError naming the construct path, so the failing workspace of several is obvious', () => {
    // GIVEN
    const stack = new Stack(unbundledApp(), 'BadStack');

    // WHEN
    let error: Error | undefined;
    try {
      new AuthorizationServer(stack, 'Bad', { ...baseProps, signingKeys: [] });
    } catch (err) {
      error = err as Error;
    }

    // THEN
    expect(error?.name).toBe('ValidationError');
    expect(error?.message).toContain('`signingKeys`');
    expect(error?.message).toContain('(at BadStack/Bad)');
  });

  it('refuses a custom domain with a different baseUrl', () => {
    const certificate = acm.Certificate.fromCertificateArn(
      new Stack(unbundledApp(), 'Certs'),
      'Cert',
      'arn:aws:acm:eu-west-1:111111111111:certificate/abc',
    );
    expect(() =>
      build({ domainName: { domainName: 'id.example.com', certificate }, baseUrl: 'https://other.example.com' }),
    ).toThrow('`baseUrl`');
  });

  it('accepts unresolved tokens where a value is only known at deploy time', () => {
    // WHEN / THEN
    expect(() =>
      build({
        baseUrl: Fn.importValue('IdentityBaseUrl'),
        clients: [
          client({ redirectUris: [Fn.importValue('AppCallbackUrl')], audience: [Fn.importValue('ApiAudience')] }),
        ],
      }),
    ).not.toThrow();
  });

  it('accepts loopback http and private-use schemes for native clients', () => {
    expect(() =>
      build({
        clients: [client({ applicationType: 'native', redirectUris: ['http://127.0.0.1/cb', 'com.example.app:/cb'] })],
      }),
    ).not.toThrow();
  });
});
