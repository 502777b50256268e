// The example app synthesized the way `cdk synth` runs it: cdk-nag, the bundles it writes, and no secret anywhere.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuthorizationServer } from '../../lib/index.js';
import { ENV, settingVariable } from '../../lambdas/handlers/environment-contract.js';
import { type HandlerName, handlerNames } from '../../lambdas/handlers/manifest.js';
import { defaultSettings, type WorkspaceSettings } from '../../lambdas/core/workspace.js';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { hashPassword } from '../../lambdas/core/crypto.js';
import { Agent, type RoutedHandler } from '../support/agent.js';
import { newTestStore } from '../support/dynamo.js';
import { obtainCode, tokenForm, validRequest } from '../support/flow.js';
import { startKmsStandIn } from '../support/kms-stand-in.js';
import { TEST_PASSWORD } from '../support/workspace.js';
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
        'AwsSolutions-APIG4',
        'AwsSolutions-APIG6',
        'AwsSolutions-COG4',
        'AwsSolutions-IAM4',
        'AwsSolutions-IAM5',
        'AwsSolutions-SMG4',
      ].sort(),
    );
    expect(report.pluginReports.every((p: { conclusion: string }) => p.conclusion === 'success')).toBe(true);
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
        const name = id.match(/^acmecustomers(\w+?)HandlerFunction/)?.[1];
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
        // Minified: lines run to thousands of characters (the few line breaks left are inside template literals).
        expect(code.length / code.split('\n').length, name).toBeGreaterThan(2000);
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

    it('drive a full code flow against DynamoDB Local and a KMS stand-in, exactly as deployed', async () => {
      // GIVEN: the bundles' own SDK clients pointed at DynamoDB Local and the KMS stand-in by the
      // standard endpoint variables, and the environment the construct sets (values of this test run)
      const kms = await startKmsStandIn({ 'key-1': 'RS256' });
      const { stores, tableName } = await newTestStore();
      const fn = resourcesOfType('AWS::Lambda::Function').find(([id]) =>
        id.startsWith('acmecustomersTokenHandlerFunction'),
      )![1];
      const declared = Object.keys(fn.Properties.Environment.Variables);
      const issuer = 'https://auth.example.com/prod/acme/customers';
      const values: Record<string, string> = {
        [ENV.tableName]: tableName,
        [ENV.tenantId]: 'acme',
        [ENV.workspaceId]: 'customers',
        [ENV.issuer]: issuer,
        [ENV.signingAlg]: 'RS256',
        [ENV.signingKeyIds]: 'key-1',
        [ENV.activeSigningKeyId]: 'key-1',
      };
      expect(declared.sort()).toEqual(Object.keys(values).sort());
      Object.assign(process.env, values, {
        AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoDbEndpoint'),
        AWS_ENDPOINT_URL_KMS: kms.endpoint,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      });
      await stores.directory.putClient({
        ...spa,
        redirectUris: ['https://spa.example.com/callback'],
        scopes: ['openid', 'profile', 'email'],
      });
      await stores.directory.createUser({
        sub: 'sub-alice',
        username: 'alice',
        passwordHash: await hashPassword(TEST_PASSWORD),
        claims: { email: 'alice@example.com' },
      });
      const handlers: RoutedHandler[] = await Promise.all(
        Object.entries(bundles())
          .filter(([name]) => name !== 'clients')
          .map(async ([, file]) => (await import(/* @vite-ignore */ pathToFileURL(file).href)).handler),
      );
      const agent = new Agent({ issuer, handlers });
      const { params, verifier } = validRequest(spa.clientId, 'https://spa.example.com/callback');
      const code = (await obtainCode(agent, params)).searchParams.get('code')!;
      const form = { ...tokenForm(code, verifier), client_id: spa.clientId };

      // WHEN: KMS fails for one token request, then works
      kms.failNextSigns(1);
      const failed = await agent.post('oauth2/token', { form });
      const res = await agent.post('oauth2/token', { form });

      // THEN: the failure is a clean server_error that consumed nothing; the retry gets tokens that verify against the bundled JWKS
      expect(failed.status).toBe(500);
      expect(failed.json().error).toBe('server_error');
      expect(res.status).toBe(200);
      const { keys } = (await agent.get('.well-known/jwks.json')).json();
      const jwks = createLocalJWKSet({ keys });
      const id = await jwtVerify(res.json().id_token, jwks, { issuer, audience: spa.clientId });
      expect(id.payload).toMatchObject({ sub: 'sub-alice', nonce: params.nonce, email: 'alice@example.com' });
      const info = await agent.get('userinfo', { headers: { Authorization: `Bearer ${res.json().access_token}` } });
      expect(info.json()).toEqual({ sub: 'sub-alice', email: 'alice@example.com' });
      expect((await agent.post('oauth2/token', { form })).json().error).toBe('invalid_grant');
      // two signatures per token response; the public key fetched once per function that needs it
      expect(kms.calls.get('Sign')).toBe(1 + 2);
      expect(kms.calls.get('GetPublicKey')).toBeLessThanOrEqual(3);
      await kms.stop();
    }, 60_000);

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
