import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCandle } from './candle-check.js';
import { CandleSchema } from './records/market.js';
import { GRANULARITIES } from './time.js';

fc.configureGlobal({ seed: 20261127, numRuns: 2_000 });

const number = fc.oneof(
  fc.double(),
  fc.double({ min: 1, max: 200, noNaN: true }),
  fc.constantFrom(0, -0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e-300, 2 ** 53, 60_000, 5e-324, 1e-13, 1e-12, 1e12, 1e13, 1e18, 1e19),
  fc.string(),
  fc.constant(null),
  fc.bigInt().map((value) => value as unknown as number),
);
const candleLike = fc.record(
  {
    productId: fc.oneof(fc.constantFrom('BTC-USD', 'ETH-EUR', 'btc-usd', 'B-USD', 'BTCUSD'), fc.string()),
    granularity: fc.oneof(fc.constantFrom(...Object.keys(GRANULARITIES)), fc.string()),
    startMs: fc.oneof(fc.integer({ min: 0, max: 1_000 }).map((index) => index * 60_000), fc.constantFrom(-60_000, 30_000, 1.5, 2 ** 60, Date.UTC(2100, 0, 1), Date.UTC(2100, 0, 1) - 60_000, 1_700_000_000_000_000), number),
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    gapFilled: fc.oneof(fc.boolean(), fc.constant('yes')),
    extra: fc.string(),
  },
  { requiredKeys: ['productId', 'granularity', 'startMs', 'open', 'high', 'low', 'close', 'volume'] },
);
// Mostly valid candles (prices ordered), so that acceptance is exercised as much as refusal.
const validish = fc
  .record({ index: fc.integer({ min: 0, max: 10_000 }), a: fc.double({ min: 0.01, max: 1e6, noNaN: true }), b: fc.double({ min: 0.01, max: 1e6, noNaN: true }), volume: fc.double({ min: 0, max: 1e9, noNaN: true }), gapFilled: fc.option(fc.boolean(), { nil: undefined }) })
  .map(({ index, a, b, volume, gapFilled }) => ({
    productId: 'BTC-USD',
    granularity: 'ONE_MINUTE',
    startMs: index * 60_000,
    open: a,
    close: b,
    high: Math.max(a, b),
    low: Math.min(a, b),
    volume,
    ...(gapFilled === undefined ? {} : { gapFilled }),
  }));

function verdict(check: () => unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: check() };
  } catch {
    return { ok: false };
  }
}

describe('checkCandle', () => {
  it('gives the verdicts and values of CandleSchema', () => {
    fc.assert(
      fc.property(fc.oneof(candleLike, validish), (input) => {
        const expected = verdict(() => CandleSchema.parse(input));
        const actual = verdict(() => checkCandle(input));
        expect(actual).toEqual(expected);
      }),
    );
  });
});
