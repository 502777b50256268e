// Our SigV4 signer against the AWS SDK's own (`@smithy/signature-v4`) as the oracle: same canonical request, same key
// derivation, same Authorization header, over random credentials, scopes, dates, bodies and header values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AwsCredentials } from '../../lambdas/adapters/aws/credentials.js';
import { signRequest } from '../../lambdas/adapters/aws/sigv4.js';
import { type OracleRequest, sdkSigned } from '../support/sigv4-oracle.js';

type Case = OracleRequest;

const ours = (c: Case) =>
  signRequest(
    { host: c.host, headers: c.headers, body: c.body },
    { service: c.service, region: c.region, credentials: c.credentials, date: c.date },
  );

const lower = 'abcdefghijklmnopqrstuvwxyz';
const word = (chars: string, minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...chars), minLength, maxLength });

const credentials: fc.Arbitrary<AwsCredentials> = fc.record(
  {
    accessKeyId: word('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16, 20),
    // Any characters: the key derivation takes the secret's UTF-8 bytes.
    secretAccessKey: fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
    sessionToken: word(`${lower}ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=`, 1, 300),
  },
  { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
);

const region = fc.oneof(
  fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1', 'us-gov-west-1', 'local'),
  fc.tuple(word(lower, 2, 3), word(lower, 3, 9), fc.integer({ min: 1, max: 9 })).map(([a, b, n]) => `${a}-${b}-${n}`),
);
const service = fc.oneof(fc.constantFrom('dynamodb', 'kms', 'secretsmanager'), word(lower, 1, 20));
const date = fc.date({
  min: new Date('2000-01-01T00:00:00Z'),
  max: new Date('2099-12-31T23:59:59Z'),
  noInvalidDate: true,
});
const host = fc.oneof(
  fc.constantFrom('dynamodb.eu-west-1.amazonaws.com', 'kms.cn-north-1.amazonaws.com.cn', '127.0.0.1:8000'),
  fc
    .tuple(word(`${lower}-`, 1, 20), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
    .map(([name, port]) => `${name}.example${port === undefined ? '' : `:${port}`}`),
);
/** Header values with leading, trailing and repeated inner spaces and tabs, which SigV4 trims and collapses. */
const headerValue = fc.string({
  unit: fc.oneof(fc.constantFrom(' ', '  ', '\t'), fc.string({ minLength: 1, maxLength: 1 })),
});
/** Names the SDK signs (it leaves out a fixed list such as user-agent, and proxy-* / sec-*). */
const headerName = fc.oneof(
  fc.constantFrom('content-type', 'x-amz-target', 'x-amz-user-agent', 'content-length'),
  word(`${lower}0123456789-`, 1, 20).map((n) => `x-${n}`),
);
const headers = fc
  .dictionary(headerName, headerValue, { maxKeys: 6, noNullPrototype: true })
  .map((h) => ({ 'content-type': 'application/x-amz-json-1.0', ...h }));
const body = fc.oneof(fc.constant(''), fc.string({ unit: 'binary', maxLength: 400 }), fc.json());

const cases: fc.Arbitrary<Case> = fc.record({ host, headers, body, service, region, credentials, date });

describe('signRequest', () => {
  it('signs the post-vanilla request of the AWS SigV4 test suite', () => {
    const signed = signRequest(
      { host: 'example.amazonaws.com', headers: {}, body: '' },
      {
        service: 'service',
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
        date: new Date('2015-08-30T12:36:00Z'),
      },
    );
    expect(signed).toEqual({
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    });
  });

  it('gives the Authorization, x-amz-date and x-amz-security-token headers the SDK gives', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const expected = await sdkSigned(c);
        const signed = ours(c);
        expect(signed.authorization).toBe(expected.authorization);
        expect(signed['x-amz-date']).toBe(expected['x-amz-date']);
        expect(signed['x-amz-security-token']).toBe(expected['x-amz-security-token']);
        // The request's own headers go out as given (the host as well): only the signature is added.
        expect(signed).toEqual({ ...c.headers, ...expected });
      }),
      { numRuns: 400 },
    );
  });

  it('signs with a key of the day, region, service and secret: changing one changes the signature', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const signature = (k: Case) => ours(k).authorization!.split('Signature=')[1];
        const base = signature(c);
        // The signing key is cached: the same scope signs the same way again.
        expect(signature(c)).toBe(base);
        const nextDay = new Date(c.date.getTime() + 86_400_000);
        const variants: Case[] = [
          { ...c, date: nextDay },
          { ...c, region: `${c.region}x` },
          { ...c, service: `${c.service}x` },
          { ...c, credentials: { ...c.credentials, secretAccessKey: `${c.credentials.secretAccessKey}x` } },
        ];
        for (const v of variants) expect(signature(v)).not.toBe(base);
        // After the others, the first scope's key is derived again, not taken from the last one cached.
        expect(signature(c)).toBe(base);
      }),
      { numRuns: 100 },
    );
  });

  it('signs two secrets differently within one second, each as the SDK does', async () => {
    // Same request, same second, secrets differing only in the signing key: the key cache must not be shared.
    const c: Case = {
      host: 'kms.eu-west-1.amazonaws.com',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.Sign' },
      body: '{}',
      service: 'kms',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'one' },
      date: new Date('2026-11-30T23:59:59Z'),
    };
    const a = ours(c).authorization;
    const b = ours({ ...c, credentials: { ...c.credentials, secretAccessKey: 'two' } }).authorization;
    expect(a).not.toBe(b);
    expect(a).toBe((await sdkSigned(c)).authorization);
    expect(b).toBe(
      (await sdkSigned({ ...c, credentials: { ...c.credentials, secretAccessKey: 'two' } })).authorization,
    );
  });
});
