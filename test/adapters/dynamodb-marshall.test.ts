// Our DynamoDB marshalling against the AWS SDK's (`@aws-sdk/util-dynamodb`, with removeUndefinedValues) as the
// oracle, over the shapes our records hold: the same attribute values on the wire, the same records read back.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RawItem, marshallItem, unmarshallItem } from '../../lambdas/adapters/aws/dynamodb.js';
import { newTestStore, type TestStore } from '../support/dynamo.js';

/**
 * Attribute names, some of them also Object.prototype's (not `constructor`: the SDK takes a record with one for a
 * class instance).
 */
const name = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('toString', 'valueOf', 'N', 'M'))
  // The SDK drops an attribute named __proto__ (it becomes its map's prototype): ours keeps it, tested on its own.
  .filter((n) => n !== '__proto__');

const scalar = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constant(''),
  fc.maxSafeInteger(),
  // Floats within the safe range (the SDK reads larger numbers as BigInt); -0 is stored as 0.
  fc.double({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, noNaN: true }).map((x) => (x === 0 ? 0 : x)),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 40 }),
  fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 10 }), { minLength: 1, maxLength: 5 }).map((m) => new Set(m)),
  fc.uniqueArray(fc.maxSafeInteger(), { minLength: 1, maxLength: 5 }).map((m) => new Set(m)),
);

const { record, stored } = fc.letrec<{
  value: unknown;
  record: Record<string, unknown>;
  stored: Record<string, unknown>;
}>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(fc.oneof(tie('value'), fc.constant(undefined)), { maxLength: 5 }),
    tie('record'),
  ),
  record: fc.dictionary(name, fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 6, noNullPrototype: true }),
  // What DynamoDB stores as it is: non-empty attribute names, numbers between 1e-130 and 1e126 in magnitude.
  stored: fc
    .dictionary(
      name.filter((n) => n !== '' && n !== 'pk'),
      fc.oneof(tie('value'), fc.constant(undefined)),
      { maxKeys: 6, noNullPrototype: true },
    )
    .filter(storable),
}));

/** Whether DynamoDB keeps `value` as it is: no empty attribute names, no numbers too close to zero. */
function storable(value: unknown): boolean {
  if (typeof value === 'number') return value === 0 || Math.abs(value) > 1e-100;
  if (value instanceof Set) return [...(value as Set<unknown>)].every(storable);
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(storable);
  return Object.entries(value).every(([k, v]) => k !== '' && storable(v));
}

/** Binary as base64, as it is on the wire (the SDK's marshall leaves bytes for its serializer to encode). */
function wire(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(wire);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wire(v)]));
  return value;
}

/** The wire form as the SDK's unmarshall takes it: base64 binary decoded back to bytes. */
function sdkInput(value: unknown, key?: string): unknown {
  if (key === 'B' && typeof value === 'string') return new Uint8Array(Buffer.from(value, 'base64'));
  if (Array.isArray(value)) return value.map((v) => sdkInput(v));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sdkInput(v, k)]));
  return value;
}

describe('marshallItem / unmarshallItem', () => {
  it('marshalls records as the SDK does, dropping undefined fields and list entries', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(marshallItem(r)).toEqual(wire(marshall(r, { removeUndefinedValues: true })));
      }),
      { numRuns: 500 },
    );
  });

  it('reads back what the SDK reads from the same item, after a trip through JSON', () => {
    fc.assert(
      fc.property(record, (r) => {
        const raw = JSON.parse(JSON.stringify(marshallItem(r))) as RawItem;
        const read = unmarshallItem(raw);
        expect(read).toEqual(unmarshall(sdkInput(raw) as never));
        expect(read).toEqual(unmarshall(marshall(r, { removeUndefinedValues: true })));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps attributes named __proto__ or constructor as attributes, never as the record’s prototype', () => {
    // As a user's claims from an identity source could be: JSON.parse makes __proto__ an own field.
    const record = JSON.parse('{"__proto__":{"admin":true},"id":"x","constructor":"c"}') as Record<string, unknown>;

    const raw = JSON.parse(JSON.stringify(marshallItem(record))) as RawItem;
    const read = unmarshallItem(raw);

    expect(Object.keys(raw)).toEqual(['__proto__', 'id', 'constructor']);
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    expect(Object.keys(read)).toEqual(['__proto__', 'id', 'constructor']);
    expect(read.constructor).toBe('c');
    expect((read as { admin?: unknown }).admin).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(read, '__proto__')?.value).toEqual({ admin: true });
  });

  it('refuses NaN and the infinities, at any depth, as the SDK does', () => {
    for (const n of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
      for (const r of [{ n }, { m: { list: [1, n] } }, { s: new Set([1, n]) }]) {
        expect(() => marshall(r)).toThrow();
        expect(() => marshallItem(r)).toThrow(TypeError);
      }
  });

  it('refuses what it would lose: class instances, binary sets, functions, symbols, bigints', () => {
    for (const value of [new Date(0), new Map([['a', 1]]), new (class Point {})(), new Set([new Uint8Array(1)])])
      expect(() => marshallItem({ value }), String(value)).toThrow(TypeError);
    for (const value of [() => 1, Symbol('s'), 1n]) expect(() => marshallItem({ value })).toThrow(TypeError);
    // Records without a prototype are plain records.
    expect(marshallItem({ m: Object.assign(Object.create(null), { a: 1 }) })).toEqual({ m: { M: { a: { N: '1' } } } });
  });

  it('refuses an empty set, as the SDK does', () => {
    expect(() => marshall({ s: new Set() })).toThrow();
    expect(() => marshallItem({ s: new Set() })).toThrow(TypeError);
  });
});

describe('DynamoDb through DynamoDB Local', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await newTestStore();
  });

  it('writes items the SDK reads back as written, and reads items the SDK wrote', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(stored, async (r) => {
        const expected = unmarshall(marshall(r, { removeUndefinedValues: true }));
        const ours = `ours-${n}`;
        const theirs = `theirs-${n++}`;

        await t.db.put({ TableName: t.tableName, Item: { ...r, pk: ours } });
        await t.doc.send(new PutCommand({ TableName: t.tableName, Item: { ...r, pk: theirs } }));

        const read = await t.doc.send(new GetCommand({ TableName: t.tableName, Key: { pk: ours } }));
        expect(read.Item).toEqual({ ...expected, pk: ours });
        expect(await t.db.get({ TableName: t.tableName, Key: { pk: theirs } })).toEqual({ ...expected, pk: theirs });
      }),
      { numRuns: 40 },
    );
  });
});
