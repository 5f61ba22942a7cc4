import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FeatureExtractor, FeatureSet, SeriesKey } from '../interfaces.js';
import type { Candle, FeatureVector } from '../records/market.js';
import { ReplayFeatureLog } from './replay-feature-log.js';

fc.configureGlobal({ seed: 20261207, numRuns: 20 });

const MINUTE_MS = 60_000;

/**
 * A stateful test feature set: a running EMA of closes, a running sum of volumes and the candle count, warm after
 * three candles. Its state is numbers (as the shipped engine's): a restored engine goes on bit for bit.
 */
class RunningFeatureSet implements FeatureSet {
  readonly featureSetVersion = 'running-1';
  readonly featureNames = ['ema', 'volume_sum', 'count', 'gap'] as const;
  readonly warmupCandles = 3;
  createExtractor(series: SeriesKey): FeatureExtractor {
    let ema = 0;
    let volumeSum = 0;
    let count = 0;
    let lastStartMs: number | undefined;
    return {
      update: (candle): FeatureVector | undefined => {
        if (lastStartMs !== undefined && candle.startMs <= lastStartMs) throw new Error('out of order');
        lastStartMs = candle.startMs;
        ema = count === 0 ? candle.close : ema + (candle.close - ema) * 0.1;
        volumeSum += candle.volume;
        count += 1;
        if (count < this.warmupCandles) return undefined;
        return { ...series, candleStartMs: candle.startMs, featureSetVersion: this.featureSetVersion, values: [ema, volumeSum, count, candle.gapFilled ? 1 : 0] };
      },
      lastCandleStartMs: () => lastStartMs,
      saveState: () => ({ ema, volumeSum, count, lastStartMs }),
      restoreState: (state) => {
        ({ ema, volumeSum, count, lastStartMs } = state as { ema: number; volumeSum: number; count: number; lastStartMs: number | undefined });
      },
    };
  }
}

const features = new RunningFeatureSet();
const series = { productId: 'BTC-USD', granularity: 'ONE_MINUTE' } as const;

function candlesOf(closes: readonly number[], fromMinute = 0): Candle[] {
  return closes.map((close, index) => ({ ...series, startMs: (fromMinute + index) * MINUTE_MS, open: close, high: close * 1.01, low: close * 0.99, close, volume: 0.1 + (index % 7) * 0.3, gapFilled: index % 11 === 0 }));
}

/** Feeds `candles` to `engine`, logging each first (as the batched replay does); the values the engine gave, by start. */
function feed(log: ReplayFeatureLog, engine: FeatureExtractor, candles: readonly Candle[], given = new Map<number, readonly number[]>()): Map<number, readonly number[]> {
  for (const candle of candles) {
    log.record(engine, candle);
    const vector = engine.update(candle);
    if (vector !== undefined) given.set(candle.startMs, vector.values);
  }
  return given;
}

const sameBits = (actual: readonly number[] | undefined, expected: readonly number[] | undefined): boolean =>
  actual !== undefined && expected !== undefined && actual.length === expected.length && actual.every((value, index) => Object.is(value, expected[index]));

describe('ReplayFeatureLog (the quiet signals\' feature values, recomputed on read)', () => {
  const closes = Array.from({ length: 3_500 }, (_, index) => 100 + Math.sin(index / 17) * 5 + (index % 13) / 7);

  it('gives the values the engine gave, bit for bit, read in order, backwards and at random, over several stretches', () => {
    const log = new ReplayFeatureLog(features, series.productId, series.granularity);
    const candles = candlesOf(closes);
    const given = feed(log, features.createExtractor(series), candles);
    const starts = [...given.keys()];
    for (const startMs of starts) expect(sameBits(log.valuesAt(startMs), given.get(startMs))).toBe(true);
    // Backwards (every 9th: each read restores a state and feeds up to a stretch of candles).
    for (const startMs of [...starts].reverse().filter((_, index) => index % 9 === 0)) expect(sameBits(log.valuesAt(startMs), given.get(startMs))).toBe(true);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...starts), { minLength: 1, maxLength: 10 }), (picked) => {
        for (const startMs of picked) expect(sameBits(log.valuesAt(startMs), given.get(startMs))).toBe(true);
      }),
    );
    // A warm-up candle had no vector, a start never logged has none.
    expect(log.valuesAt(0)).toBeUndefined();
    expect(log.valuesAt(3_500 * MINUTE_MS)).toBeUndefined();
    expect(log.valuesAt(1.5 * MINUTE_MS)).toBeUndefined();
    // Each read is a new array.
    const read = log.valuesAt(starts[10]!)!;
    read[0] = 42;
    expect(sameBits(log.valuesAt(starts[10]!), given.get(starts[10]!))).toBe(true);
  });

  it('follows a new engine, a gap, and an engine that took a candle the log was not given', () => {
    const log = new ReplayFeatureLog(features, series.productId, series.granularity);
    const candles = candlesOf(closes.slice(0, 3_000));
    const first = features.createExtractor(series);
    const given = feed(log, first, candles.slice(0, 1_500));
    // Another engine, restored from the first's state (a replica took over), goes on.
    const second = features.createExtractor(series);
    second.restoreState(first.saveState());
    feed(log, second, candles.slice(1_500, 1_700), given);
    // The engine takes a candle the log is not given (the stage fed it): the log starts again after it.
    second.update(candles[1_700]!);
    feed(log, second, candles.slice(1_701, 2_000), given);
    // A gap of a day, then more candles from a fresh engine.
    const later = candlesOf(closes.slice(0, 500), 4_500);
    feed(log, features.createExtractor(series), later, given);
    for (const [startMs, values] of given) expect(sameBits(log.valuesAt(startMs), values)).toBe(true);
    expect(log.valuesAt(candles[1_700]!.startMs)).toBeUndefined();
  });

  it('keeps the candles as numbers: a caller changing its candle objects later changes no value read', () => {
    const log = new ReplayFeatureLog(features, series.productId, series.granularity);
    const candles = candlesOf(closes.slice(0, 2_000));
    const given = feed(log, features.createExtractor(series), candles);
    for (const candle of candles) (candle as { close: number }).close = 1;
    for (const [startMs, values] of given) expect(sameBits(log.valuesAt(startMs), values)).toBe(true);
  });

  it('keeps its own copies of the engine states: an extractor that hands out and adopts its live state changes no value read', () => {
    // Its state is its live window of closes and the candle objects it took, handed out and adopted as they are.
    const sharing: FeatureSet = {
      featureSetVersion: 'sharing-1',
      featureNames: ['mean_close', 'last_close'],
      warmupCandles: 2,
      createExtractor(key) {
        let state = { closes: [] as number[], candles: [] as Candle[] };
        return {
          update(candle) {
            state.closes.push(candle.close);
            state.candles.push(candle);
            if (state.closes.length > 5) state.closes.shift();
            if (state.candles.length > 5) state.candles.shift();
            if (state.closes.length < 2) return undefined;
            const mean = state.closes.reduce((sum, close) => sum + close, 0) / state.closes.length;
            return { ...key, candleStartMs: candle.startMs, featureSetVersion: 'sharing-1', values: [mean, state.candles[state.candles.length - 2]!.close] };
          },
          lastCandleStartMs: () => state.candles.at(-1)?.startMs,
          saveState: () => state,
          restoreState: (saved) => {
            state = saved as typeof state;
          },
        };
      },
    };
    const log = new ReplayFeatureLog(sharing, series.productId, series.granularity);
    const candles = candlesOf(closes.slice(0, 3_000));
    const given = feed(log, sharing.createExtractor(series), candles);
    for (const candle of candles) (candle as { close: number }).close = -1;
    const starts = [...given.keys()];
    for (const startMs of starts) expect(sameBits(log.valuesAt(startMs), given.get(startMs))).toBe(true);
    for (const startMs of [...starts].reverse().filter((_, index) => index % 97 === 0)) expect(sameBits(log.valuesAt(startMs), given.get(startMs))).toBe(true);
  });
});
