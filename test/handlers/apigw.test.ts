// The API Gateway converter: a workspace that cannot be resolved is answered with a logged OAuth server_error, and
// every request leaves exactly one line.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { errorResponse, invalidRequest } from '../../lambdas/core/errors.js';
import type { Workspace } from '../../lambdas/core/workspace.js';
import { apiHandler, toCoreRequest } from '../../lambdas/handlers/apigw.js';
import { environmentResolver } from '../../lambdas/handlers/environment.js';
import type { WorkspaceResolver } from '../../lambdas/handlers/workspace-resolver.js';

const event = {
  httpMethod: 'GET',
  resource: '/acme/main/.well-known/jwks.json',
  path: '/acme/main/.well-known/jwks.json',
  headers: {},
  requestContext: { requestId: 'req-1' },
} as unknown as APIGatewayProxyEvent;

const handlerFor = (resolve: WorkspaceResolver) =>
  apiHandler(
    'jwks',
    {
      'GET /.well-known/jwks.json': async () => ({ status: 200, headers: {}, body: '{}' }),
    },
    {},
  ).forWorkspaces(resolve);

let errors: string[];
let lines: string[];
beforeEach(() => {
  vi.stubEnv('AUTHZ_LOG', 'on');
  vi.stubEnv('AUTHZ_LOG_LEVEL', undefined);
  vi.stubEnv('AWS_LAMBDA_LOG_LEVEL', undefined);
  errors = [];
  lines = [];
  // Lines go straight to the streams: stderr for a failed request, stdout for the rest.
  vi.spyOn(process.stderr, 'write').mockImplementation((line) => errors.push(String(line).trimEnd()) > 0);
  vi.spyOn(process.stdout, 'write').mockImplementation((line) => lines.push(String(line).trimEnd()) > 0);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

it('answers a resolver that throws with a server_error JSON 500 and logs the detail, not the client', async () => {
  // GIVEN
  const handler = handlerFor(async () => {
    throw new Error('the workspace store is unreachable');
  });

  // WHEN
  const res = await handler(event, { awsRequestId: 'aws-1' });

  // THEN
  expect(res.statusCode).toBe(500);
  expect(res.headers).toMatchObject({
    'content-type': expect.stringContaining('application/json'),
    'cache-control': 'no-store',
  });
  expect(JSON.parse(res.body)).toEqual({
    error: 'server_error',
    error_description: 'The server could not complete the request.',
  });
  expect(res.body).not.toContain('unreachable');
  expect(lines).toEqual([]);
  expect(errors.map((line) => JSON.parse(line))).toEqual([
    expect.objectContaining({
      level: 'error',
      message: 'request',
      requestId: 'aws-1',
      Workspace: 'unknown',
      Endpoint: 'other',
      route: 'GET /acme/main/.well-known/jwks.json',
      status: 500,
      Error: 'server_error',
      detail: 'Error: the workspace store is unreachable',
    }),
  ]);
});

it('names the missing variable of a misconfigured deployment in the log, and no value of the others', async () => {
  // GIVEN
  const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/not-for-the-log';
  const handler = handlerFor(
    environmentResolver(
      {},
      {
        TENANT_ID: 'acme',
        WORKSPACE_ID: 'main',
        ISSUER: 'https://id.example.com/acme/main',
        SIGNING_ALG: 'RS256',
        SIGNING_KEY_IDS: keyArn,
        ACTIVE_SIGNING_KEY_ID: keyArn,
      },
    ),
  );

  // WHEN
  const res = await handler(event);

  // THEN
  expect(res.statusCode).toBe(500);
  expect(JSON.parse(res.body)).toMatchObject({ error: 'server_error' });
  expect(errors).toHaveLength(1);
  expect(JSON.parse(errors[0]!).detail).toBe('Error: Environment variable TABLE_NAME is not set.');
  expect(errors[0]).not.toContain('not-for-the-log');
});

describe('a refused request', () => {
  const workspace = { tenantId: 'acme', workspaceId: 'main' } as Workspace;
  const refusing = apiHandler(
    'jwks',
    {
      'GET /.well-known/jwks.json': async () => errorResponse(invalidRequest('Bad request.', 'the internal reason')),
    },
    {},
  ).forWorkspaces(async () => workspace);
  const logged = () => lines.map((line) => JSON.parse(line));

  it('logs its internal detail on its one line at debug level, with the request id, and the client never sees it', async () => {
    // GIVEN
    vi.stubEnv('AUTHZ_LOG_LEVEL', 'debug');

    // WHEN
    const res = await refusing(event, { awsRequestId: 'aws-2' });

    // THEN
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('internal reason');
    expect(logged()).toEqual([
      expect.objectContaining({
        level: 'info',
        message: 'request',
        requestId: 'aws-2',
        Workspace: 'acme/main',
        Endpoint: 'GET /.well-known/jwks.json',
        status: 400,
        Error: 'invalid_request',
        detail: 'the internal reason',
      }),
    ]);
  });

  it('logs no detail at the default level', async () => {
    // WHEN
    await refusing(event, { awsRequestId: 'aws-3' });

    // THEN
    expect(logged()).toHaveLength(1);
    expect(logged()[0]).toMatchObject({ level: 'info', status: 400, Error: 'invalid_request' });
    expect(logged()[0]).not.toHaveProperty('detail');
  });
});

describe('whether a request came over https', () => {
  const overHttp = { ...event, headers: { 'X-Forwarded-Proto': 'http' } } as APIGatewayProxyEvent;

  it('is always yes for a deployed handler: a forwarded header cannot drop the Secure cookie flag', () => {
    // THEN
    expect(toCoreRequest(overHttp, '/consent').secure).toBe(true);
  });

  it('follows X-Forwarded-Proto on a host that serves plain http (the local gateway)', () => {
    // THEN
    expect(toCoreRequest(overHttp, '/consent', true).secure).toBe(false);
    expect(toCoreRequest(event, '/consent', true).secure).toBe(true);
  });
});
