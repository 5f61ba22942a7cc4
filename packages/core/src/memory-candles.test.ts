import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './ids.js';
import { CandleSeries } from './memory-candles.js';
import type { Candle } from './records/market.js';
import type { CandleQuery } from './store.js';
import { GRANULARITIES, type Granularity } from './time.js';

fc.configureGlobal({ seed: 20261214, numRuns: 300 });

const PRODUCTS = ['BTC-USD', 'ETH-USD'] as const;
const SERIES_GRANULARITIES = ['ONE_MINUTE', 'FIVE_MINUTE'] as const satisfies readonly Granularity[];

function candleOf(productId: string, granularity: Granularity, startIndex: number, close: number): Candle {
  return { productId, granularity, startMs: startIndex * GRANULARITIES[granularity], open: 10, high: 20, low: 1, close, volume: 1, gapFilled: false };
}

/** The reference: each series a plain array kept sorted by start, searched linearly. */
class SortedArrayModel {
  readonly series = new Map<string, Candle[]>();

  listOf(productId: string, granularity: Granularity): Candle[] {
    const key = `${productId}/${granularity}`;
    if (!this.series.has(key)) this.series.set(key, []);
    return this.series.get(key)!;
  }

  insert(candles: readonly Candle[]): { added: Candle[]; duplicates: number; conflicts: { productId: string; granularity: Granularity; startMs: number }[] } {
    const result = { added: [] as Candle[], duplicates: 0, conflicts: [] as { productId: string; granularity: Granularity; startMs: number }[] };
    for (const candle of candles) {
      const list = this.listOf(candle.productId, candle.granularity);
      const index = firstAtOrAfter(list, candle.startMs);
      const existing = list[index];
      if (existing?.startMs === candle.startMs) {
        if (canonicalJson(existing) === canonicalJson(candle)) result.duplicates += 1;
        else result.conflicts.push({ productId: candle.productId, granularity: candle.granularity, startMs: candle.startMs });
      } else {
        list.splice(index, 0, candle);
        result.added.push(candle);
      }
    }
    return result;
  }

  range(query: CandleQuery): Candle[] {
    const list = this.listOf(query.productId, query.granularity);
    const end = firstAtOrAfter(list, query.asOfMs - GRANULARITIES[query.granularity] + 1);
    let start = query.fromStartMs === undefined ? 0 : firstAtOrAfter(list, query.fromStartMs);
    if (query.limit !== undefined) start = Math.max(start, end - query.limit);
    return list.slice(start, Math.max(start, end));
  }
}

function firstAtOrAfter(list: readonly Candle[], startMs: number): number {
  const index = list.findIndex((candle) => candle.startMs >= startMs);
  return index < 0 ? list.length : index;
}

const seriesArbitrary = fc.record({ productId: fc.constantFrom(...PRODUCTS), granularity: fc.constantFrom(...SERIES_GRANULARITIES) });
/** Starts on a small grid (in bucket units) so inserts collide; closes from a small set so duplicates are equal or differ. */
const candleArbitrary = fc
  .tuple(seriesArbitrary, fc.integer({ min: 0, max: 60 }), fc.constantFrom(11, 12))
  .map(([{ productId, granularity }, startIndex, close]) => candleOf(productId, granularity, startIndex, close));

const operationArbitrary = fc.oneof(
  { weight: 3, arbitrary: fc.record({ type: fc.constant('insert' as const), candles: fc.array(candleArbitrary, { maxLength: 12 }), sorted: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('append' as const), series: seriesArbitrary, gaps: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 12 }) }) },
);

const queryArbitrary = fc.record({
  series: seriesArbitrary,
  asOfIndex: fc.integer({ min: -2, max: 120 }),
  fromStartIndex: fc.option(fc.integer({ min: -2, max: 120 }), { nil: undefined }),
  limit: fc.option(fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 40 }) }, fc.constantFrom(-1, 2.5, Number.NaN, Number.POSITIVE_INFINITY)), { nil: undefined }),
  atIndex: fc.integer({ min: -1, max: 120 }),
});

describe('CandleSeries', () => {
  it('matches a sorted-array model over random inserts and appends (small segments, so they split)', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4), fc.array(fc.tuple(operationArbitrary, fc.array(queryArbitrary, { minLength: 1, maxLength: 3 })), { maxLength: 30 }), (segmentCapacity, steps) => {
        const series = new CandleSeries(segmentCapacity);
        const model = new SortedArrayModel();
        for (const [operation, queries] of steps) {
          if (operation.type === 'insert') {
            const candles = operation.sorted ? [...operation.candles].sort((a, b) => a.startMs - b.startMs) : operation.candles;
            expect(series.insert(candles)).toEqual(model.insert(candles));
          } else {
            const { productId, granularity } = operation.series;
            const list = model.listOf(productId, granularity);
            let startIndex = list.length === 0 ? -1 : list[list.length - 1]!.startMs / GRANULARITIES[granularity];
            const candles = operation.gaps.map((gap) => candleOf(productId, granularity, (startIndex += gap), 13));
            series.appendFresh(candles);
            list.push(...candles);
          }
          for (const { series: { productId, granularity }, asOfIndex, fromStartIndex, limit, atIndex } of queries) {
            const granularityMs = GRANULARITIES[granularity];
            const query: CandleQuery = { productId, granularity, asOfMs: asOfIndex * granularityMs, fromStartMs: fromStartIndex === undefined ? undefined : fromStartIndex * granularityMs, limit };
            expect(series.range(query)).toEqual(model.range(query));
            expect(series.latest(productId, granularity)).toEqual(model.listOf(productId, granularity).at(-1));
            const expected = model.listOf(productId, granularity).find((candle) => candle.startMs === atIndex * granularityMs);
            expect(series.at(productId, granularity, atIndex * granularityMs)).toEqual(expected);
            expect(series.atKey(`${productId}/${granularity}`, atIndex * granularityMs)).toEqual(expected);
          }
        }
      }),
    );
  });

  it('reads across many segments of candles appended by appendFresh', () => {
    const series = new CandleSeries();
    const count = 4 * 4_096 + 123;
    const minute = GRANULARITIES.ONE_MINUTE;
    const all = Array.from({ length: count }, (_, index) => candleOf('BTC-USD', 'ONE_MINUTE', index, 11));
    const missing = all[4_100]!; // a gap in the appended runs, filled late
    const appended = all.filter((candle) => candle !== missing);
    for (let from = 0; from < appended.length; from += 1_000) series.appendFresh(appended.slice(from, from + 1_000));
    const query = { productId: 'BTC-USD', granularity: 'ONE_MINUTE' } as const;

    expect(series.latest('BTC-USD', 'ONE_MINUTE')).toBe(all[count - 1]);
    for (const index of [0, 4_095, 4_096, 8_191, 8_192, 12_345, count - 1]) {
      expect(series.at('BTC-USD', 'ONE_MINUTE', index * minute)).toBe(all[index]);
      expect(series.atKey('BTC-USD/ONE_MINUTE', index * minute)).toBe(all[index]);
    }
    expect(series.at('BTC-USD', 'ONE_MINUTE', 4_100 * minute)).toBeUndefined();
    expect(series.at('BTC-USD', 'ONE_MINUTE', count * minute)).toBeUndefined();
    expect(series.at('BTC-USD', 'ONE_MINUTE', 30_000)).toBeUndefined();
    expect(series.latest('ETH-USD', 'ONE_MINUTE')).toBeUndefined();
    expect(series.range({ ...query, productId: 'ETH-USD', asOfMs: count * minute })).toEqual([]);

    const everything = series.range({ ...query, asOfMs: Number.MAX_SAFE_INTEGER });
    expect(everything).toEqual(appended);
    everything.length = 0; // the caller's own array: the series is untouched
    expect(series.range({ ...query, asOfMs: count * minute })).toEqual(appended);
    expect(series.range({ ...query, asOfMs: (count - 1) * minute })).toEqual(appended.slice(0, -1)); // the last is not closed yet
    expect(series.range({ ...query, asOfMs: 9_000 * minute, fromStartMs: 3_000 * minute })).toEqual(all.slice(3_000, 9_000).filter((candle) => candle !== missing));
    expect(series.range({ ...query, asOfMs: 9_000 * minute, limit: 5_000 })).toEqual(all.slice(3_999, 9_000).filter((candle) => candle !== missing));
    expect(series.range({ ...query, asOfMs: 4_096 * minute, limit: 10 })).toEqual(all.slice(4_086, 4_096));

    // The late candle, and repeats of an appended one with equal and with different content.
    const late = series.insert([missing, { ...all[5_000]! }, candleOf('BTC-USD', 'ONE_MINUTE', 5_000, 12)]);
    expect(late).toEqual({ added: [missing], duplicates: 1, conflicts: [{ productId: 'BTC-USD', granularity: 'ONE_MINUTE', startMs: 5_000 * minute }] });
    expect(series.at('BTC-USD', 'ONE_MINUTE', 4_100 * minute)).toBe(missing);
    expect(series.at('BTC-USD', 'ONE_MINUTE', 5_000 * minute)).toBe(all[5_000]);
    expect(series.range({ ...query, asOfMs: count * minute })).toEqual(all);
  });
});
