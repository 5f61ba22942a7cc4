import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeFeatureMatrix, type CandleColumns } from './feature-matrix.js';
import { FEATURE_NAMES, WARMUP_CANDLES } from './feature-names.js';
import { loadBtcDailyCandles, toColumns } from './test-support/btc-candles.js';
import { randomColumns } from './test-support/random-candles.js';

// Every feature is free of the price unit and level (and, apart, of the volume unit): quoting the same
// candles ×1000 or ×0.001 leaves each value within |a − b| ≤ 1e-9·max(|a|, |b|) + 1e-12.

function scaled(columns: CandleColumns, priceFactor: number, volumeFactor: number): CandleColumns {
  const times = (values: ArrayLike<number>, factor: number) => Float64Array.from(values as ArrayLike<number>, (value) => value * factor);
  return {
    startMs: columns.startMs,
    open: times(columns.open, priceFactor),
    high: times(columns.high, priceFactor),
    low: times(columns.low, priceFactor),
    close: times(columns.close, priceFactor),
    volume: times(columns.volume, volumeFactor),
  };
}

/** The first feature (name, row, values) that moved beyond the tolerance, or undefined. */
function firstMoved(columns: CandleColumns, granularity: 'ONE_DAY' | 'ONE_HOUR', priceFactor: number, volumeFactor: number) {
  const base = computeFeatureMatrix(columns, { granularity });
  const other = computeFeatureMatrix(scaled(columns, priceFactor, volumeFactor), { granularity });
  for (let index = base.firstWarmRow * base.columns; index < base.matrix.length; index++) {
    const a = base.matrix[index]!;
    const b = other.matrix[index]!;
    if (!(Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) + 1e-12)) {
      return { feature: FEATURE_NAMES[index % base.columns], row: Math.floor(index / base.columns), a, b };
    }
  }
  return undefined;
}

describe('scale-free features', () => {
  const btc = toColumns(loadBtcDailyCandles());

  it.each([1000, 0.001])('gives the same features on BTC-USD daily candles quoted ×%s', (factor) => {
    expect(firstMoved(btc, 'ONE_DAY', factor, 1)).toBeUndefined();
  });

  it.each([1000, 0.001])('gives the same features on BTC-USD daily candles with volume ×%s', (factor) => {
    expect(firstMoved(btc, 'ONE_DAY', 1, factor)).toBeUndefined();
  });

  it('gives the same features on random series quoted ×1000 / ×0.001, volume apart (fast-check, seed 1000)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom(1000, 0.001), fc.boolean(), (seed, factor, onVolume) => {
        const columns = randomColumns({ length: WARMUP_CANDLES + 200, seed });
        const moved = onVolume ? firstMoved(columns, 'ONE_HOUR', 1, factor) : firstMoved(columns, 'ONE_HOUR', factor, 1);
        if (moved !== undefined) throw new Error(JSON.stringify({ seed, factor, onVolume, ...moved }));
        return true;
      }),
      { seed: 1000, numRuns: 20 },
    );
  });
});
