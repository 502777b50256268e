// The example app synthesized the way `cdk synth` runs it: cdk-nag, the bundles it writes, and no secret anywhere.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type App, Stack } from 'aws-cdk-lib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { AuthorizationServer } from '../../lib/index.js';
import { coreRegistration } from '../../lib/clients.js';
import { ENV, settingVariable } from '../../lambdas/handlers/environment-contract.js';
import { type HandlerName, handlerNames } from '../../lambdas/handlers/manifest.js';
import { defaultSettings, type WorkspaceSettings } from '../../lambdas/core/workspace.js';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { hashClientSecret, hashPassword, hashToken } from '../../lambdas/core/crypto.js';
import type { ClientRegistration } from '../../lambdas/core/model.js';
import { clientRegistrationProblems } from '../../lambdas/core/registration/registration.js';
import { Agent, type RoutedHandler } from '../support/agent.js';
import { expectSecurityHeaders } from '../support/assertions.js';
import { type ClientKey, JWT_BEARER, newClientKey, signAssertion } from '../support/client-keys.js';
import { type DynamoCounter, startDynamoCounter, WRITE_OPERATIONS } from '../support/dynamo-counter.js';
import { newTestStore, type TestStore } from '../support/dynamo.js';
import { authorizeUrl, basicAuth, follow, obtainCode, submitLogin, tokenForm, validRequest } from '../support/flow.js';
import { type KmsStandIn, startKmsStandIn } from '../support/kms-stand-in.js';
import { captureLines, logRecords } from '../support/log-capture.js';
import { TEST_PASSWORD, TEST_SECRET } from '../support/workspace.js';
import { backend, baseProps, spa, unbundledApp } from './support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STACK = 'AuthorizationServerExample';

type Resource = { Type: string; Properties: Record<string, any> };

/** Every file of a directory tree, recursively. */
function filesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesOf(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** The files of an assembly that contain `needle`. */
const filesContaining = (dir: string, needle: string): string[] =>
  filesOf(dir).filter((f) => readFileSync(f).includes(needle));

describe('example app (bin/app.ts)', () => {
  let outdir: string;
  let template: { Resources: Record<string, Resource>; Outputs: Record<string, unknown> };
  let output: string;

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'authz-cdk-'));
    // What the CDK CLI does with cdk.json's "app": run it with CDK_OUTDIR set. No credentials, no region.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('CDK_')),
    );
    const run = await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsx'), ['bin/app.ts'], {
      cwd: ROOT,
      env: { ...env, CDK_OUTDIR: outdir, AWS_EC2_METADATA_DISABLED: 'true' },
      maxBuffer: 64 * 1024 * 1024,
    });
    output = `${run.stdout}\n${run.stderr}`;
    template = JSON.parse(readFileSync(join(outdir, `${STACK}.template.json`), 'utf8'));
  }, 240_000);

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const resourcesOfType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

  it('synthesizes without AWS credentials or lookups', () => {
    expect(output).not.toMatch(/error/i);
    expect(readdirSync(outdir)).toContain(`${STACK}.template.json`);
  });

  it('passes cdk-nag AwsSolutions: no finding left, every acknowledgement with a reason', () => {
    // GIVEN
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    const nag = report.pluginReports.find((p: { pluginName: string }) => p.pluginName === 'AwsSolutions');

    // THEN
    expect(nag.conclusion).toBe('success');
    expect(nag.violations).toEqual([]);
    for (const s of nag.suppressedViolations) expect(s.reason.length, s.ruleName).toBeGreaterThan(60);
    const acknowledged = [
      ...new Set<string>(nag.suppressedViolations.map((s: { ruleName: string }) => s.ruleName.replace(/\[.*$/, ''))),
    ];
    expect(acknowledged.sort()).toEqual(
      [
        'AwsSolutions-APIG2',
        'AwsSolutions-APIG6',
        'AwsSolutions-IAM4',
        'AwsSolutions-IAM5',
        'AwsSolutions-SMG4',
      ].sort(),
    );
    expect(report.pluginReports.every((p: { conclusion: string }) => p.conclusion === 'success')).toBe(true);
  });

  it('passes cfn-lint with no errors (warnings and informational findings are printed)', async () => {
    // GIVEN: cfn-lint is a CI prerequisite (.ci/run installs it); a missing one fails here rather than skipping
    const file = join(outdir, `${STACK}.template.json`);
    const run = await promisify(execFile)('cfn-lint', ['--format', 'json', '--', file], {
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { code?: unknown; stdout?: string; message: string }) => {
      if (error.code === 'ENOENT')
        throw new Error('cfn-lint is not installed: `pip install cfn-lint` (see .ci/run); this test needs it.');
      return { stdout: error.stdout ?? '' }; // cfn-lint exits non-zero when it finds anything, warnings included
    });
    const findings = JSON.parse(run.stdout || '[]') as { Level: string; Rule: { Id: string }; Message: string }[];

    // THEN
    const byRule: Record<string, number> = {};
    for (const f of findings) byRule[`${f.Level} ${f.Rule.Id}`] = (byRule[`${f.Level} ${f.Rule.Id}`] ?? 0) + 1;
    console.info('cfn-lint findings', byRule);
    expect(findings.filter((f) => f.Level === 'Error').map((f) => `${f.Rule.Id}: ${f.Message}`)).toEqual([]);
  });

  it("deploys two tenants' workspaces, each with a public SPA and a confidential backend client", () => {
    // THEN
    const clients = resourcesOfType('Custom::AuthorizationServerClients').map(([, r]) =>
      JSON.stringify(r.Properties.Clients),
    );
    expect(clients).toHaveLength(2);
    for (const tenant of ['acme', 'globex']) {
      const own = clients.find((c) => c.includes(`${tenant}-spa`)) ?? '';
      expect(own).toContain(`${tenant}-backend`);
      expect(own).toContain('secretArn');
    }
    expect(resourcesOfType('AWS::SecretsManager::Secret')).toHaveLength(2);
    expect(resourcesOfType('AWS::ApiGateway::RestApi')).toHaveLength(2);
  });

  it("protects the demo API with the built-in JWT authorizer on each workspace's issuer and audience", () => {
    // GIVEN
    const authorizers = resourcesOfType('AWS::ApiGatewayV2::Authorizer').map(([, r]) => r.Properties);
    const routes = resourcesOfType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);

    // THEN
    expect(authorizers).toHaveLength(2);
    for (const [tenant, workspace] of [
      ['acme', 'customers'],
      ['globex', 'staff'],
    ]) {
      const authorizer = authorizers.find((a) =>
        JSON.stringify(a.JwtConfiguration.Issuer).includes(`/prod/${tenant}/${workspace}`),
      );
      expect(authorizer).toMatchObject({
        AuthorizerType: 'JWT',
        JwtConfiguration: { Audience: [`https://api.${tenant}.example`] },
      });
      expect(routes.find((r) => r.RouteKey === `GET /${tenant}/orders`)).toMatchObject({
        AuthorizationType: 'JWT',
        AuthorizationScopes: ['orders:read'],
      });
    }
  });

  describe('bundles', () => {
    /** Handler name → the bundle `cdk synth` wrote for the first workspace's function. */
    const bundles = (): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const [id, r] of resourcesOfType('AWS::Lambda::Function')) {
        const name = id.startsWith('AuthorizationServerClientSyncHandlerFunction')
          ? 'clients'
          : id.match(/^acmecustomers(\w+?)HandlerFunction/)?.[1];
        if (!name) continue;
        const hash = String(r.Properties.Code.S3Key).replace(/\.zip$/, '');
        out[name.charAt(0).toLowerCase() + name.slice(1)] = join(outdir, `asset.${hash}`, 'index.mjs');
      }
      return out;
    };

    it('writes one minified ESM bundle under 1 MiB per handler module and for the client sync', () => {
      // GIVEN
      const found = bundles();
      const sizes: Record<string, string> = {};

      // THEN
      expect(Object.keys(found).sort()).toEqual([...handlerNames, 'clients'].sort());
      for (const [name, file] of Object.entries(found)) {
        const code = readFileSync(file, 'utf8');
        sizes[name] = `${(statSync(file).size / 1024).toFixed(0)} KiB`;
        expect(statSync(file).size, name).toBeLessThan(1024 * 1024);
        expect(code.startsWith("import { createRequire as __createRequire } from 'node:module';")).toBe(true);
        // Minified: most of the code is on lines of thousands of characters (the few line breaks left are inside
        // template literals, such as the hosted pages' markup).
        const onLongLines = code
          .split('\n')
          .filter((line) => line.length > 1000)
          .reduce((sum, line) => sum + line.length, 0);
        expect(onLongLines / code.length, name).toBeGreaterThan(0.5);
      }
      console.info('bundle sizes', sizes);
    });

    it('load with nothing but Node built-ins: the SDK, jose and our code are inside each bundle', async () => {
      // GIVEN: the assembly lives in a temporary directory with no node_modules above it
      expect(outdir.startsWith(ROOT)).toBe(false);

      // WHEN
      const loaded = await Promise.all(
        Object.entries(bundles()).map(async ([name, file]) => {
          const { stdout } = await promisify(execFile)(
            process.execPath,
            [
              '--input-type=module',
              '-e',
              `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(typeof m.handler);`,
            ],
            { env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1' } },
          );
          return [name, stdout.trim()];
        }),
      );

      // THEN
      expect(Object.fromEntries(loaded)).toEqual(Object.fromEntries(loaded.map(([name]) => [name, 'function'])));
    });

    describe('driven against DynamoDB Local and a KMS stand-in, exactly as deployed', () => {
      const issuer = 'https://auth.example.com/prod/acme/customers';
      const SPA_CALLBACK = 'https://spa.example.com/callback';
      const OFFLINE_CALLBACK = 'https://offline.example.com/cb';
      const SIGNED_OUT = 'https://offline.example.com/signed-out';
      const API = 'https://api.acme.example';
      const REQUEST_URI = /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/;

      /** A public client that gets refresh tokens and may return somewhere after signing out. */
      const offline: ClientRegistration = {
        clientId: 'offline',
        clientName: 'Offline app',
        tokenEndpointAuthMethod: 'none',
        redirectUris: [OFFLINE_CALLBACK],
        grantTypes: ['authorization_code', 'refresh_token'],
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        audience: [API],
        postLogoutRedirectUris: [SIGNED_OUT],
      };
      /** A resource server: it may introspect tokens. */
      const ordersApi: ClientRegistration = {
        clientId: 'orders-api',
        tokenEndpointAuthMethod: 'client_secret_basic',
        redirectUris: [],
        grantTypes: ['client_credentials'],
        scopes: [],
        introspection: true,
      };
      /** Machine clients, one with a secret and one with a key pair. */
      const service: ClientRegistration = {
        clientId: 'svc',
        tokenEndpointAuthMethod: 'client_secret_basic',
        redirectUris: [],
        grantTypes: ['client_credentials'],
        scopes: ['orders:read'],
        audience: [API],
      };
      const keyHolder = (key: ClientKey): ClientRegistration => ({
        ...service,
        clientId: 'svc-jwt',
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [key.jwk] },
      });

      let kms: KmsStandIn;
      let dynamo: DynamoCounter;
      let store: TestStore;
      let handlers: RoutedHandler[];
      let machineKey: ClientKey;
      /** The variables the construct declares, by the handler whose function declares them. */
      let declared: Record<string, string[]>;
      /** This run's values of the variables the construct sets. */
      let values: Record<string, string>;
      /** What the bundles wrote during the current test. */
      let lines: string[] = [];
      /** The same, parsed. */
      const logged = (): Record<string, any>[] => logRecords(lines);

      beforeAll(async () => {
        kms = await startKmsStandIn({ 'key-1': 'RS256' });
        dynamo = await startDynamoCounter(inject('dynamoDbEndpoint'));
        store = await newTestStore();
        declared = {};
        for (const name of handlerNames) {
          const pascal = name.charAt(0).toUpperCase() + name.slice(1);
          const fn = resourcesOfType('AWS::Lambda::Function').find(([id]) =>
            id.startsWith(`acmecustomers${pascal}HandlerFunction`),
          )![1];
          declared[name] = Object.keys(fn.Properties.Environment?.Variables ?? {});
        }
        values = {
          [ENV.tableName]: store.tableName,
          [ENV.tenantId]: 'acme',
          [ENV.workspaceId]: 'customers',
          [ENV.issuer]: issuer,
          [ENV.signingAlg]: 'RS256',
          [ENV.signingKeyIds]: 'key-1',
          [ENV.activeSigningKeyId]: 'key-1',
        };
        // The bundles' own SDK clients pointed at DynamoDB Local (through a counter) and the KMS stand-in by the
        // standard endpoint variables, and the environment the construct sets (values of this test run).
        Object.assign(process.env, values, {
          AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
          AWS_ENDPOINT_URL_KMS: kms.endpoint,
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
        });
        await store.stores.directory.putClient({
          ...coreRegistration(spa),
          redirectUris: [SPA_CALLBACK],
          scopes: ['openid', 'profile', 'email'],
        });
        machineKey = await newClientKey('ES256');
        // Registrations the construct, the config file and the admin tooling would all accept; the confidential
        // ones with a hashed secret, as the client sync stores them.
        for (const client of [offline, ordersApi, service, keyHolder(machineKey)]) {
          expect(clientRegistrationProblems(client), client.clientId).toEqual([]);
          const withSecret = client.tokenEndpointAuthMethod.startsWith('client_secret_');
          await store.stores.directory.putClient({
            ...client,
            ...(withSecret && { secretHash: hashClientSecret(TEST_SECRET) }),
          });
        }
        await store.stores.directory.createUser({
          sub: 'sub-alice',
          username: 'alice',
          passwordHash: await hashPassword(TEST_PASSWORD),
          claims: { email: 'alice@example.com' },
        });
        handlers = await Promise.all(
          Object.entries(bundles())
            .filter(([name]) => name !== 'clients')
            .map(async ([, file]) => (await import(/* @vite-ignore */ pathToFileURL(file).href)).handler),
        );
      }, 120_000);

      afterAll(async () => {
        await kms?.stop();
        await dynamo?.stop();
      });

      beforeEach(() => {
        // The bundles log as deployed: these tests read their request and audit lines.
        vi.stubEnv('AUTHZ_LOG', 'on');
        lines = [];
        captureLines(lines);
      });

      afterEach(() => {
        vi.restoreAllMocks();
        vi.unstubAllEnvs();
      });

      /** A browser (or a client's HTTP stack): its own cookies, the bundled handlers behind it. */
      const browser = () => new Agent({ issuer, handlers });

      /** The audit events the bundles logged in this test of `event`, without the workspace's names. */
      const audited = (event: string) =>
        logged()
          .filter((l) => l.message === 'audit' && l.event === event)
          .map(
            ({
              level: _l,
              message: _m,
              time: _t,
              event: _e,
              tenantId: _ti,
              workspaceId: _w,
              requestId: _r,
              ...fields
            }) => fields,
          );

      /** What the bundles logged as the reason they refused a request in this test. */
      const refusals = () =>
        logged()
          .filter((l) => l.message === 'request' && l.status >= 400 && l.status < 500)
          .map((l) => ({ route: l.Endpoint, status: l.status, error: l.Error, detail: l.detail }));

      /** The KMS and DynamoDB calls made from here on. */
      function meter() {
        const before = { kms: new Map(kms.calls), dynamo: new Map(dynamo.calls) };
        const since = (service: 'kms' | 'dynamo') => {
          const now = service === 'kms' ? kms.calls : dynamo.calls;
          return Object.fromEntries(
            [...now].map(([op, n]) => [op, n - (before[service].get(op) ?? 0)]).filter(([, n]) => n !== 0),
          ) as Record<string, number>;
        };
        return {
          kms: (op: string) => since('kms')[op] ?? 0,
          writes: () => WRITE_OPERATIONS.reduce((n, op) => n + (since('dynamo')[op] ?? 0), 0),
          figures: () => ({ kms: since('kms'), dynamodb: since('dynamo') }),
        };
      }

      /** The key set the bundled JWKS endpoint publishes. */
      const bundledJwks = async () => createLocalJWKSet((await browser().get('.well-known/jwks.json')).json());

      interface Tokens {
        readonly access_token: string;
        readonly id_token: string;
        readonly refresh_token?: string;
        /** The nonce of the authorization request. */
        readonly nonce: string;
      }

      /** alice signs in at `clientId` in `agent`'s browser, and the client redeems the code it gets back. */
      async function signIn(agent: Agent, clientId: string, redirectUri: string, scope: string) {
        const { params, verifier } = validRequest(clientId, redirectUri, scope);
        const code = (await obtainCode(agent, params)).searchParams.get('code')!;
        const res = await agent.post('oauth2/token', {
          form: {
            grant_type: 'authorization_code',
            code,
            code_verifier: verifier,
            redirect_uri: redirectUri,
            client_id: clientId,
          },
        });
        expect(res.status, res.body).toBe(200);
        return { ...res.json(), nonce: params.nonce } as Tokens;
      }

      const refresh = (refreshToken: string) =>
        browser().post('oauth2/token', {
          form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: offline.clientId },
        });

      /** What the resource server learns of `token`. */
      async function introspect(token: string): Promise<Record<string, unknown>> {
        const res = await browser().post('oauth2/introspect', {
          form: { token },
          headers: { Authorization: basicAuth(ordersApi.clientId, TEST_SECRET) },
        });
        expect(res.status, res.body).toBe(200);
        expect(res.headers['cache-control']).toBe('no-store');
        return res.json();
      }

      const table = async () =>
        (await store.doc.send(new ScanCommand({ TableName: store.tableName, ConsistentRead: true }))).Items ?? [];

      it('drive a full code flow against DynamoDB Local and a KMS stand-in, exactly as deployed', async () => {
        // GIVEN: the environment every handler function of the workspace declares is the one set above
        expect(declared.token!.sort()).toEqual(Object.keys(values).sort());
        for (const [name, variables] of Object.entries(declared))
          expect(variables.sort(), name).toEqual(Object.keys(values).sort());
        const used = meter();
        const agent = browser();
        const { params, verifier } = validRequest(spa.clientId, SPA_CALLBACK);
        const code = (await obtainCode(agent, params)).searchParams.get('code')!;
        const form = { ...tokenForm(code, verifier), client_id: spa.clientId };

        // WHEN: KMS fails for one token request, then works
        kms.failNextSigns(1);
        const failed = await agent.post('oauth2/token', { form });
        const res = await agent.post('oauth2/token', { form });

        // THEN: the failure is a clean server_error that consumed nothing; the retry gets tokens that verify against the bundled JWKS
        expect(failed.status).toBe(500);
        expect(failed.json().error).toBe('server_error');
        // and its one line counts the KMS failure for the workspace the environment names
        expect(logged().find((l) => l.message === 'request' && l.status === 500)).toMatchObject({
          Workspace: `${values.TENANT_ID}/${values.WORKSPACE_ID}`,
          Endpoint: 'POST /oauth2/token',
          Error: 'server_error',
          KmsErrors: 1,
        });
        expect(res.status).toBe(200);
        const { keys } = (await agent.get('.well-known/jwks.json')).json();
        const jwks = createLocalJWKSet({ keys });
        const id = await jwtVerify(res.json().id_token, jwks, { issuer, audience: spa.clientId });
        expect(id.payload).toMatchObject({ sub: 'sub-alice', nonce: params.nonce, email: 'alice@example.com' });
        const info = await agent.get('userinfo', { headers: { Authorization: `Bearer ${res.json().access_token}` } });
        expect(info.json()).toEqual({ sub: 'sub-alice', email: 'alice@example.com' });
        expect((await agent.post('oauth2/token', { form })).json().error).toBe('invalid_grant');
        // two signatures per token response, made together (the failed request asked for both); the public key
        // fetched once per function that needs it
        expect(used.kms('Sign')).toBe(2 + 2);
        expect(used.kms('GetPublicKey')).toBeLessThanOrEqual(3);
        console.info('code flow', used.figures());
      }, 60_000);

      it('take a pushed authorization request once: the sign-in it starts keeps its state, nonce and PKCE; a second use gets the invalid_request_uri page', async () => {
        // GIVEN: spa pushes its request
        vi.stubEnv('AUTHZ_LOG_LEVEL', 'debug');
        const used = meter();
        const { params, verifier } = validRequest(spa.clientId, SPA_CALLBACK);
        const pushed = await browser().post('oauth2/par', { form: params as Record<string, string> });
        expect(pushed.status, pushed.body).toBe(201);
        expect(pushed.headers['cache-control']).toBe('no-store');
        expect(pushed.json()).toEqual({ request_uri: expect.stringMatching(REQUEST_URI), expires_in: 60 });
        const byReference = { client_id: spa.clientId, request_uri: pushed.json().request_uri };

        // WHEN: the browser comes with nothing but client_id and request_uri, alice signs in, spa redeems the code
        const agent = browser();
        const started = await agent.get(authorizeUrl(byReference));
        const login = await follow(agent, started);
        let res = await submitLogin(agent, login);
        while (res.location?.pathname.endsWith('/consent')) res = await follow(agent, res);
        const back = res.location!;
        const tokens = await agent.post('oauth2/token', {
          form: { ...tokenForm(back.searchParams.get('code')!, verifier), client_id: spa.clientId },
        });
        // WHEN: the request_uri comes again
        const again = await browser().get(authorizeUrl(byReference));

        // THEN: the sign-in ran on the pushed parameters, and tokens came of it
        expect(started.location?.pathname).toBe('/prod/acme/customers/consent');
        expect(login.body).toContain('name="password"');
        expect(`${back.origin}${back.pathname}`).toBe(SPA_CALLBACK);
        expect(back.searchParams.get('state')).toBe(params.state);
        expect(back.searchParams.get('iss')).toBe(issuer);
        expect(tokens.status, tokens.body).toBe(200);
        const id = await jwtVerify(tokens.json().id_token, await bundledJwks(), { issuer, audience: spa.clientId });
        expect(id.payload).toMatchObject({ sub: 'sub-alice', nonce: params.nonce });
        // THEN: the second use is a page, never a redirect, and the reason logged is invalid_request_uri
        expect(again.status).toBe(400);
        expect(again.location).toBeUndefined();
        expect(again.headers['content-type']).toMatch(/^text\/html/);
        expectSecurityHeaders(again.headers);
        expect(again.body).toContain('This sign-in request has expired or was already used.');
        expect(refusals()).toEqual([
          {
            route: 'GET /oauth2/authorize',
            status: 400,
            error: 'invalid_request_uri',
            detail: 'request_uri already used',
          },
        ]);
        // only the token response signs: two signatures
        expect(used.kms('Sign')).toBe(2);
        console.info('pushed authorization request', used.figures());
      }, 60_000);

      it('rotate refresh tokens, revoke the family on replay, and let a resource server introspect and a client revoke', async () => {
        // GIVEN: alice signed in at offline with offline_access
        const used = meter();
        const agent = browser();
        const first = await signIn(agent, offline.clientId, OFFLINE_CALLBACK, 'openid profile offline_access');
        const grantId = decodeJwt(first.access_token).gid;
        const activeFirst = await introspect(first.access_token);

        // WHEN: offline refreshes, then the first refresh token is replayed, then the successor is used
        const rotated = await refresh(first.refresh_token!);
        const second = rotated.json();
        const liveSuccessor = await introspect(second.refresh_token);
        const afterRotation = meter();
        const replayed = await refresh(first.refresh_token!);
        const signedForReplay = afterRotation.kms('Sign');
        const successor = await refresh(second.refresh_token);
        const signedForSuccessor = afterRotation.kms('Sign') - signedForReplay;

        // THEN: the rotation gave new tokens of the same grant, the refreshed ID token keeps auth_time and drops the nonce
        expect(first.refresh_token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
        expect(rotated.status, rotated.body).toBe(200);
        expect(rotated.headers['cache-control']).toBe('no-store');
        expect(second).toMatchObject({
          token_type: 'Bearer',
          expires_in: 3600,
          scope: 'openid profile offline_access',
        });
        expect(second.refresh_token).not.toBe(first.refresh_token);
        expect(second.access_token).not.toBe(first.access_token);
        const jwks = await bundledJwks();
        const access = await jwtVerify(second.access_token, jwks, { issuer, typ: 'at+jwt', audience: API });
        expect(access.payload).toMatchObject({ sub: 'sub-alice', client_id: offline.clientId, gid: grantId });
        const original = await jwtVerify(first.id_token, jwks, { issuer, audience: offline.clientId });
        const reissued = await jwtVerify(second.id_token, jwks, { issuer, audience: offline.clientId });
        expect(original.payload.nonce).toBe(first.nonce);
        expect(reissued.payload.nonce).toBeUndefined();
        expect(reissued.payload.auth_time).toBe(original.payload.auth_time);
        // THEN: the replay and the successor are invalid_grant, and the first access token no longer stands
        expect(replayed.status).toBe(400);
        expect(replayed.json()).toMatchObject({ error: 'invalid_grant' });
        expect(successor.status).toBe(400);
        expect(successor.json()).toMatchObject({ error: 'invalid_grant' });
        expect(audited('refresh.replayed')).toEqual([{ clientId: offline.clientId, grantId }]);
        const claims = decodeJwt(first.access_token);
        expect(activeFirst).toEqual({
          active: true,
          token_type: 'Bearer',
          scope: 'openid profile offline_access',
          client_id: offline.clientId,
          sub: 'sub-alice',
          // granted openid, so the issuer (for UserInfo) stands beside the API in aud
          aud: [API, issuer],
          iss: issuer,
          exp: claims.exp,
          iat: claims.iat,
          jti: claims.jti,
        });
        expect(liveSuccessor).toMatchObject({ active: true, token_type: 'refresh_token', client_id: offline.clientId });
        expect(await introspect(first.access_token)).toEqual({ active: false });
        expect(await introspect(second.access_token)).toEqual({ active: false });
        expect(await introspect(second.refresh_token)).toEqual({ active: false });

        // WHEN: alice signs in again (her session skips the login) and offline revokes the new access token
        const third = await signIn(agent, offline.clientId, OFFLINE_CALLBACK, 'openid profile offline_access');
        const activeThird = await introspect(third.access_token);
        const revoked = await browser().post('oauth2/revoke', {
          form: { token: third.access_token, client_id: offline.clientId },
        });

        // THEN: 200 with nothing in it; the access token introspects inactive, the refresh token of its grant stands
        expect(activeThird.active).toBe(true);
        expect(revoked.status).toBe(200);
        expect(revoked.body).toBe('');
        expect(revoked.headers['cache-control']).toBe('no-store');
        expect(await introspect(third.access_token)).toEqual({ active: false });
        expect((await introspect(third.refresh_token!)).active).toBe(true);
        expect(audited('token.revoked')).toEqual([
          { clientId: offline.clientId, jti: decodeJwt(third.access_token).jti, tokenType: 'access_token' },
        ]);
        // two signatures per token response (code, refresh, code); the replay, revocation and introspection sign
        // nothing, and verify with a public key each function (token, userinfo, jwks) fetched at most once
        expect(signedForReplay).toBe(0);
        // the successor's family is found revoked by the conditional write of its rotation, after its tokens
        // were signed (a read of the token alone cannot tell): two signatures for nothing
        expect(signedForSuccessor).toBe(2);
        expect(used.kms('Sign')).toBe(2 + 2 + 2 + signedForSuccessor);
        expect(used.kms('GetPublicKey')).toBeLessThanOrEqual(3);
        console.info('token lifecycle', used.figures());
      }, 60_000);

      it('issue client_credentials tokens to a client_secret_basic and a private_key_jwt client, a client assertion taken once', async () => {
        // GIVEN
        vi.stubEnv('AUTHZ_LOG_LEVEL', 'debug');
        const jwks = await bundledJwks();
        const items = (await table()).length;
        const used = meter();
        const request = (form: Record<string, string>, headers: Record<string, string> = {}) =>
          browser().post('oauth2/token', { form: { grant_type: 'client_credentials', ...form }, headers });

        // WHEN: svc authenticates with its secret, then with a wrong one
        const withSecret = await request({ scope: 'orders:read' }, { Authorization: basicAuth('svc', TEST_SECRET) });
        const writesWithSecret = used.writes();
        const wrongSecret = await request({}, { Authorization: basicAuth('svc', 'not-the-secret') });
        // WHEN: svc-jwt authenticates with an assertion signed by its registered key, then replays it
        const assertion = await signAssertion(machineKey, {
          now: Date.now(),
          clientId: 'svc-jwt',
          aud: `${issuer}/oauth2/token`,
        });
        const byAssertion = { client_assertion_type: JWT_BEARER, client_assertion: assertion };
        const withKey = await request(byAssertion);
        const replayed = await request(byAssertion);

        // THEN: both got a token for themselves that verifies against the bundled JWKS
        for (const [res, clientId] of [
          [withSecret, 'svc'],
          [withKey, 'svc-jwt'],
        ] as const) {
          expect(res.status, res.body).toBe(200);
          expect(res.headers['cache-control']).toBe('no-store');
          expect(res.json()).toEqual({
            access_token: expect.any(String),
            token_type: 'Bearer',
            expires_in: 3600,
            scope: 'orders:read',
          });
          const { payload } = await jwtVerify(res.json().access_token, jwks, { issuer, typ: 'at+jwt', audience: API });
          expect(payload).toMatchObject({ sub: clientId, client_id: clientId, aud: API, scope: 'orders:read' });
          expect(payload).not.toHaveProperty('gid');
          expect(payload).not.toHaveProperty('auth_time');
        }
        // THEN: the wrong secret and the replayed assertion are invalid_client, with the challenge
        for (const res of [wrongSecret, replayed]) {
          expect(res.status).toBe(401);
          expect(res.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
          expect(res.headers['www-authenticate']).toMatch(/^Basic /);
        }
        expect(refusals().map((r) => r.detail)).toEqual([expect.any(String), 'assertion jti replayed']);
        expect(audited('assertion.replayed')).toEqual([{ clientId: 'svc-jwt' }]);
        expect(lines.join('\n')).not.toContain(assertion);
        // THEN: a token for a secret writes nothing; the assertion's jti and the wrong secret's failure counter are
        // the two items written
        expect(writesWithSecret).toBe(0);
        expect((await table()).length).toBe(items + 2);
        expect(used.kms('Sign')).toBe(2);
        console.info('client credentials', used.figures());
      }, 60_000);

      it('end the session on RP-initiated logout with an id_token_hint and return with the state; prompt=none then needs a login', async () => {
        // GIVEN: alice signed in at offline in a browser, whose session answers prompt=none
        const used = meter();
        const agent = browser();
        const scope = 'openid profile';
        const { id_token: idToken } = await signIn(agent, offline.clientId, OFFLINE_CALLBACK, scope);
        const sid = agent.cookies.get('authz_session')!;
        const silent = () =>
          agent.get(
            authorizeUrl({ ...validRequest(offline.clientId, OFFLINE_CALLBACK, scope).params, prompt: 'none' }),
          );
        const before = await silent();
        const session = async () =>
          (
            await store.doc.send(
              new GetCommand({ TableName: store.tableName, Key: { pk: `SESSION#${hashToken(sid)}` } }),
            )
          ).Item;
        const stored = await session();

        // WHEN
        const state = 'a b+c/d?e=&f%20g<h>';
        const res = await agent.get(
          `oauth2/logout?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: SIGNED_OUT, state })}`,
        );
        const after = await silent();

        // THEN: redirected to the registered URI with the state as sent, the session gone and its cookie cleared
        expect(before.location?.searchParams.get('code')).toBeTruthy();
        expect(stored).toBeDefined();
        expect(res.status).toBe(302);
        expect(res.location!.href.startsWith(`${SIGNED_OUT}?state=`)).toBe(true);
        expect(res.location!.searchParams.get('state')).toBe(state);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.setCookies).toEqual([
          'authz_session=; Path=/prod/acme/customers/; HttpOnly; SameSite=Lax; Max-Age=0; Secure',
        ]);
        expect(agent.cookies.has('authz_session')).toBe(false);
        expect(await session()).toBeUndefined();
        expect(audited('session.ended')).toEqual([{ sub: 'sub-alice', clientId: offline.clientId }]);
        // THEN: prompt=none finds no session, even with the old cookie replayed
        expect(after.location?.searchParams.get('error')).toBe('login_required');
        const replay = browser();
        replay.cookies.set('authz_session', sid);
        const replayed = await replay.get(
          authorizeUrl({ ...validRequest(offline.clientId, OFFLINE_CALLBACK, scope).params, prompt: 'none' }),
        );
        expect(replayed.location?.searchParams.get('error')).toBe('login_required');
        // the code exchange signs twice; the hint is verified with a public key, the logout signs nothing
        expect(used.kms('Sign')).toBe(2);
        expect(used.kms('GetPublicKey')).toBeLessThanOrEqual(2);
        console.info('logout', used.figures());
      }, 60_000);
    });

    it('uses the same bundle for a handler in every workspace', () => {
      // THEN
      for (const name of handlerNames as readonly HandlerName[]) {
        const pascal = name.charAt(0).toUpperCase() + name.slice(1);
        const keys = resourcesOfType('AWS::Lambda::Function')
          .filter(([id]) => new RegExp(`^(acmecustomers|globexstaff)${pascal}HandlerFunction`).test(id))
          .map(([, r]) => r.Properties.Code.S3Key);
        expect(keys).toHaveLength(2);
        expect(new Set(keys).size).toBe(1);
      }
    });
  });

  describe('secrets', () => {
    it('are generated by CloudFormation: no secret value in any template', () => {
      // THEN
      for (const [, secret] of resourcesOfType('AWS::SecretsManager::Secret')) {
        expect(secret.Properties.SecretString).toBeUndefined();
        expect(secret.Properties.GenerateSecretString).toMatchObject({
          GenerateStringKey: 'clientSecret',
          PasswordLength: 64,
        });
      }
      for (const file of filesOf(outdir).filter((f) => f.endsWith('.template.json'))) {
        expect(readFileSync(file, 'utf8')).not.toMatch(/"SecretString"|"(client_?secret|password)"\s*:/i);
      }
    });

    it('never reach a Lambda environment: only the workspace contract and framework wiring are there', () => {
      // GIVEN
      const allowed = new Set<string>([
        ...Object.values(ENV),
        ...(Object.keys(defaultSettings) as (keyof WorkspaceSettings)[]).map(settingVariable),
        'USER_ON_EVENT_FUNCTION_ARN',
      ]);

      // THEN
      for (const [id, fn] of resourcesOfType('AWS::Lambda::Function')) {
        for (const [name, value] of Object.entries<unknown>(fn.Properties.Environment?.Variables ?? {})) {
          expect(allowed.has(name), `${id}: ${name}`).toBe(true);
          if (typeof value === 'string') expect(value, `${id}: ${name}`).not.toMatch(/^[A-Za-z0-9+/_-]{32,}$/);
        }
      }
    });

    it('leave no secret-shaped value in the assembly outside the bundled code', () => {
      // GIVEN: what a generated client secret looks like (64 letters and digits, not a hex hash);
      // CloudFormation logical ids can look the same and are the only expected matches.
      const secretShaped = /(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[G-Zg-z])[A-Za-z0-9]{64}(?![A-Za-z0-9])/g;
      const logicalIds = new Set([...Object.keys(template.Resources), ...Object.keys(template.Outputs)]);

      // THEN
      const suspicious = filesOf(outdir)
        .filter((f) => !/\/asset\.[^/]+\//.test(f))
        .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(secretShaped)].map((m) => m[0]))
        .filter((value) => !logicalIds.has(value));
      expect(suspicious).toEqual([]);
    });

    it('given to the construct are refused and appear nowhere in its assembly, while public client data does', () => {
      // GIVEN
      const canary = `canary-${Date.now().toString(36)}-Xq7Zr2`;
      const stack = new Stack(unbundledApp(), 'Canary');
      const server = new AuthorizationServer(stack, 'Workspace', { ...baseProps, clients: [spa] });

      // WHEN
      const attempts = [
        () => server.addClient({ ...backend, clientSecret: canary } as never),
        () => server.addClient({ ...backend, client_secret: canary } as never),
        () => server.addClient({ ...backend, password: canary } as never),
      ];
      const errors = attempts.map((attempt) => {
        try {
          attempt();
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      });
      server.addClient({ ...backend, clientName: `Public name ${canary}` });
      const dir = (stack.node.root as App).synth().directory;

      // THEN
      expect(errors.every((e) => e?.includes('secrets never go into a template'))).toBe(true);
      expect(errors.join()).not.toContain(canary);
      // The scan sees the canary where it is public (the client's name), so its absence elsewhere means something.
      expect(filesContaining(dir, canary).map((f) => f.slice(dir.length))).toEqual(['/Canary.template.json']);
      expect(readFileSync(join(dir, 'Canary.template.json'), 'utf8').split(canary)).toHaveLength(2);
    });
  });
});
