// Identity sources in CDK: secrets in Secrets Manager (never in the template), read by the pages' function only.
import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import type { IdentitySourceProps } from '../../lib/index.js';
import { ENV } from '../../lambdas/handlers/environment-contract.js';
import { actionsOf, logicalId, statementsOfRole, workspaceStack } from './support.js';

const corp: IdentitySourceProps = {
  id: 'corp',
  name: 'Corp SSO',
  type: 'oidc',
  issuer: 'https://login.corp.example',
  clientId: 'our-client-at-corp',
  claims: { email: 'email', name: 'name' },
};

describe('identity sources', () => {
  it('outputs the callback URL to register upstream, and the secret it created', () => {
    // GIVEN / WHEN
    const { template, server } = workspaceStack({ identitySources: [corp] });
    // THEN
    expect(server.federationCallbackUrl).toBe(`${server.issuer}/federation/callback`);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const callback = Object.entries(outputs).find(([id]) => id.includes('FederationCallbackUrl'));
    expect(JSON.stringify(callback?.[1].Value)).toContain('/acme/customers/federation/callback');
    expect(Object.keys(outputs).some((id) => id.includes('IdentitySourceSecretcorp'))).toBe(true);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: JSON.stringify({ clientId: 'our-client-at-corp' }),
        GenerateStringKey: 'clientSecret',
      }),
    });
  });

  it('puts the sources and the secret ARN in the environment, never a secret', () => {
    // GIVEN
    const { template, stack } = workspaceStack({ identitySources: [corp], builtInUsers: false });
    // THEN
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toMatch(/"SecretString"\s*:/);
    const functions = template.findResources('AWS::Lambda::Function');
    const envs = Object.values(functions)
      .map((f) => f.Properties.Environment?.Variables)
      .filter((v) => v?.[ENV.identitySources] !== undefined);
    expect(envs.length).toBeGreaterThan(0);
    const value = JSON.stringify(stack.resolve(envs[0][ENV.identitySources]));
    expect(value).toContain('our-client-at-corp');
    expect(value).toContain('secretArn');
    expect(value).not.toMatch(/clientSecret/);
    expect(envs[0].BUILT_IN_USERS).toBe('false');
  });

  it('uses a secret the user names, and refuses a secret given as a string', () => {
    // GIVEN
    const stack = new Stack();
    const existing = secretsmanager.Secret.fromSecretNameV2(stack, 'Existing', 'corp-client-secret');
    // WHEN
    const { template } = workspaceStack({ identitySources: [{ ...corp, clientSecret: existing }] });
    // THEN
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(() =>
      workspaceStack({ identitySources: [{ ...corp, clientSecret: 'hunter2-the-upstream-secret' as never }] }),
    ).toThrow(/`identitySources\[0\]\.clientSecret`: must be a Secrets Manager secret/);
  });

  it('lets only the pages function read the secret', () => {
    // GIVEN
    const { template, server } = workspaceStack({ identitySources: [corp] });
    // THEN
    for (const [name, fn] of Object.entries(server.functions)) {
      const actions = actionsOf(statementsOfRole(template, logicalId(fn.role as never)));
      expect(actions.includes('secretsmanager:GetSecretValue'), name).toBe(name === 'consent');
    }
  });

  it('names the prop of a bad source at synth time', () => {
    expect(() => workspaceStack({ identitySources: [{ ...corp, issuer: 'http://login.corp.example' }] })).toThrow(
      /`identitySources\[0\]\.issuer`: must be an https URL/,
    );
    expect(() => workspaceStack({ identitySources: [corp, corp] })).toThrow(/`identitySources\[1\]\.id`: duplicates/);
    expect(() => workspaceStack({ builtInUsers: false })).toThrow(/`builtInUsers`: cannot be false without/);
  });
});
