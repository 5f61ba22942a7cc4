import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GroupedRecords, SortedTimes } from './memory-indexes.js';

fc.configureGlobal({ seed: 20261206, numRuns: 300 });

describe('SortedTimes', () => {
  it('counts the times at or after any instant as a scan of every time does, whatever order they came in', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }), fc.array(fc.integer({ min: -5, max: 205 }), { minLength: 1, maxLength: 20 }), (times, queries) => {
        const sorted = new SortedTimes();
        const inserted: number[] = [];
        for (const timeMs of times) {
          sorted.insert(timeMs);
          inserted.push(timeMs);
          for (const sinceMs of queries) expect(sorted.countAtLeast(sinceMs)).toBe(inserted.filter((other) => other >= sinceMs).length);
        }
      }),
    );
  });

  it('grows past its first capacity with epoch-millisecond times', () => {
    const sorted = new SortedTimes();
    const startMs = Date.UTC(2026, 11, 6);
    for (let index = 0; index < 1_000; index += 1) sorted.insert(startMs + index * 60_000);
    expect(sorted.countAtLeast(startMs)).toBe(1_000);
    expect(sorted.countAtLeast(startMs + 990 * 60_000)).toBe(10);
    expect(sorted.countAtLeast(startMs + 1_000 * 60_000)).toBe(0);
  });
});

describe('GroupedRecords', () => {
  it('lists each key’s records in the order added, as a fresh array', () => {
    const groups = new GroupedRecords<{ readonly id: string }>();
    groups.add('a', { id: 'a1' });
    groups.add('b', { id: 'b1' });
    groups.add('a', { id: 'a2' });
    groups.add('a', { id: 'a3' });
    expect(groups.list('a').map((record) => record.id)).toEqual(['a1', 'a2', 'a3']);
    expect(groups.list('b').map((record) => record.id)).toEqual(['b1']);
    expect(groups.list('c')).toEqual([]);
    groups.list('a').pop();
    groups.list('b').pop();
    expect(groups.list('a')).toHaveLength(3);
    expect(groups.list('b')).toHaveLength(1);
  });
});
