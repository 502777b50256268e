// The HTTP ClientKeysFetcher against a loopback server: size limit at the byte, failures never cached, refresh pacing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RemoteJwks } from '../../lambdas/adapters/http/remote-jwks.js';
import { ClientKeysUnavailable } from '../../lambdas/core/ports/client-keys.js';

const SET = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }] };
/** What the server answers next at /flaky: one status per request. */
const flaky: number[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const body = JSON.stringify(SET);
    if (path === '/padded') {
      const size = Number(new URL(req.url!, 'http://localhost').searchParams.get('size'));
      return void res.writeHead(200).end(body.padEnd(size, ' '));
    }
    if (path === '/declared') return void res.writeHead(200, { 'content-length': '1000000' }).end();
    if (path === '/flaky') return void res.writeHead(flaky.shift() ?? 200).end(body);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it('accepts a set of exactly maxBytes and refuses one byte more', async () => {
  const jwks = new RemoteJwks({ maxBytes: 1024 });
  expect(await jwks.keySet(`${base}/padded?size=1024`)).toEqual(SET);
  await expect(jwks.keySet(`${base}/padded?size=1025`)).rejects.toThrow(
    new ClientKeysUnavailable('response larger than 1024 bytes'),
  );
});

it('refuses a declared length above the limit before reading the body', async () => {
  await expect(new RemoteJwks({ maxBytes: 1024 }).keySet(`${base}/declared`)).rejects.toThrow(
    'response larger than 1024 bytes',
  );
});

it('never caches a failure: the next request fetches again', async () => {
  const jwks = new RemoteJwks();
  flaky.push(503);
  await expect(jwks.keySet(`${base}/flaky?a`)).rejects.toThrow('status 503');
  expect(await jwks.keySet(`${base}/flaky?a`)).toEqual(SET);
});

it('serves one object while cached; a refresh fetches a new one only once the interval has passed', async () => {
  let now = 1_000_000;
  const jwks = new RemoteJwks({ clock: { now: () => now }, refreshIntervalSeconds: 60, cacheSeconds: 300 });
  const first = await jwks.keySet(`${base}/flaky?b`);
  expect(await jwks.keySet(`${base}/flaky?b`)).toBe(first);
  now += 59_000;
  expect(await jwks.keySet(`${base}/flaky?b`, { refresh: true })).toBe(first);
  now += 1_000;
  const refreshed = await jwks.keySet(`${base}/flaky?b`, { refresh: true });
  expect(refreshed).not.toBe(first);
  expect(refreshed).toEqual(first);
});
