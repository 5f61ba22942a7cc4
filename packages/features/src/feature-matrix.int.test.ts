import { describe, expect, it } from 'vitest';
import { computeFeatureMatrix } from './feature-matrix.js';
import { FEATURE_NAMES, WARMUP_CANDLES } from './feature-names.js';
import { randomColumns } from './test-support/random-candles.js';

// 1,000,000 hourly candles (seed 1): the rows at the end of the long run must equal, within
// |a − b| ≤ 1e-9·max(1, |b|), the rows of a fresh run over only the last WARMUP_CANDLES + 2,000 candles.
// Running sums re-summed each window and seeds decayed by warm-up leave no trace of the first 998k candles.
describe('a million candles', () => {
  it('shows no drift against a fresh start near the end', () => {
    const length = 1_000_000;
    const tail = WARMUP_CANDLES + 2_000;
    const columns = randomColumns({ length, seed: 1, flatShare: 0.02 });
    const whole = computeFeatureMatrix(columns, { granularity: 'ONE_HOUR' });
    const slice = (values: Float64Array) => values.subarray(length - tail);
    const fresh = computeFeatureMatrix(
      { startMs: slice(columns.startMs), open: slice(columns.open), high: slice(columns.high), low: slice(columns.low), close: slice(columns.close), volume: slice(columns.volume) },
      { granularity: 'ONE_HOUR' },
    );
    let worst = { ratio: 0, name: '', row: 0 };
    for (let row = fresh.firstWarmRow; row < tail; row++) {
      for (let column = 0; column < 51; column++) {
        const actual = whole.matrix[(length - tail + row) * 51 + column]!;
        const expected = fresh.matrix[row * 51 + column]!;
        const ratio = Math.abs(actual - expected) / (1e-9 * Math.max(1, Math.abs(expected)));
        if (ratio > worst.ratio) worst = { ratio, name: FEATURE_NAMES[column]!, row };
      }
    }
    expect(worst.ratio, JSON.stringify(worst)).toBeLessThanOrEqual(1);
  });
});
