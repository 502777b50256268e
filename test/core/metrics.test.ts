// The request lines of whole flows read as CloudWatch reads them (Embedded Metric Format): valid documents, the
// metrics the flow should count, no dimension that names a user, and no secret anywhere in what was logged.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws/credentials.js';
import { AwsJsonClient, KMS } from '../../lambdas/adapters/aws/json-client.js';
import { countFailedCalls } from '../../lambdas/adapters/aws-errors.js';
import { dynamoStores } from '../../lambdas/adapters/dynamodb/stores.js';
import { KmsSigner } from '../../lambdas/adapters/kms/signer.js';
import { auditLog } from '../../lambdas/adapters/log.js';
import { DIMENSION, METRIC } from '../../lambdas/adapters/metrics-contract.js';
import type { Workspace } from '../../lambdas/core/workspace.js';
import { Agent, hiddenField } from '../support/agent.js';
import { localDynamoDb } from '../support/dynamo.js';
import { authorizeUrl, follow, obtainCode, tokenForm, validRequest } from '../support/flow.js';
import { type KmsStandIn, startKmsStandIn } from '../support/kms-stand-in.js';
import { captureLogs, logRecords } from '../support/log-capture.js';
import { newTestWorkspace, TEST_PASSWORD } from '../support/workspace.js';

const lines = captureLogs();

type Line = Record<string, unknown>;
const UNITS = ['Milliseconds', 'Count'];
/** Every dimension a metric may be published under; none of them is per user, client or address. */
const ALLOWED_DIMENSIONS: string[] = Object.values(DIMENSION);

/** Checks `line` the way CloudWatch does before it extracts metrics, and returns its data points. */
function dataPoints(line: Line): { namespace: string; metric: string; dimensions: string; value: number }[] {
  const aws = line._aws as { Timestamp: unknown; CloudWatchMetrics: unknown };
  expect(aws, JSON.stringify(line)).toBeDefined();
  expect(Number.isInteger(aws.Timestamp)).toBe(true);
  expect(Array.isArray(aws.CloudWatchMetrics)).toBe(true);
  const points = [];
  for (const directive of aws.CloudWatchMetrics as Record<string, unknown>[]) {
    expect(Object.keys(directive).sort()).toEqual(['Dimensions', 'Metrics', 'Namespace']);
    expect(directive.Namespace).toMatch(/^[A-Za-z0-9._/#:-]{1,255}$/);
    const sets = directive.Dimensions as string[][];
    const metrics = directive.Metrics as { Name: string; Unit: string }[];
    expect(sets.length).toBeGreaterThan(0);
    expect(metrics.length).toBeGreaterThan(0);
    for (const set of sets) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const name of set) {
        expect(ALLOWED_DIMENSIONS).toContain(name);
        expect(typeof line[name], `dimension ${name} of ${JSON.stringify(line)}`).toBe('string');
      }
    }
    for (const { Name, Unit } of metrics) {
      expect(UNITS).toContain(Unit);
      expect(typeof line[Name], `metric ${Name} of ${JSON.stringify(line)}`).toBe('number');
      for (const set of sets) {
        const dimensions = set.map((name) => `${name}=${String(line[name])}`).join(',');
        points.push({
          namespace: directive.Namespace as string,
          metric: Name,
          dimensions,
          value: line[Name] as number,
        });
      }
    }
  }
  return points;
}

/** The request lines among what was logged, each checked as EMF; and the sum and count of each metric series. */
function published() {
  const requests = logRecords(lines).filter((l) => l.message === 'request');
  const sums = new Map<string, number>();
  const counts = new Map<string, number>();
  for (const line of requests) {
    for (const p of dataPoints(line)) {
      const key = `${p.metric} ${p.dimensions}`;
      sums.set(key, (sums.get(key) ?? 0) + p.value);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return { requests, sum: (key: string) => sums.get(key), count: (key: string) => counts.get(key), sums };
}

const W = 'Workspace=acme/main';

describe('a whole flow: authorize, login, consent, token, userinfo, refresh, replays, revocation', () => {
  it('logs one valid EMF line per request with the metrics it should count, and no secret', async () => {
    // GIVEN: a workspace whose DynamoDB failures count, and that throttles a username after one failure
    const t = await newTestWorkspace({ settings: { maxFailuresPerUsername: 1 } });
    countFailedCalls(t.db.client);
    const ws: Workspace = { ...t.ws, audit: auditLog(t.ws.tenantId, t.ws.workspaceId) };
    const agent = new Agent(ws);
    const redirectUri = 'https://offline.example.com/cb';
    const { params, verifier } = validRequest('offline', redirectUri, 'openid profile offline_access');
    const typedUsername = 'someone-who-is-not-a-user';
    const typedPassword = 'a-password-typed-by-mistake';

    // WHEN
    const login = await follow(agent, await agent.get(authorizeUrl(params)));
    const csrf = hiddenField(login.body, 'csrf');
    const form = (page: { body: string }, fields: Record<string, string>) => ({
      form: { txn: hiddenField(page.body, 'txn'), csrf, ...fields },
    });
    const failed = await agent.post('consent', form(login, { username: typedUsername, password: typedPassword }));
    const throttled = await agent.post('consent', form(failed, { username: typedUsername, password: typedPassword }));
    expect(throttled.status).toBe(429);
    const consent = await follow(
      agent,
      await agent.post('consent', form(failed, { username: 'alice', password: TEST_PASSWORD })),
    );
    const back = await agent.post('consent', form(consent, { decision: 'allow' }));
    const code = back.location!.searchParams.get('code')!;
    const redeem = tokenForm(code, verifier, { client_id: 'offline', redirect_uri: redirectUri });
    const first = (await agent.post('oauth2/token', { form: redeem })).json();
    await agent.get('userinfo', { headers: { Authorization: `Bearer ${first.access_token}` } });
    const refreshForm = (token: string) => ({
      form: { grant_type: 'refresh_token', refresh_token: token, client_id: 'offline' },
    });
    const second = (await agent.post('oauth2/token', refreshForm(first.refresh_token))).json();
    await agent.post('oauth2/revoke', { form: { token: second.access_token, client_id: 'offline' } });
    expect((await agent.post('oauth2/token', refreshForm(first.refresh_token))).status).toBe(400);
    expect((await agent.post('oauth2/token', { form: redeem })).status).toBe(400);

    // THEN: one line per request, in order, each a valid EMF document
    const { requests, sum, count } = published();
    expect(requests.map((l) => `${l.Endpoint} ${l.status}`)).toEqual([
      'GET /oauth2/authorize 302',
      'GET /consent 200',
      'POST /consent 200',
      'POST /consent 429',
      'POST /consent 303',
      'GET /consent 200',
      'POST /consent 303',
      'POST /oauth2/token 200',
      'GET /userinfo 200',
      'POST /oauth2/token 200',
      'POST /oauth2/revoke 200',
      'POST /oauth2/token 400',
      'POST /oauth2/token 400',
    ]);
    expect(
      new Set(
        requests.map((l) => (l._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]!.Namespace),
      ),
    ).toEqual(new Set(['AuthorizationServer']));
    // latency: one data point per request, per endpoint and for the workspace
    expect(count(`${METRIC.latency} ${W}`)).toBe(13);
    expect(count(`${METRIC.latency} ${W},Endpoint=POST /consent`)).toBe(4);
    expect(count(`${METRIC.latency} ${W},Endpoint=POST /oauth2/token`)).toBe(4);
    // outcomes by error code
    expect(sum(`${METRIC.errors} ${W},Error=invalid_grant`)).toBe(2);
    expect(sum(`${METRIC.errors} ${W},Endpoint=POST /oauth2/token,Error=invalid_grant`)).toBe(2);
    expect(sum(`${METRIC.errors} ${W},Endpoint=POST /consent,Error=http_429`)).toBe(1);
    // tokens by grant type, login failures and throttles, replays of the code and of the refresh token
    expect(sum(`${METRIC.tokensIssued} ${W},GrantType=authorization_code`)).toBe(1);
    expect(sum(`${METRIC.tokensIssued} ${W},GrantType=refresh_token`)).toBe(1);
    expect(sum(`${METRIC.tokensIssued} ${W}`)).toBe(2);
    expect(sum(`${METRIC.loginFailures} ${W}`)).toBe(1);
    expect(sum(`${METRIC.loginThrottles} ${W}`)).toBe(1);
    expect(sum(`${METRIC.replays} ${W}`)).toBe(2);
    // the replays were refused by DynamoDB conditions, which are outcomes, not failures
    expect(sum(`${METRIC.dynamoDbErrors} ${W}`)).toBeUndefined();
    expect(sum(`${METRIC.kmsErrors} ${W}`)).toBeUndefined();

    // and the audit trail is still there, each event joined to its request line by the request id
    const audit = logRecords(lines).filter((l) => l.message === 'audit');
    expect(audit.map((l) => l.event)).toEqual([
      'login.failed',
      'login.throttled',
      'login.succeeded',
      'consent.granted',
      'token.issued',
      'token.issued',
      'token.revoked',
      'refresh.replayed',
      'code.replayed',
    ]);
    expect(audit.every((l) => l.requestId === 'test')).toBe(true);

    // no secret, nor what was typed as a username, anywhere in what was logged
    const text = lines.join('\n');
    const secrets = [
      code,
      verifier,
      first.access_token,
      first.refresh_token,
      first.id_token,
      second.access_token,
      second.refresh_token,
      TEST_PASSWORD,
      typedPassword,
      typedUsername,
      csrf,
      ...agent.cookies.values(),
    ];
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('publishes under the namespace the deployment names', async () => {
    vi.stubEnv('METRICS_NAMESPACE', 'Acme/Identity');
    const t = await newTestWorkspace();
    await new Agent(t.ws).get('.well-known/openid-configuration');
    const [line] = published().requests;
    expect(dataPoints(line!).map((p) => p.namespace)).toEqual(['Acme/Identity', 'Acme/Identity']);
  });
});

describe('failed AWS calls', () => {
  let kms: KmsStandIn;
  beforeAll(async () => {
    kms = await startKmsStandIn({ 'key-1': 'RS256' });
  });
  afterAll(() => kms?.stop());

  it('count a KMS call that fails after the retries into KmsErrors of the request that made it', async () => {
    // GIVEN: a workspace signing with KMS (the stand-in), its client counting failures
    const t = await newTestWorkspace();
    const client = countFailedCalls(
      new AwsJsonClient({ service: KMS, endpoint: kms.endpoint, region: 'local', credentials: LOCAL_CREDENTIALS }),
    );
    const signer = new KmsSigner({ client, keyId: 'key-1', alg: 'RS256' });
    const ws: Workspace = { ...t.ws, keys: { active: signer, all: [signer] } };
    const { params, verifier } = validRequest();
    const code = (await obtainCode(new Agent(ws), params)).searchParams.get('code')!;

    // WHEN: KMS refuses the one Sign of the token request
    kms.failNextSigns(1);
    const res = await new Agent(ws).post('oauth2/token', { form: tokenForm(code, verifier) });

    // THEN
    expect(res.status).toBe(500);
    const line = published().requests.at(-1)!;
    expect(line).toMatchObject({ level: 'error', Endpoint: 'POST /oauth2/token', Error: 'server_error', KmsErrors: 1 });
    expect(dataPoints(line).map((p) => `${p.metric} ${p.dimensions}`)).toContain(`${METRIC.kmsErrors} ${W}`);
  });

  it('count a DynamoDB call that fails into DynamoDbErrors, and the line says why the request failed', async () => {
    // GIVEN: the stores of a workspace whose table is gone
    const t = await newTestWorkspace();
    const db = localDynamoDb();
    countFailedCalls(db.client);
    const { directory: _, ...stores } = dynamoStores({ client: db, tableName: 'no-such-table' });
    const ws: Workspace = { ...t.ws, ...stores };

    // WHEN
    const res = await new Agent(ws).get(authorizeUrl(validRequest().params));

    // THEN
    expect(res.status).toBeGreaterThanOrEqual(500);
    const line = published().requests.at(-1)!;
    expect(line).toMatchObject({ Endpoint: 'GET /oauth2/authorize', Error: 'server_error', DynamoDbErrors: 1 });
    expect(line.detail).toMatch(/ResourceNotFound/);
    dataPoints(line);
  });
});
