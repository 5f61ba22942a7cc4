import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RECORD_ID_PREFIXES, canonicalJson, clientOrderIdFor, recordId, recordIdOfWords, recordIdsAfter, type NaturalKeyPart, type RecordKind } from './ids.js';

describe('record ids', () => {
  // First in the file: the caches must still have empty slots.
  it('never answers an input it was not given from an empty slot (a bug passing undefined still gets a hash)', () => {
    const fresh = 'rec_never_seen_before_by_the_cache';
    expect(clientOrderIdFor(undefined as unknown as string)).toMatch(/^[0-9a-f]{8}-/);
    expect(recordId('order', [undefined as unknown as string])).toMatch(new RegExp(`^${RECORD_ID_PREFIXES.order}_[0-9a-f]{32}$`));
    expect(recordId('order', [fresh])).toBe(recordId('order', [fresh]));
  });

  it('are stable for the same natural key and differ across keys', () => {
    const key = ['demo', 'BTC-USD', 'ONE_DAY', 1_735_689_600_000] as const;
    expect(recordId('signal', key)).toBe(recordId('signal', [...key]));
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.integer())), fc.array(fc.oneof(fc.string(), fc.integer())), (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        return recordId('signal', a) !== recordId('signal', b);
      }),
      { seed: 7, numRuns: 500 },
    );
    expect(recordId('signal', key)).not.toBe(recordId('recommendation', key));
  });

  it('are the same when built after a shared key prefix', () => {
    const part = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(-0));
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(RECORD_ID_PREFIXES) as RecordKind[])), fc.array(part), part, (kind, prefix, last) => {
        expect(recordIdsAfter(kind, prefix)(last)).toBe(recordId(kind, [...prefix, last]));
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it('are the same after a shared key prefix for candle-start-like integers of every digit count, in any order', () => {
    // The integer path writes digits into a reused buffer per digit count: boundaries of both halves, and interleaved lengths.
    const boundaries = [0, -0, 1, 9, 10, 99_999_999, 100_000_000, 100_000_001, 1_735_689_600_000, 9_999_999_999_999, Number.MAX_SAFE_INTEGER];
    for (let power = 1; power < 1e16; power *= 10) boundaries.push(power - 1, power, power + 1, 3 * power - 1);
    const prefixes: NaturalKeyPart[][] = [['demo', 'BTC-USD', 'ONE_MINUTE'], ['é€😀 "quoted"', 1.5, true], []];
    for (const prefix of prefixes) {
      const after = recordIdsAfter('signal', prefix);
      for (const last of [...boundaries, ...[...boundaries].reverse()]) expect(after(last)).toBe(recordId('signal', [...prefix, last]));
      fc.assert(
        fc.property(fc.maxSafeNat(), (last) => after(last) === recordId('signal', [...prefix, last])),
        { seed: 13, numRuns: 300 },
      );
    }
  });

  it('are the same as words after a shared key prefix, and words only for non-negative safe integers', () => {
    const words = new Uint32Array(8).fill(7);
    for (const prefix of [['demo', 'BTC-USD', 'ONE_MINUTE'], ['é€😀', 2]] as NaturalKeyPart[][]) {
      const after = recordIdsAfter('signal', prefix);
      fc.assert(
        fc.property(fc.maxSafeNat(), (last) => after.words(last, words, 3) && recordIdOfWords('signal', words, 3) === recordId('signal', [...prefix, last])),
        { seed: 17, numRuns: 300 },
      );
      words.fill(7);
      for (const last of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, '12', true]) expect(after.words(last, words, 0)).toBe(false);
      expect([...words]).toEqual(new Array(8).fill(7));
    }
  });

  it('do not depend on separators inside parts', () => {
    expect(recordId('order', ['a/b', 'c'])).not.toBe(recordId('order', ['a', 'b/c']));
  });

  it('derive a UUID-shaped client order id', () => {
    const id = clientOrderIdFor('rec_1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(clientOrderIdFor('rec_1')).toBe(id);
    expect(clientOrderIdFor('rec_2')).not.toBe(id);
  });

  it('serialise content canonically', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: undefined } })).toBe(canonicalJson({ a: { d: 2 }, b: 1 }));
  });
});

describe('recent ids', () => {
  it('gives the derived id again for a one-part key and a client order id, however many others came between', () => {
    const derived = (kind: string, prefix: string, part: string): string => `${prefix}_${createHash('sha256').update(JSON.stringify([kind, part])).digest('hex').slice(0, 32)}`;
    const parts = Array.from({ length: 20 }, (_, index) => `rec_${index}`);
    const clientIds = parts.map((part) => clientOrderIdFor(part));
    for (let round = 0; round < 3; round += 1) {
      for (const [index, part] of parts.entries()) {
        expect(recordId('order', [part])).toBe(derived('order', 'ord', part));
        expect(recordId('approval', [part])).toBe(derived('approval', 'apv', part));
        expect(clientOrderIdFor(part)).toBe(clientIds[index]);
      }
    }
    expect(new Set(clientIds).size).toBe(parts.length);
  });

});
