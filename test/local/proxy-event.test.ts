// The node:http → API Gateway REST proxy event translation, checked on real HTTP requests.
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody, toProxyEvent, writeProxyResult } from '../../lambdas/local/proxy-event.js';

let server: Server;
let base: string;
/** What the next request should be answered with, as a Lambda proxy result. */
let answer: unknown;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await readBody(req, 1024);
    if (body === undefined) return void res.writeHead(413).end();
    const event = toProxyEvent(req, body, {
      apiId: 'api1',
      requestId: 'req-1',
      resource: new URL(req.url!, 'http://x').pathname,
    });
    writeProxyResult(res, answer ?? { statusCode: 200, body: JSON.stringify(event) }, 'req-1');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

async function eventOf(path: string, init: RequestInit = {}): Promise<APIGatewayProxyEvent> {
  answer = undefined;
  const res = await fetch(`${base}${path}`, init);
  return (await res.json()) as APIGatewayProxyEvent;
}

describe('toProxyEvent', () => {
  it('carries the full path as resource, the method, and the request context', async () => {
    const event = await eventOf('/acme/main/oauth2/token', {
      method: 'POST',
      body: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(event).toMatchObject({
      resource: '/acme/main/oauth2/token',
      path: '/acme/main/oauth2/token',
      httpMethod: 'POST',
      pathParameters: null,
      stageVariables: null,
    });
    expect(event.requestContext).toMatchObject({
      apiId: 'api1',
      requestId: 'req-1',
      resourcePath: '/acme/main/oauth2/token',
      httpMethod: 'POST',
    });
    expect(event.requestContext.identity.sourceIp).toBe('127.0.0.1');
  });

  it('gives single and multi-value query parameters, decoded like API Gateway', async () => {
    const event = await eventOf('/p?scope=openid+profile&x=1&x=2&e=%26%3D');
    expect(event.multiValueQueryStringParameters).toEqual({ scope: ['openid profile'], x: ['1', '2'], e: ['&='] });
    expect(event.queryStringParameters).toEqual({ scope: 'openid profile', x: '2', e: '&=' });
    const none = await eventOf('/p');
    expect([none.queryStringParameters, none.multiValueQueryStringParameters]).toEqual([null, null]);
  });

  it('gives single and multi-value headers, and marks the request as plain http', async () => {
    const event = await eventOf('/p', {
      headers: { 'X-Test': 'a', Cookie: 'a=1', 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '198.51.100.1' },
    });
    expect(event.headers['X-Test']).toBe('a');
    expect(event.multiValueHeaders['X-Test']).toEqual(['a']);
    expect(event.headers['X-Forwarded-Proto']).toBe('http');
    expect(event.headers['X-Forwarded-For']).toBe('198.51.100.1, 127.0.0.1');
    expect(event.requestContext.identity.sourceIp).toBe('127.0.0.1');
  });

  it('keeps every value of a repeated header', async () => {
    const res = await new Promise<string>((done, fail) => {
      const req = request(`${base}/p`, (r) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c));
        r.on('end', () => done(text));
      });
      req.on('error', fail);
      req.setHeader('X-Dup', ['one', 'two']);
      req.end();
    });
    const event = JSON.parse(res) as APIGatewayProxyEvent;
    expect(event.multiValueHeaders['X-Dup']).toEqual(['one', 'two']);
    expect(event.headers['X-Dup']).toBe('two');
  });

  it('passes form and JSON bodies as text, other media types base64-encoded, no body as null', async () => {
    const form = await eventOf('/p', {
      method: 'POST',
      body: 'name=J%C3%BCrgen',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([form.body, form.isBase64Encoded]).toEqual(['name=J%C3%BCrgen', false]);
    const json = await eventOf('/p', {
      method: 'POST',
      body: '{"a":"ü"}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect([json.body, json.isBase64Encoded]).toEqual(['{"a":"ü"}', false]);
    const binary = await eventOf('/p', {
      method: 'POST',
      body: new Uint8Array([0, 255, 1]),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect([binary.body, binary.isBase64Encoded]).toEqual([Buffer.from([0, 255, 1]).toString('base64'), true]);
    const empty = await eventOf('/p');
    expect([empty.body, empty.isBase64Encoded]).toEqual([null, false]);
  });
});

describe('readBody', () => {
  const stream = (...chunks: Buffer[]) => Readable.from(chunks) as unknown as IncomingMessage;

  it('reads a body up to the limit', async () => {
    expect(await readBody(stream(Buffer.from('ab'), Buffer.from('cd')), 4)).toEqual(Buffer.from('abcd'));
  });

  it('gives up on a body above the limit', async () => {
    expect(await readBody(stream(Buffer.alloc(3), Buffer.alloc(2)), 4)).toBeUndefined();
  });
});

describe('writeProxyResult', () => {
  it('merges single and multi-value headers, one Set-Cookie line per cookie', async () => {
    answer = {
      statusCode: 201,
      headers: { 'Content-Type': 'text/plain', 'X-A': '1' },
      multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'], 'X-A': ['1'] },
      body: 'ok',
    };
    const res = await fetch(`${base}/p`);
    expect(res.status).toBe(201);
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(res.headers.get('x-a')).toBe('1');
    expect(res.headers.get('x-amzn-requestid')).toBe('req-1');
    expect(await res.text()).toBe('ok');
  });

  it('decodes a base64 body', async () => {
    answer = { statusCode: 200, body: Buffer.from('héllo').toString('base64'), isBase64Encoded: true };
    expect(await (await fetch(`${base}/p`)).text()).toBe('héllo');
  });

  it('turns a malformed result into API Gateway’s 502', async () => {
    answer = { body: 'no status' };
    const res = await fetch(`${base}/p`);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ message: 'Internal server error' });
  });
});
