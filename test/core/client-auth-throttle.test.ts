// Failed client authentication is throttled per client (RFC 6749 §2.3.1): failures are counted in the table on the
// failure path only, and a container that saw a client reach its limit refuses its secrets until the window ends.
import { beforeEach, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../lambdas/adapters/dynamodb/stores.js';
import type { Workspace } from '../../lambdas/core/workspace.js';
import { Agent, type AgentResponse } from '../support/agent.js';
import { localDynamoDb } from '../support/dynamo.js';
import { basicAuth } from '../support/flow.js';
import { tableSnapshot } from '../support/table-snapshot.js';
import { newTestWorkspace, TEST_SECRET, type TestWorkspace } from '../support/workspace.js';

const LIMIT = 3;
const WINDOW = 600;

let t: TestWorkspace;
/** The operations of the DynamoDB calls `t.ws`'s stores make, while `dynamoCalls` records them. */
let recorded: string[] | undefined;
beforeEach(async () => {
  t = await newTestWorkspace({ settings: { maxClientAuthFailures: LIMIT, clientAuthThrottleWindow: WINDOW } });
  recorded = undefined;
  // One entry per call: the interceptor wraps the client's retries (none happen here).
  t.db.client.use((call, next) => {
    recorded?.push(call.operation);
    return next(call);
  });
});

/** Another warm container of the same workspace: its own client, stores (and memory) on the same table. */
function anotherContainer(ws: Workspace): Workspace {
  const stores = dynamoStores({
    client: localDynamoDb(),
    tableName: t.tableName,
    clientCacheSeconds: 0,
    clock: ws.clock,
  });
  const { directory: _directory, ...runtime } = stores;
  return { ...ws, ...runtime };
}

/** A client credentials request of `orders-api` with `secret`, as Basic or in the body. */
function clientCredentials(ws: Workspace, secret: string, how: 'basic' | 'post' = 'basic'): Promise<AgentResponse> {
  const agent = new Agent(ws);
  if (how === 'post') {
    return agent.post('oauth2/token', {
      form: { grant_type: 'client_credentials', client_id: 'orders-api', client_secret: secret },
    });
  }
  return agent.post('oauth2/token', {
    form: { grant_type: 'client_credentials' },
    headers: { Authorization: basicAuth('orders-api', secret) },
  });
}

/** The DynamoDB calls `t.ws`'s stores make while `action` runs. */
async function dynamoCalls(action: () => Promise<unknown>): Promise<string[]> {
  const calls: string[] = [];
  recorded = calls;
  try {
    await action();
  } finally {
    recorded = undefined;
  }
  return calls;
}

function expectLockedOut(res: AgentResponse) {
  expect(res.status).toBe(429);
  expect(res.json()).toMatchObject({ error: 'invalid_client' });
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(WINDOW);
}

describe('failed client authentication', () => {
  it('is answered invalid_client (401) until the limit, then every secret of that client gets 429, the right one too', async () => {
    for (let i = 1; i <= LIMIT; i++) {
      const res = await clientCredentials(t.ws, `wrong-${i}`, i % 2 ? 'basic' : 'post');
      expect(res.status).toBe(401);
      expect(res.json().error).toBe('invalid_client');
    }
    expectLockedOut(await clientCredentials(t.ws, TEST_SECRET));
    expectLockedOut(await clientCredentials(t.ws, TEST_SECRET, 'post'));
    expect(t.audit.filter((e) => e.type === 'client.throttled')).toHaveLength(2);
  });

  it('lets the right secret through below the limit', async () => {
    for (let i = 1; i < LIMIT; i++) expect((await clientCredentials(t.ws, `wrong-${i}`)).status).toBe(401);
    expect((await clientCredentials(t.ws, TEST_SECRET)).status).toBe(200);
  });

  it('refuses a locked-out client from memory, with no DynamoDB call and no secret comparison', async () => {
    for (let i = 1; i <= LIMIT; i++) await clientCredentials(t.ws, `wrong-${i}`);
    const calls = await dynamoCalls(async () => expectLockedOut(await clientCredentials(t.ws, TEST_SECRET)));
    expect(calls).toEqual([]);
  });

  it('adds no DynamoDB call to a successful client credentials request', async () => {
    // The client record is read (the test stores do not cache it); nothing else.
    const calls = await dynamoCalls(async () => expect((await clientCredentials(t.ws, TEST_SECRET)).status).toBe(200));
    expect(calls).toEqual(['GetItem']);
  });

  it('counts each failure with one write (two to start a window), and a refused unknown client not at all', async () => {
    const first = await dynamoCalls(() => clientCredentials(t.ws, 'wrong'));
    expect(first).toEqual(['GetItem', 'UpdateItem', 'UpdateItem']);
    const second = await dynamoCalls(() => clientCredentials(t.ws, 'wrong'));
    expect(second).toEqual(['GetItem', 'UpdateItem']);
    const before = await tableSnapshot(t);
    const unknown = new Agent(t.ws);
    for (const id of ['nobody', 'orders-api2', '__proto__']) {
      const res = await unknown.post('oauth2/token', {
        form: { grant_type: 'client_credentials' },
        headers: { Authorization: basicAuth(id, 'wrong') },
      });
      expect(res.status).toBe(401);
    }
    expect(await tableSnapshot(t)).toEqual(before);
  });

  it('locks another container out at its first failure, not before', async () => {
    const other = anotherContainer(t.ws);
    for (let i = 1; i <= LIMIT; i++) await clientCredentials(t.ws, `wrong-${i}`);
    // The other container has not seen the count yet: the right secret still works there, at no extra cost.
    expect((await clientCredentials(other, TEST_SECRET)).status).toBe(200);
    expect((await clientCredentials(other, 'wrong-again')).status).toBe(401);
    expectLockedOut(await clientCredentials(other, TEST_SECRET));
  });

  it('bounds the guesses of a window by the limit plus one per container', async () => {
    const containers = [t.ws, anotherContainer(t.ws), anotherContainer(t.ws), anotherContainer(t.ws)];
    let compared = 0;
    for (let round = 0; round < 3 * LIMIT; round++) {
      for (const ws of containers) if ((await clientCredentials(ws, `guess-${round}`)).status === 401) compared++;
    }
    expect(compared).toBeLessThanOrEqual(LIMIT + containers.length);
    expect(compared).toBeGreaterThanOrEqual(LIMIT);
  });

  it('counts failures at the other endpoints that authenticate clients', async () => {
    const agent = new Agent(t.ws);
    const headers = { Authorization: basicAuth('orders-api', 'wrong') };
    expect((await agent.post('oauth2/introspect', { form: { token: 'x' }, headers })).status).toBe(401);
    expect((await agent.post('oauth2/revoke', { form: { token: 'x' }, headers })).status).toBe(401);
    expect((await agent.post('oauth2/par', { form: { response_type: 'code' }, headers })).status).toBe(401);
    expectLockedOut(await clientCredentials(t.ws, TEST_SECRET));
  });

  it('keeps each client apart: another client is not locked out', async () => {
    for (let i = 1; i <= LIMIT; i++) await clientCredentials(t.ws, `wrong-${i}`);
    const res = await new Agent(t.ws).post('oauth2/introspect', {
      form: { token: 'x' },
      headers: { Authorization: basicAuth('backend', TEST_SECRET) },
    });
    expect(res.status).not.toBe(429);
  });

  it('ends the lockout with the window', async () => {
    for (let i = 1; i <= LIMIT; i++) await clientCredentials(t.ws, `wrong-${i}`);
    expectLockedOut(await clientCredentials(t.ws, TEST_SECRET));
    t.clock.advance(WINDOW);
    expect((await clientCredentials(t.ws, TEST_SECRET)).status).toBe(200);
    // A new window: the count starts again.
    expect((await clientCredentials(t.ws, 'wrong')).status).toBe(401);
    expect((await clientCredentials(t.ws, TEST_SECRET)).status).toBe(200);
  });
});
