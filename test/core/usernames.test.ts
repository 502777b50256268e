// Usernames are case-insensitive (Unicode NFC, then lower case): registration, sign-in lookup and throttle agree.
import { describe, expect, it, vi } from 'vitest';
import { AdminError } from '../../lambdas/admin/errors.js';
import { addUser, setDisabled, setPassword } from '../../lambdas/admin/users.js';
import { ConditionFailed } from '../../lambdas/core/errors.js';
import { hashPassword, verifyPassword } from '../../lambdas/core/crypto.js';
import { usernameKey } from '../../lambdas/core/registration/registration.js';
import { ConfigError, parseConfig } from '../../lambdas/local/config.js';
import { Agent } from '../support/agent.js';
import { authorizeUrl, follow, submitLogin, validRequest } from '../support/flow.js';
import { newTestStore } from '../support/dynamo.js';
import { newTestWorkspace, TEST_PASSWORD, type TestWorkspace } from '../support/workspace.js';

/** `José` as one code point é, and as e followed by a combining acute accent: canonically the same name. */
const COMPOSED = 'Jos\u00e9';
const DECOMPOSED = 'jose\u0301';

async function loginPage(t: TestWorkspace, agent = new Agent(t.ws)) {
  return follow(agent, await agent.get(authorizeUrl(validRequest().params)));
}

describe('the username key', () => {
  it('is the NFC form in lower case', () => {
    expect(usernameKey('Alice')).toBe('alice');
    expect(usernameKey(COMPOSED)).toBe(usernameKey(DECOMPOSED));
    expect(usernameKey(DECOMPOSED)).toBe('jos\u00e9');
  });
});

describe('registration', () => {
  it('refuses a second user whose username differs only by case or normalisation', async () => {
    const t = await newTestStore();
    const user = (sub: string, username: string) => ({ sub, username, passwordHash: 'x', claims: {} });
    await t.stores.directory.createUser(user('sub-1', 'alice'));
    await t.stores.directory.createUser(user('sub-2', COMPOSED));

    await expect(t.stores.directory.createUser(user('sub-3', 'Alice'))).rejects.toBeInstanceOf(ConditionFailed);
    await expect(t.stores.directory.createUser(user('sub-4', 'ALICE'))).rejects.toBeInstanceOf(ConditionFailed);
    await expect(t.stores.directory.createUser(user('sub-5', DECOMPOSED))).rejects.toBeInstanceOf(ConditionFailed);
    expect(await t.stores.users.findBySub('sub-3')).toBeUndefined();
    expect((await t.stores.directory.listUsers()).map((u) => u.username).sort()).toEqual([COMPOSED, 'alice']);
  });

  it('the admin CLI refuses it before asking for a password', async () => {
    const t = await newTestStore();
    await addUser(t.stores, { username: 'alice', claims: {} }, async () => TEST_PASSWORD);
    const asked = vi.fn(async () => TEST_PASSWORD);
    await expect(addUser(t.stores, { username: 'ALICE', claims: {} }, asked)).rejects.toThrow(
      new AdminError('A user named "ALICE" already exists.'),
    );
    expect(asked).not.toHaveBeenCalled();
  });

  it('the local config refuses it, naming the field', () => {
    const users = [
      { username: 'carol', password: 'correct horse' },
      { username: 'Carol', password: 'correct horse' },
    ];
    let problems: readonly string[] = [];
    try {
      parseConfig({ workspaces: [{ tenantId: 'acme', workspaceId: 'main', users }] });
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^workspaces\[0\]\.users\[1\]\.username: duplicates the username/),
    ]);
  });

  it('the admin CLI finds a user by any case, and changes nothing but what it was asked', async () => {
    const t = await newTestStore();
    await addUser(t.stores, { username: 'alice', claims: {} }, async () => TEST_PASSWORD);
    await setPassword(t.stores, 'ALICE', async () => 'another long password');
    await setDisabled(t.stores, 'Alice', true);
    const stored = await t.stores.users.findByUsername('alice');
    expect(stored).toMatchObject({ username: 'alice', disabled: true });
    expect(await verifyPassword('another long password', stored?.passwordHash)).toBe(true);
  });
});

describe('signing in', () => {
  it('finds the user whatever the case or normalisation typed, and shows the username as registered', async () => {
    const t = await newTestWorkspace();
    await t.stores.directory.createUser({
      sub: 'sub-jose',
      username: COMPOSED,
      passwordHash: await hashPassword(TEST_PASSWORD),
      claims: {},
    });
    for (const typed of ['ALICE', 'Alice']) {
      const agent = new Agent(t.ws);
      const res = await submitLogin(agent, await loginPage(t, agent), typed, TEST_PASSWORD);
      expect(res.status, typed).toBe(303);
      const consent = await follow(agent, res);
      expect(consent.body).toContain('alice');
      expect(consent.body).not.toContain(typed);
    }
    const agent = new Agent(t.ws);
    const res = await submitLogin(agent, await loginPage(t, agent), DECOMPOSED.toUpperCase(), TEST_PASSWORD);
    expect(res.status).toBe(303);
    expect(t.audit.filter((e) => e.type === 'login.succeeded').map((e) => e.fields.sub)).toEqual([
      t.aliceSub,
      t.aliceSub,
      'sub-jose',
    ]);
  });

  it('counts failures of every spelling against the one user', async () => {
    const t = await newTestWorkspace({ settings: { maxFailuresPerUsername: 3 } });
    await t.stores.directory.createUser({
      sub: 'sub-jose',
      username: COMPOSED,
      passwordHash: await hashPassword(TEST_PASSWORD),
      claims: {},
    });
    const agent = new Agent(t.ws);
    for (const [i, typed] of [COMPOSED, DECOMPOSED, 'JOSÉ'].entries())
      await submitLogin(agent, await loginPage(t, agent), typed, 'nope', `198.51.100.${i}`);
    const blocked = await submitLogin(agent, await loginPage(t, agent), COMPOSED, TEST_PASSWORD, '198.51.100.99');
    expect(blocked.status).toBe(429);
    const other = await submitLogin(agent, await loginPage(t, agent), 'alice', TEST_PASSWORD, '198.51.100.99');
    expect(other.status).toBe(303);
  });
});
