// The deployed side of identity sources: IDENTITY_SOURCES read back, and our secrets there read from Secrets Manager once.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws/credentials.js';
import { AwsJsonClient, SECRETS_MANAGER } from '../../lambdas/adapters/aws/json-client.js';
import { clientSecretOf, secretsManagerSecrets } from '../../lambdas/adapters/secrets-manager/source-secrets.js';
import { UpstreamOidc } from '../../lambdas/adapters/http/upstream-oidc.js';
import { UpstreamUnavailable } from '../../lambdas/core/ports/upstream.js';
import { workspaceFromEnvironment } from '../../lambdas/handlers/environment.js';
import { startSecretsManagerStandIn } from '../support/secrets-manager-stand-in.js';

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
  afterEach(() => vi.restoreAllMocks());

  it('reads JSON or plain-text secrets once per container, and tries again after a failure', async () => {
    // GIVEN: a Secrets Manager on loopback that throttles every attempt of the first read.
    vi.spyOn(Math, 'random').mockReturnValue(0); // no back-off pauses between the client's attempts
    const sm = await startSecretsManagerStandIn({
      [corp.secretArn]: JSON.stringify({ clientId: 'ours', clientSecret: 's3cr3t' }),
    });
    const throttled = { status: 400, body: { __type: 'ThrottlingException', Message: 'Rate exceeded' } };
    sm.answerNext(throttled, throttled, throttled);
    const client = new AwsJsonClient({
      service: SECRETS_MANAGER,
      endpoint: sm.endpoint,
      region: 'eu-west-1',
      credentials: LOCAL_CREDENTIALS,
    });
    let calls = 0;
    client.use(async (call, next) => {
      calls++;
      return next(call);
    });
    const secrets = secretsManagerSecrets(client, new Map([['corp', corp.secretArn]]));

    // WHEN / THEN
    await expect(secrets('corp')).rejects.toThrow(
      new UpstreamUnavailable('the secret of source corp cannot be read (ThrottlingException)'),
    );
    expect(await secrets('corp')).toBe('s3cr3t');
    expect(await secrets('corp')).toBe('s3cr3t');
    expect(calls).toBe(2);
    expect(sm.requests).toEqual(Array(4).fill(corp.secretArn));
    await expect(secrets('other')).rejects.toThrow(UpstreamUnavailable);
    expect(calls).toBe(2);
    await sm.stop();

    expect(clientSecretOf('  plain-secret \n')).toBe('plain-secret');
    expect(clientSecretOf(JSON.stringify({ clientId: 'x' }))).toBeUndefined();
    expect(clientSecretOf('')).toBeUndefined();
  });

  it('reads a plain-text secret, and refuses a secret with no client secret in it', async () => {
    // GIVEN
    const sm = await startSecretsManagerStandIn({ plain: '  plain-secret \n', empty: '{"clientId":"x"}' });
    const client = new AwsJsonClient({
      service: SECRETS_MANAGER,
      endpoint: sm.endpoint,
      region: 'eu-west-1',
      credentials: LOCAL_CREDENTIALS,
    });
    const secrets = secretsManagerSecrets(
      client,
      new Map([
        ['a', 'plain'],
        ['b', 'empty'],
        ['c', 'missing'],
      ]),
    );

    // WHEN / THEN
    expect(await secrets('a')).toBe('plain-secret');
    await expect(secrets('b')).rejects.toThrow(
      new UpstreamUnavailable('the secret of source b holds no client secret'),
    );
    await expect(secrets('c')).rejects.toThrow(
      new UpstreamUnavailable('the secret of source c cannot be read (ResourceNotFoundException)'),
    );
    expect(sm.requests).toEqual(['plain', 'empty', 'missing']);
    await sm.stop();
  });
});
