import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isTradepipeError, type Candle } from '@tradepipe/core';
import { FeatureEngine } from './feature-engine.js';
import { computeFeatureMatrix } from './feature-matrix.js';
import { FEATURE_SET_VERSION, WARMUP_CANDLES } from './feature-names.js';
import { candleAt, randomColumns } from './test-support/random-candles.js';

const series = { productId: 'BTC-USD', granularity: 'ONE_HOUR' } as const;
const HOUR_MS = 3_600_000;

function sameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, offset = 0): boolean {
  for (let index = 0; index < actual.length; index++) if (!Object.is(actual[index], expected[offset + index])) return false;
  return true;
}

function expectCode(action: () => unknown, code: string): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(isTradepipeError(caught), String(caught)).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
}

describe('FeatureEngine', () => {
  it('gives bit for bit the batch rows for random series (fast-check, seed 5151)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 400 }), fc.double({ min: 0, max: 0.3, noNaN: true }), (seed, extra, flatShare) => {
        const columns = randomColumns({ length: WARMUP_CANDLES + extra, seed, flatShare });
        const batch = computeFeatureMatrix(columns, { granularity: 'ONE_HOUR' });
        const engine = new FeatureEngine(series);
        for (let row = 0; row < batch.rows; row++) {
          const vector = engine.update(candleAt(columns, row));
          if (row < batch.firstWarmRow) {
            if (vector !== undefined) return false;
            continue;
          }
          if (vector === undefined || vector.candleStartMs !== columns.startMs[row]) return false;
          if (!sameBits(vector.values, batch.matrix, row * batch.columns)) return false;
          if (!vector.values.every(Number.isFinite)) return false;
        }
        return true;
      }),
      { seed: 5151, numRuns: 12 },
    );
  });

  it('returns undefined until the 700th candle, then a vector of the feature set version', () => {
    const columns = randomColumns({ length: WARMUP_CANDLES, seed: 1 });
    const engine = new FeatureEngine(series);
    for (let row = 0; row < WARMUP_CANDLES - 1; row++) expect(engine.update(candleAt(columns, row))).toBeUndefined();
    expectCode(() => engine.currentVector(), 'not_ready');
    expectCode(() => engine.copyValuesInto(new Float64Array(51)), 'not_ready');
    const vector = engine.update(candleAt(columns, WARMUP_CANDLES - 1));
    expect(vector?.featureSetVersion).toBe(FEATURE_SET_VERSION);
    expect(vector?.values).toHaveLength(51);
    expect(engine.currentVector()).toEqual(vector);
    expect(engine.lastCandleStartMs()).toBe(columns.startMs[WARMUP_CANDLES - 1]);
  });

  it('resumes from a saved state (through JSON) with the same tail, bit for bit', () => {
    const columns = randomColumns({ length: 1_500, seed: 7 });
    const whole = new FeatureEngine(series);
    const first = new FeatureEngine(series);
    for (let row = 0; row < 900; row++) {
      whole.update(candleAt(columns, row));
      first.update(candleAt(columns, row));
    }
    const saved = JSON.parse(JSON.stringify(first.saveState())) as unknown;
    const resumed = new FeatureEngine(series);
    resumed.restoreState(saved);
    expect(resumed.lastCandleStartMs()).toBe(columns.startMs[899]);
    for (let row = 900; row < 1_500; row++) {
      const expected = whole.update(candleAt(columns, row));
      const actual = resumed.update(candleAt(columns, row));
      expect(sameBits(actual!.values, expected!.values)).toBe(true);
    }
  });

  it('resumes from a copyState copy, bit for bit, as often as asked, sharing nothing with the engine', () => {
    const columns = randomColumns({ length: 1_500, seed: 17 });
    const whole = new FeatureEngine(series);
    for (let row = 0; row < 900; row++) whole.update(candleAt(columns, row));
    const copy = whole.copyState();
    const before = JSON.stringify(whole.saveState());
    const expected: (readonly number[])[] = [];
    // The engine goes on after the copy: the copy must not move with it.
    for (let row = 900; row < 1_500; row++) expected.push(whole.update(candleAt(columns, row))!.values);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const resumed = new FeatureEngine(series);
      resumed.resumeCopy(copy);
      expect(JSON.stringify(resumed.saveState())).toBe(before);
      for (let row = 900; row < 1_500; row++) expect(sameBits(resumed.update(candleAt(columns, row))!.values, expected[row - 900]!)).toBe(true);
    }
  });

  it('refuses an altered, foreign or other-version state and keeps its own', () => {
    const columns = randomColumns({ length: 800, seed: 8 });
    const engine = new FeatureEngine(series);
    for (let row = 0; row < 800; row++) engine.update(candleAt(columns, row));
    const state = engine.saveState();
    const fresh = new FeatureEngine(series);
    expectCode(() => fresh.restoreState({ ...state, kernel: state.kernel.map((value, index) => (index === 5 ? value + 1 : value)) }), 'validation_failed');
    expectCode(() => fresh.restoreState({ ...state, featureSetVersion: 'tp-51-v0' }), 'validation_failed');
    // A checkpoint of the old, price-unit feature set is refused with a message that says so.
    expect(() => fresh.restoreState({ ...state, featureSetVersion: 'tp-51-v1' })).toThrow(/saved by feature set 'tp-51-v1'.*computes 'tp-51-v2'/);
    expectCode(() => new FeatureEngine({ productId: 'ETH-USD', granularity: 'ONE_HOUR' }).restoreState(state), 'validation_failed');
    expectCode(() => fresh.restoreState({ nonsense: true }), 'validation_failed');
    expect(fresh.lastCandleStartMs()).toBeUndefined();
    fresh.restoreState(state);
    expect(fresh.currentVector()).toEqual(engine.currentVector());
  });

  it('rejects bad numbers with validation_failed and stays unchanged', () => {
    const columns = randomColumns({ length: 10, seed: 9 });
    const engine = new FeatureEngine(series);
    engine.update(candleAt(columns, 0));
    const before = JSON.stringify(engine.saveState());
    const next = candleAt(columns, 1);
    const broken: Partial<Candle>[] = [
      { close: Number.NaN },
      { open: Number.POSITIVE_INFINITY },
      { high: next.low / 2 },
      { low: 0, open: 1, close: 1 },
      { low: -1 },
      { volume: -1 },
      { volume: Number.NaN },
      { high: Math.max(next.open, next.close) * 0.999 },
      { startMs: next.startMs + 1 },
      { productId: 'ETH-USD' },
      { granularity: 'ONE_DAY' },
    ];
    for (const change of broken) expectCode(() => engine.update({ ...next, ...change }), 'validation_failed');
    expect(JSON.stringify(engine.saveState())).toBe(before);
  });

  it('ignores an exact duplicate, refuses older or conflicting candles', () => {
    const columns = randomColumns({ length: WARMUP_CANDLES + 2, seed: 10 });
    const engine = new FeatureEngine(series);
    let last;
    for (let row = 0; row < WARMUP_CANDLES; row++) last = engine.update(candleAt(columns, row));
    const before = JSON.stringify(engine.saveState());
    expect(engine.update(candleAt(columns, WARMUP_CANDLES - 1))).toEqual(last);
    expect(JSON.stringify(engine.saveState())).toBe(before);
    expectCode(() => engine.update({ ...candleAt(columns, WARMUP_CANDLES - 1), volume: 1234 }), 'candle_out_of_order');
    expectCode(() => engine.update(candleAt(columns, WARMUP_CANDLES - 5)), 'candle_out_of_order');
    expect(JSON.stringify(engine.saveState())).toBe(before);
  });

  it('fills a gap with the close carried forward and zero volume, as if those candles had come', () => {
    const columns = randomColumns({ length: WARMUP_CANDLES + 10, seed: 11 });
    const gapped = new FeatureEngine(series);
    const explicit = new FeatureEngine(series);
    for (let row = 0; row < WARMUP_CANDLES; row++) {
      gapped.update(candleAt(columns, row));
      explicit.update(candleAt(columns, row));
    }
    const previous = candleAt(columns, WARMUP_CANDLES - 1);
    for (let missing = 1; missing <= 3; missing++) {
      const price = previous.close;
      explicit.update({ ...previous, startMs: previous.startMs + missing * HOUR_MS, open: price, high: price, low: price, close: price, volume: 0, gapFilled: true });
    }
    const after = { ...candleAt(columns, WARMUP_CANDLES), startMs: previous.startMs + 4 * HOUR_MS };
    const expected = explicit.update(after)!;
    const actual = gapped.update(after)!;
    expect(sameBits(actual.values, expected.values)).toBe(true);
    expect(gapped.candleCount()).toBe(WARMUP_CANDLES + 4);
  });

  it('refuses gaps with candle_gap under the reject policy or beyond maxFilledCandles', () => {
    const columns = randomColumns({ length: 3, seed: 12 });
    const rejecting = new FeatureEngine(series, { mode: 'reject', maxFilledCandles: 10 });
    rejecting.update(candleAt(columns, 0));
    expectCode(() => rejecting.update({ ...candleAt(columns, 1), startMs: columns.startMs[0]! + 2 * HOUR_MS }), 'candle_gap');
    const limited = new FeatureEngine(series, { mode: 'fill', maxFilledCandles: 2 });
    limited.update(candleAt(columns, 0));
    expectCode(() => limited.update({ ...candleAt(columns, 1), startMs: columns.startMs[0]! + 4 * HOUR_MS }), 'candle_gap');
    expect(limited.candleCount()).toBe(1);
  });

  it('works when the caller reuses one candle object for every update', () => {
    const columns = randomColumns({ length: WARMUP_CANDLES + 50, seed: 13 });
    const batch = computeFeatureMatrix(columns, { granularity: 'ONE_HOUR' });
    const engine = new FeatureEngine(series);
    const reused = candleAt(columns, 0);
    const out = new Float64Array(51);
    for (let row = 0; row < batch.rows; row++) {
      Object.assign(reused, candleAt(columns, row));
      if (engine.feed(reused)) {
        engine.copyValuesInto(out);
        expect(sameBits(out, batch.matrix, row * 51)).toBe(true);
      }
    }
    expect(engine.candleCount()).toBe(batch.rows);
  });
});
