import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isTradepipeError } from '@tradepipe/core';
import { computeFeatureMatrix } from './feature-matrix.js';
import { FEATURE_NAMES, WARMUP_CANDLES } from './feature-names.js';
import { randomColumns, seededRandom } from './test-support/random-candles.js';
import { featureColumn } from './test-support/compare.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isTradepipeError(error) ? error.code : 'not a TradepipeError';
  }
  return undefined;
}

describe('computeFeatureMatrix', () => {
  it('never lets a candle after t change a row at or before t (fast-check, seed 2024)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 999 }), (seed, cut) => {
        const length = WARMUP_CANDLES + 300;
        const original = randomColumns({ length, seed });
        const changed = randomColumns({ length, seed: seed + 1 });
        const t = WARMUP_CANDLES - 2 + (cut % 300);
        // Same candles up to t; other (valid, continuous) candles after t.
        const scale = original.close[t]! / changed.open[t + 1]!;
        const mixed = randomColumns({ length, seed });
        for (let row = t + 1; row < length; row++) {
          for (const key of ['open', 'high', 'low', 'close'] as const) mixed[key][row] = changed[key][row]! * scale;
          mixed.volume[row] = changed.volume[row]! * 3;
        }
        const before = computeFeatureMatrix(original, { granularity: 'ONE_HOUR' });
        const after = computeFeatureMatrix(mixed, { granularity: 'ONE_HOUR' });
        for (let index = 0; index < (t + 1) * 51; index++) if (!Object.is(before.matrix[index], after.matrix[index])) return false;
        return true;
      }),
      { seed: 2024, numRuns: 10 },
    );
  });

  it('marks rows before warm-up NaN and every later value finite', () => {
    const result = computeFeatureMatrix(randomColumns({ length: WARMUP_CANDLES + 20, seed: 3, flatShare: 0.5 }), { granularity: 'ONE_HOUR' });
    expect(result.firstWarmRow).toBe(WARMUP_CANDLES - 1);
    expect(result.columns).toBe(FEATURE_NAMES.length);
    expect(result.matrix.subarray(0, result.firstWarmRow * 51).every(Number.isNaN)).toBe(true);
    expect(result.matrix.subarray(result.firstWarmRow * 51).every(Number.isFinite)).toBe(true);
    const short = computeFeatureMatrix(randomColumns({ length: 5, seed: 3 }), { granularity: 'ONE_HOUR' });
    expect(short.firstWarmRow).toBe(5);
  });

  it('defines every 0/0: a flat market with no volume gives the neutral values', () => {
    const length = WARMUP_CANDLES + 5;
    const flat = { startMs: new Float64Array(length), open: new Float64Array(length).fill(42), volume: new Float64Array(length) };
    for (let row = 0; row < length; row++) flat.startMs[row] = row * 86_400_000;
    const result = computeFeatureMatrix({ ...flat, high: flat.open, low: flat.open, close: flat.open }, { granularity: 'ONE_DAY' });
    const last = Object.fromEntries(FEATURE_NAMES.map((name) => [name, featureColumn(result, name)[length - 1]]));
    const neutral: Record<string, number> = {
      rsi_7: 50, rsi_14: 50, rsi_21: 50, stochastic_k_14: 50, stochastic_d_14_3: 50, williams_r_14: -50, mfi_14: 50,
      bollinger_percent_b_20: 0.5, volume_to_average_20: 1, true_range_to_atr_14: 1, hour_of_day_cos: 1,
    };
    for (const name of FEATURE_NAMES) {
      if (name.startsWith('day_of_week')) continue;
      expect(Math.abs(last[name]!), name).toBeLessThan(1e-12 + Math.abs(neutral[name] ?? 0));
      expect(last[name], name).toBeCloseTo(neutral[name] ?? 0, 12);
    }
  });

  it('encodes the UTC hour and weekday of the candle start', () => {
    const length = WARMUP_CANDLES;
    const columns = randomColumns({ length, seed: 4, startMs: Date.UTC(2024, 0, 1), stepMs: 3_600_000 });
    const result = computeFeatureMatrix(columns, { granularity: 'ONE_HOUR' });
    const row = length - 1;
    const start = new Date(columns.startMs[row]!);
    const hourAngle = (2 * Math.PI * start.getUTCHours()) / 24;
    const weekdayAngle = (2 * Math.PI * ((start.getUTCDay() + 6) % 7)) / 7;
    expect(featureColumn(result, 'hour_of_day_sin')[row]).toBeCloseTo(Math.sin(hourAngle), 14);
    expect(featureColumn(result, 'hour_of_day_cos')[row]).toBeCloseTo(Math.cos(hourAngle), 14);
    expect(featureColumn(result, 'day_of_week_sin')[row]).toBeCloseTo(Math.sin(weekdayAngle), 14);
    expect(featureColumn(result, 'day_of_week_cos')[row]).toBeCloseTo(Math.cos(weekdayAngle), 14);
  });

  it('refuses gaps, disorder, bad numbers and ragged columns with typed errors naming the row', () => {
    const columns = randomColumns({ length: 20, seed: 5 });
    const copy = () => randomColumns({ length: 20, seed: 5 });
    const gap = copy();
    gap.startMs[10] = gap.startMs[10]! + 3_600_000;
    expect(codeOf(() => computeFeatureMatrix(gap, { granularity: 'ONE_HOUR' }))).toBe('candle_gap');
    const disorder = copy();
    disorder.startMs[10] = disorder.startMs[9]!;
    expect(codeOf(() => computeFeatureMatrix(disorder, { granularity: 'ONE_HOUR' }))).toBe('candle_out_of_order');
    const random = seededRandom(1);
    for (const key of ['open', 'high', 'low', 'close', 'volume'] as const) {
      const bad = copy();
      bad[key][Math.floor(random() * 20)] = Number.NaN;
      expect(codeOf(() => computeFeatureMatrix(bad, { granularity: 'ONE_HOUR' })), key).toBe('validation_failed');
    }
    const inverted = copy();
    inverted.high[3] = inverted.low[3]! / 2;
    expect(codeOf(() => computeFeatureMatrix(inverted, { granularity: 'ONE_HOUR' }))).toBe('validation_failed');
    expect(codeOf(() => computeFeatureMatrix({ ...columns, volume: columns.volume.subarray(1) }, { granularity: 'ONE_HOUR' }))).toBe('validation_failed');
    try {
      computeFeatureMatrix(inverted, { granularity: 'ONE_HOUR' });
    } catch (error) {
      expect(isTradepipeError(error) && error.details.row).toBe(3);
    }
  });
});

describe('computeFeatureMatrix output option', () => {
  it('writes into a given array the same numbers as into a new one, and refuses a short one', () => {
    const columns = randomColumns({ length: WARMUP_CANDLES + 10, seed: 6 });
    const fresh = computeFeatureMatrix(columns, { granularity: 'ONE_HOUR' });
    const output = new Float64Array((WARMUP_CANDLES + 20) * 51).fill(7);
    const reused = computeFeatureMatrix(columns, { granularity: 'ONE_HOUR', output });
    expect(reused.matrix.buffer).toBe(output.buffer);
    expect(Array.from(reused.matrix)).toEqual(Array.from(fresh.matrix));
    expect(codeOf(() => computeFeatureMatrix(columns, { granularity: 'ONE_HOUR', output: new Float64Array(51) }))).toBe('validation_failed');
  });
});
