import { describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createPipeline,
  isTradepipeError,
  type Candle,
  type FeatureExtractor,
  type FeatureSet,
  type FeatureVector,
  type ModelPrediction,
  type SeriesKey,
  type SignalModel,
} from '@tradepipe/core';
import { composeFeatureSets } from './composed-feature-set.js';
import { createFeatureSet } from './feature-set.js';
import { FEATURE_NAMES, FEATURE_SET_VERSION, WARMUP_CANDLES } from './feature-names.js';
import { candleAt, randomColumns } from './test-support/random-candles.js';

/** A plugin of one feature of its own: the close over its 200-candle simple average, minus 1. */
class Sma200Plugin implements FeatureSet {
  readonly featureSetVersion = 'sma200-v1';
  readonly featureNames = ['sma200.close_to_sma_200'];
  readonly warmupCandles = 200;
  createExtractor(series: SeriesKey): FeatureExtractor {
    let closes: number[] = [];
    let last: number | undefined;
    return {
      update: (candle: Candle): FeatureVector | undefined => {
        if (candle.close === 13.13) throw new Error('the plugin refuses this candle');
        closes = [...closes.slice(-199), candle.close];
        last = candle.startMs;
        if (closes.length < 200) return undefined;
        const mean = closes.reduce((sum, close) => sum + close, 0) / 200;
        return { ...series, candleStartMs: candle.startMs, featureSetVersion: this.featureSetVersion, values: [candle.close / mean - 1] };
      },
      lastCandleStartMs: () => last,
      saveState: () => ({ closes, last }),
      restoreState: (state) => {
        ({ closes, last } = state as { closes: number[]; last: number | undefined });
      },
    };
  }
}

const series = { productId: 'BTC-USD', granularity: 'ONE_HOUR' } as const;
const columns = randomColumns({ length: WARMUP_CANDLES + 30, seed: 77 });

describe('composeFeatureSets', () => {
  const composed = composeFeatureSets(createFeatureSet(), new Sma200Plugin());

  it('gives the base names then the plugin names, the joined version and the longest warm-up', () => {
    expect(composed.featureNames).toEqual([...FEATURE_NAMES, 'sma200.close_to_sma_200']);
    expect(composed.featureSetVersion).toBe(`${FEATURE_SET_VERSION}+sma200-v1`);
    expect(composed.warmupCandles).toBe(WARMUP_CANDLES);
  });

  it('computes each part from the same candles, and saves and restores them together', () => {
    const extractor = composed.createExtractor(series);
    const base = createFeatureSet().createExtractor(series);
    let vector: FeatureVector | undefined;
    for (let row = 0; row < WARMUP_CANDLES + 10; row++) {
      vector = extractor.update(candleAt(columns, row));
      const baseVector = base.update(candleAt(columns, row));
      expect(vector === undefined).toBe(baseVector === undefined);
      if (vector !== undefined) expect(vector.values.slice(0, 51)).toEqual(baseVector!.values);
    }
    let sum = 0;
    for (let row = WARMUP_CANDLES + 10 - 200; row < WARMUP_CANDLES + 10; row++) sum += columns.close[row]!;
    expect(vector!.values[51]).toBeCloseTo(columns.close[WARMUP_CANDLES + 9]! / (sum / 200) - 1, 12);
    const resumed = composed.createExtractor(series);
    resumed.restoreState(JSON.parse(JSON.stringify(extractor.saveState())));
    // copyState/resumeCopy: the base part's own copy, the plugin part (which has none) through its saveState.
    const copy = extractor.copyState!();
    const fromCopy = composed.createExtractor(series);
    fromCopy.resumeCopy!(copy);
    const next = candleAt(columns, WARMUP_CANDLES + 10);
    const expected = extractor.update(next);
    expect(resumed.update(next)).toEqual(expected);
    expect(fromCopy.update(next)).toEqual(expected);
    // The copy did not move with the extractor that took `next`.
    const again = composed.createExtractor(series);
    again.resumeCopy!(copy);
    expect(again.update(next)).toEqual(expected);
    expect(() => createFeatureSet().createExtractor(series).restoreState(extractor.saveState())).toThrow();
  });

  it('refuses a name given twice and a plugin version with "+"', () => {
    const clash = Object.assign(new Sma200Plugin(), { featureNames: ['rsi_14'] });
    expect(() => composeFeatureSets(createFeatureSet(), clash)).toThrow(/'rsi_14'/);
    expect(() => composeFeatureSets(createFeatureSet(), Object.assign(new Sma200Plugin(), { featureSetVersion: 'a+b' }))).toThrow(/\+/);
  });

  it('stops reporting a last candle once a plugin refused a candle the base took', () => {
    const extractor = composed.createExtractor(series);
    extractor.update(candleAt(columns, 0));
    const odd = { ...candleAt(columns, 1), open: 13.13, high: 13.13, low: 13.13, close: 13.13 };
    expect(() => extractor.update(odd)).toThrow('the plugin refuses this candle');
    expect(extractor.lastCandleStartMs()).toBeUndefined();
    let caught: unknown;
    try {
      extractor.update(candleAt(columns, 2));
    } catch (error) {
      caught = error;
    }
    expect(isTradepipeError(caught, 'not_ready')).toBe(true);
  });

  it('runs in a pipeline a model that reads one plugin feature and one base feature, by name', async () => {
    const seen: FeatureVector[] = [];
    const model: SignalModel = {
      modelId: 'plugin-reader',
      modelVersion: '1',
      featureNames: ['sma200.close_to_sma_200', 'rsi_14'],
      featureSetVersion: `${FEATURE_SET_VERSION}+sma200-v1`,
      predict: async (vector): Promise<ModelPrediction> => {
        seen.push(vector);
        return { action: 'HOLD', confidence: 1 };
      },
      predictBatch: async (vectors) => vectors.map(() => ({ action: 'HOLD', confidence: 1 }) as const),
    };
    const store = createMemoryStore();
    const pipeline = createPipeline({ pipelineId: 'plugin', store, features: composed, model, stages: ['signal'] });
    const candles = Array.from({ length: WARMUP_CANDLES + 2 }, (_, row) => candleAt(columns, row));
    await store.putCandles(candles);
    await pipeline.runUntilIdle();
    expect(seen).toHaveLength(3);
    const reference = composed.createExtractor(series);
    let last: FeatureVector | undefined;
    for (const candle of candles) last = reference.update(candle);
    expect(seen[2]!.values).toEqual([last!.values[51], last!.values[FEATURE_NAMES.indexOf('rsi_14')]]);
  });
});
