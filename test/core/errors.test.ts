// OAuth errors: one factory per code, built nowhere else, and what each puts on the wire.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  accessTokenRequired,
  errorResponse,
  insufficientScope,
  invalidClient,
  invalidRequest,
  invalidToken,
  methodNotAllowed,
  notFound,
  payloadTooLarge,
  serverError,
  toOAuthError,
  UnverifiedRedirectError,
  unverifiedInvalidClient,
} from '../../lambdas/core/errors.js';

const ROOT = join(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('building OAuth errors', () => {
  it('happens only through the factories of lambdas/core/errors.ts', () => {
    const offenders = sourceFiles(join(ROOT, 'lambdas'))
      .map((file) => relative(ROOT, file))
      .filter((file) => file !== join('lambdas', 'core', 'errors.ts'))
      .filter((file) => /new (OAuthError|UnverifiedRedirectError)\(/.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('exposes the description of a 4xx, never of a 5xx', () => {
    expect(invalidRequest('x').expose).toBe(true);
    expect(invalidClient('x').expose).toBe(true);
    expect(serverError('x').expose).toBe(false);
    expect(toOAuthError(new Error('boom'))).toMatchObject({
      error: 'server_error',
      status: 500,
      expose: false,
      detail: 'Error: boom',
    });
  });

  it.each([
    [
      'invalidClient',
      invalidClient('d', 'why'),
      'invalid_client',
      401,
      { 'www-authenticate': 'Basic realm="token", charset="UTF-8"' },
    ],
    [
      'invalidToken',
      invalidToken('Say "no"'),
      'invalid_token',
      401,
      { 'www-authenticate': 'Bearer error="invalid_token", error_description="Say no"' },
    ],
    ['accessTokenRequired', accessTokenRequired('d'), 'invalid_token', 401, { 'www-authenticate': 'Bearer' }],
    [
      'insufficientScope',
      insufficientScope('d', 'openid'),
      'insufficient_scope',
      403,
      { 'www-authenticate': 'Bearer error="insufficient_scope", scope="openid"' },
    ],
    ['notFound', notFound('d'), 'invalid_request', 404, {}],
    ['methodNotAllowed', methodNotAllowed('d', 'GET, POST'), 'invalid_request', 405, { allow: 'GET, POST' }],
    ['payloadTooLarge', payloadTooLarge('d'), 'invalid_request', 413, {}],
  ])('%s carries its code, status and headers', (_name, err, error, status, headers) => {
    expect(err).toMatchObject({ error, status, headers });
    const res = errorResponse(err);
    expect(res.status).toBe(status);
    expect(res.headers).toMatchObject(headers);
  });

  it('keeps errors before the redirect URI is verified apart, as 400s with their detail', () => {
    const err = unverifiedInvalidClient('d', 'unknown client x');
    expect(err).toBeInstanceOf(UnverifiedRedirectError);
    expect(err).toMatchObject({ error: 'invalid_client', status: 400, detail: 'unknown client x', headers: {} });
  });
});
