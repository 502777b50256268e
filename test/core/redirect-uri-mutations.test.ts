// Exact redirect URI matching (RFC 9700 §4.1.3, OAuth 2.1 §4.1.3): every mutation of a registered URI is refused
// with an error page, at GET and POST /oauth2/authorize and at PAR; only a native client's loopback port may vary.
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClientRegistration } from '../../lambdas/core/model.js';
import { Agent, type AgentResponse } from '../support/agent.js';
import { expectSecurityHeaders } from '../support/assertions.js';
import { authorizeUrl, validRequest } from '../support/flow.js';
import { tableSnapshot } from '../support/table-snapshot.js';
import { newTestWorkspace, publicClient, type TestWorkspace } from '../support/workspace.js';

const WEB = 'https://spa.example.com/callback';

/** A web client whose registered URI is a loopback one: its port is as fixed as any other part. */
const webLoopbackClient: ClientRegistration = {
  ...publicClient,
  clientId: 'web-loopback',
  redirectUris: ['http://127.0.0.1:8080/cb'],
};

/** A native client with loopback URIs (with and without a port) and a private-use scheme. */
const nativeApp: ClientRegistration = {
  ...publicClient,
  clientId: 'native-app',
  applicationType: 'native',
  redirectUris: ['http://127.0.0.1/callback', 'http://[::1]:8000/cb', 'com.example.app:/oauth2/cb'],
};

/** Another workspace's client of the same id, registered with its own URI. */
const OTHER_WORKSPACE_URI = 'https://spa.other-tenant.example.com/callback';

/** Mutations of `https://spa.example.com/callback`, refused for client `spa`. */
const webMutations: readonly (readonly [string, string])[] = [
  ['path appended', `${WEB}/x`],
  ['path extended', `${WEB}x`],
  ['trailing slash', `${WEB}/`],
  ['double trailing slash', `${WEB}//`],
  ['doubled leading slash', 'https://spa.example.com//callback'],
  ['dot segment appended', `${WEB}/.`],
  ['dot segment before path', 'https://spa.example.com/./callback'],
  ['trailing dot in path', `${WEB}.`],
  ['path case', 'https://spa.example.com/Callback'],
  ['path upper case', 'https://spa.example.com/CALLBACK'],
  ['host case', 'https://SPA.EXAMPLE.COM/callback'],
  ['scheme case', 'HTTPS://spa.example.com/callback'],
  ['scheme mixed case', 'HtTpS://spa.example.com/callback'],
  ['host with trailing dot', 'https://spa.example.com./callback'],
  ['empty query', `${WEB}?`],
  ['query added', `${WEB}?x=1`],
  ['empty fragment', `${WEB}#`],
  ['fragment added', `${WEB}#x`],
  ['embedded code', `${WEB}?code=attacker-code`],
  ['embedded state', `${WEB}?state=attacker-state`],
  ['embedded iss', `${WEB}?iss=https%3A%2F%2Fevil.example.com`],
  ['embedded code, state and iss', `${WEB}?code=a&state=b&iss=c`],
  ['code in the fragment', `${WEB}#code=a&state=b`],
  ['encoded query', `${WEB}%3Fcode%3Dattacker`],
  ['userinfo before the host', 'https://evil.example.com@spa.example.com/callback'],
  ['registered host as userinfo', 'https://spa.example.com@evil.example.com/callback'],
  ['userinfo with password', 'https://spa.example.com:443@evil.example.com/callback'],
  ['encoded @', 'https://spa.example.com%40evil.example.com/callback'],
  ['%25@', 'https://spa.example.com%25@evil.example.com/callback'],
  ['backslash before @', 'https://spa.example.com\\@evil.example.com/callback'],
  ['backslash as path separator', 'https://spa.example.com\\callback'],
  ['backslashes after the scheme', 'https:\\\\spa.example.com/callback'],
  ['backslash traversal', `${WEB}\\..\\other`],
  ['dot-dot traversal', `${WEB}/../other`],
  ['%2e%2e traversal', `${WEB}/%2e%2e/other`],
  ['%2E%2E traversal', `${WEB}/%2E%2E/other`],
  ['%2e%2e before the path', 'https://spa.example.com/%2e%2e/callback'],
  ['..;/ traversal', `${WEB}/..;/other`],
  ['path parameter', `${WEB};x=1`],
  ['encoded slashes', `${WEB}%2f..%2fother`],
  ['encoded NUL', `${WEB}%00`],
  ['encoded space', `${WEB}%20`],
  ['leading space', ` ${WEB}`],
  ['trailing space', `${WEB} `],
  ['trailing tab', `${WEB}\t`],
  ['trailing newline', `${WEB}\n`],
  ['leading newline', `\n${WEB}`],
  ['NUL inside', 'https://spa.example.com/call\u0000back'],
  ['header injection', `${WEB}\r\nLocation: https://evil.example.com/`],
  ['zero-width space', `${WEB}\u200b`],
  ['homograph host', 'https://sp\u0430.example.com/callback'],
  ['http for https', 'http://spa.example.com/callback'],
  ['javascript scheme', 'javascript://spa.example.com/callback'],
  ['javascript scheme, mixed case', 'JaVaScRiPt:alert(1)//https://spa.example.com/callback'],
  ['data scheme', `data:text/html,${WEB}`],
  ['file scheme', 'file://spa.example.com/callback'],
  ['wss scheme', 'wss://spa.example.com/callback'],
  ['scheme-relative', '//spa.example.com/callback'],
  ['relative path', '/callback'],
  ['empty string', ''],
  ['origin only', 'https://spa.example.com'],
  ['default port made explicit', 'https://spa.example.com:443/callback'],
  ['other port', 'https://spa.example.com:8443/callback'],
  ['empty port', 'https://spa.example.com:/callback'],
  ['registered host as subdomain', 'https://spa.example.com.evil.example.com/callback'],
  ['host with a prefix', 'https://evilspa.example.com/callback'],
  ['two URIs', `${WEB} ${WEB}`],
  ["another client's URI", 'https://first.example.com/cb'],
  ["another workspace's URI", OTHER_WORKSPACE_URI],
  ['loopback instead', 'http://127.0.0.1/callback'],
];

/** Mutations of the native client's URIs: the port is the only part that may vary, and only on a literal loopback IP. */
const nativeMutations: readonly (readonly [string, string])[] = [
  ['127.1', 'http://127.1/callback'],
  ['127.1 with a port', 'http://127.1:5000/callback'],
  ['long-form IPv6 loopback', 'http://[0:0:0:0:0:0:0:1]:8000/cb'],
  ['long-form IPv6 loopback, other port', 'http://[0:0:0:0:0:0:0:1]:9000/cb'],
  ['localhost', 'http://localhost/callback'],
  ['another loopback address', 'http://127.0.0.2/callback'],
  ['hexadecimal IPv4', 'http://0x7f000001/callback'],
  ['decimal IPv4', 'http://2130706433/callback'],
  ['IPv4-mapped IPv6', 'http://[::ffff:127.0.0.1]/callback'],
  ['port 0', 'http://127.0.0.1:0/callback'],
  ['port above 65535', 'http://127.0.0.1:65536/callback'],
  ['port 99999', 'http://127.0.0.1:99999/callback'],
  ['six-digit port', 'http://127.0.0.1:123456/callback'],
  ['negative port', 'http://127.0.0.1:-1/callback'],
  ['signed port', 'http://127.0.0.1:+80/callback'],
  ['non-ASCII digits in the port', 'http://127.0.0.1:\u0665\u0660\u0660\u0660/callback'],
  ['empty port', 'http://127.0.0.1:/callback'],
  ['userinfo after the port', 'http://127.0.0.1:8080@evil.example.com/callback'],
  ['loopback as userinfo', 'http://127.0.0.1@evil.example.com/callback'],
  ['fragment hiding the host', 'http://evil.example.com#@127.0.0.1/callback'],
  ['backslash after the port', 'http://127.0.0.1:8080\\@evil.example.com/callback'],
  ['encoded slash after the port', 'http://127.0.0.1:5000%2F@evil.example.com/callback'],
  ['path changed, port varied', 'http://127.0.0.1:5000/callbackx'],
  ['path case, port varied', 'http://127.0.0.1:5000/Callback'],
  ['traversal, port varied', 'http://127.0.0.1:5000/callback/../callback'],
  ['%2e%2e, port varied', 'http://127.0.0.1:5000/x/%2e%2e/callback'],
  ['query added, port varied', 'http://127.0.0.1:5000/callback?code=x'],
  ['fragment added, port varied', 'http://127.0.0.1:5000/callback#x'],
  ['space before the path', 'http://127.0.0.1:5000 /callback'],
  ['https for http', 'https://127.0.0.1/callback'],
  ['scheme upper case', 'HTTP://127.0.0.1:5000/callback'],
  ['IPv6 path swapped', 'http://[::1]:8000/callback'],
  ['private-use scheme case', 'COM.EXAMPLE.APP:/oauth2/cb'],
  ['private-use scheme with authority', 'com.example.app://oauth2/cb'],
  ['private-use scheme, path appended', 'com.example.app:/oauth2/cb/x'],
  ['private-use scheme, other app', 'com.example.evil:/oauth2/cb'],
];

/** Port variations a native client's loopback URI may take (RFC 8252 §7.3). */
const nativePortVariations = [
  'http://127.0.0.1/callback',
  'http://127.0.0.1:1/callback',
  'http://127.0.0.1:51234/callback',
  'http://127.0.0.1:65535/callback',
  'http://[::1]/cb',
  'http://[::1]:8000/cb',
  'http://[::1]:9/cb',
];

/** The same port variations, refused for a web client registered with a loopback URI. */
const webLoopbackPortVariations = [
  'http://127.0.0.1/cb',
  'http://127.0.0.1:8081/cb',
  'http://127.0.0.1:80/cb',
  'http://127.0.0.1:65535/cb',
];

/** `refusing` only ever gets mutations, so its table must end as it began; `accepting` gets the registered URIs. */
let refusing: TestWorkspace;
let accepting: TestWorkspace;
let before: Record<string, unknown>[];
beforeAll(async () => {
  [refusing, accepting] = await Promise.all([newTestWorkspace(), newTestWorkspace()]);
  for (const t of [refusing, accepting]) {
    await t.stores.directory.putClient(webLoopbackClient);
    await t.stores.directory.putClient(nativeApp);
  }
  const other = await newTestWorkspace({ tenantId: 'other', workspaceId: 'main' });
  await other.stores.directory.putClient({ ...publicClient, redirectUris: [OTHER_WORKSPACE_URI] });
  before = await tableSnapshot(refusing);
});

type Channel = 'GET /oauth2/authorize' | 'POST /oauth2/authorize' | 'POST /oauth2/par';
const channels: readonly Channel[] = ['GET /oauth2/authorize', 'POST /oauth2/authorize', 'POST /oauth2/par'];

function send(t: TestWorkspace, channel: Channel, clientId: string, redirectUri: string): Promise<AgentResponse> {
  const { params } = validRequest(clientId, redirectUri);
  const form: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined) form[k] = v;
  const agent = new Agent(t.ws);
  switch (channel) {
    case 'GET /oauth2/authorize':
      return agent.get(authorizeUrl(params));
    case 'POST /oauth2/authorize':
      return agent.post('oauth2/authorize', { form });
    case 'POST /oauth2/par':
      return agent.post('oauth2/par', { form });
  }
}

/** A 400 that sends the browser nowhere and carries no code: the error page, or PAR's JSON error. */
function expectRefused(channel: Channel, res: AgentResponse) {
  expect(res.status).toBe(400);
  expect(res.headers.location).toBeUndefined();
  expect(res.body).not.toMatch(/code=|request_uri/);
  if (channel === 'POST /oauth2/par') {
    expect(res.json()).toMatchObject({ error: 'invalid_request' });
  } else {
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expectSecurityHeaders(res.headers);
  }
}

describe('redirect URI mutations', () => {
  it('has at least 60 web and 30 native mutations, all distinct from what is registered', () => {
    expect(webMutations.length).toBeGreaterThanOrEqual(60);
    expect(nativeMutations.length).toBeGreaterThanOrEqual(30);
    expect(new Set(webMutations.map(([, uri]) => uri)).size).toBe(webMutations.length);
    for (const [, uri] of webMutations) expect(publicClient.redirectUris).not.toContain(uri);
    for (const [, uri] of nativeMutations) expect(nativeApp.redirectUris).not.toContain(uri);
  });

  describe.each(channels)('%s', (channel) => {
    it.each(webMutations)('refuses a web client the %s mutation', async (_name, uri) => {
      expectRefused(channel, await send(refusing, channel, 'spa', uri));
    });

    it.each(nativeMutations)('refuses a native client the %s mutation', async (_name, uri) => {
      expectRefused(channel, await send(refusing, channel, 'native-app', uri));
    });

    it.each(webLoopbackPortVariations)('refuses a web client the loopback port variation %s', async (uri) => {
      expectRefused(channel, await send(refusing, channel, 'web-loopback', uri));
    });

    it('accepts the registered URIs and a native client loopback port variations', async () => {
      const accepted = [
        ...publicClient.redirectUris.map((uri) => ['spa', uri] as const),
        ['web-loopback', 'http://127.0.0.1:8080/cb'] as const,
        ['native-app', 'com.example.app:/oauth2/cb'] as const,
        ...nativePortVariations.map((uri) => ['native-app', uri] as const),
      ];
      for (const [clientId, uri] of accepted) {
        const res = await send(accepting, channel, clientId, uri);
        expect(res.status, `${clientId} ${JSON.stringify(uri)}`).toBe(
          channel === 'POST /oauth2/par' ? 201 : channel.startsWith('GET') ? 302 : 303,
        );
      }
    });
  });

  it('changed nothing in the table for any refused mutation', async () => {
    expect(await tableSnapshot(refusing)).toEqual(before);
  });
});
