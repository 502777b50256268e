// The deployed side of identity sources: IDENTITY_SOURCES read back, and our secrets there read from Secrets Manager once.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { clientSecretOf, secretsManagerSecrets } from '../../lambdas/adapters/secrets-manager/source-secrets.js';
import { UpstreamOidc } from '../../lambdas/adapters/http/upstream-oidc.js';
import { UpstreamUnavailable } from '../../lambdas/core/ports/upstream.js';
import { workspaceFromEnvironment } from '../../lambdas/handlers/environment.js';

const env = {
  TABLE_NAME: 'ws-table',
  TENANT_ID: 'acme',
  WORKSPACE_ID: 'default',
  ISSUER: 'https://id.example.com/acme/default',
  SIGNING_ALG: 'RS256',
  SIGNING_KEY_IDS: 'key',
  ACTIVE_SIGNING_KEY_ID: 'key',
};
const corp = {
  id: 'corp',
  name: 'Corp SSO',
  type: 'oidc',
  issuer: 'https://login.corp.example',
  clientId: 'ours',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:corp-AbCdEf',
};

describe('IDENTITY_SOURCES', () => {
  it('gives the workspace its sources with their defaults, and none without the variable', () => {
    const ws = workspaceFromEnvironment(
      { ...env, IDENTITY_SOURCES: JSON.stringify([corp]), BUILT_IN_USERS: 'false' },
      {},
    );
    expect(ws.federation.sources).toEqual([
      {
        id: 'corp',
        name: 'Corp SSO',
        type: 'oidc',
        issuer: 'https://login.corp.example',
        clientId: 'ours',
        tokenEndpointAuthMethod: 'client_secret_basic',
        scopes: ['openid', 'email', 'profile'],
        claims: expect.objectContaining({ email: 'email', name: 'name' }),
      },
    ]);
    expect(ws.federation.upstream).toBeInstanceOf(UpstreamOidc);
    expect(ws.settings.builtInUsers).toBe(false);
    expect(workspaceFromEnvironment(env, {}).federation.sources).toEqual([]);
  });

  it('refuses a malformed list, naming the variable', () => {
    expect(() => workspaceFromEnvironment({ ...env, IDENTITY_SOURCES: '{' }, {})).toThrow(
      /IDENTITY_SOURCES is not JSON/,
    );
    const { secretArn: _, ...noArn } = corp;
    expect(() => workspaceFromEnvironment({ ...env, IDENTITY_SOURCES: JSON.stringify([noArn]) }, {})).toThrow(
      /IDENTITY_SOURCES\[0\]\.secretArn: is required/,
    );
  });
});

describe('secretsManagerSecrets', () => {
  it('reads JSON or plain-text secrets once per container, and tries again after a failure', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand, { SecretId: corp.secretArn })
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }))
      .resolves({ SecretString: JSON.stringify({ clientId: 'ours', clientSecret: 's3cr3t' }) });
    const secrets = secretsManagerSecrets(new SecretsManagerClient({}), new Map([['corp', corp.secretArn]]));

    await expect(secrets('corp')).rejects.toThrow(
      new UpstreamUnavailable('the secret of source corp cannot be read (ThrottlingException)'),
    );
    expect(await secrets('corp')).toBe('s3cr3t');
    expect(await secrets('corp')).toBe('s3cr3t');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    await expect(secrets('other')).rejects.toThrow(UpstreamUnavailable);
    sm.restore();

    expect(clientSecretOf('  plain-secret \n')).toBe('plain-secret');
    expect(clientSecretOf(JSON.stringify({ clientId: 'x' }))).toBeUndefined();
    expect(clientSecretOf('')).toBeUndefined();
  });
});
