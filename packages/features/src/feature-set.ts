import { parseWith, type FeatureSet, type SeriesKey } from '@tradepipe/core';
import { FeatureEngine } from './feature-engine.js';
import { FEATURE_NAMES, FEATURE_SET_VERSION, WARMUP_CANDLES } from './feature-names.js';
import { FeatureSetOptionsSchema, type FeatureSetOptions } from './feature-set-options.js';

/**
 * Creates the `tp-51-v2` feature set: its names, version and warm-up, and a factory of streaming
 * engines, one per series.
 * @param options see {@link FeatureSetOptionsSchema} (default: core's default gap policy)
 * @returns core's `FeatureSet`, whose `createExtractor` returns a {@link FeatureEngine}
 * @throws TradepipeError `validation_failed` for invalid options
 * @example
 * const featureSet = createFeatureSet({ gapPolicy: { mode: 'reject' } });
 * const engine = featureSet.createExtractor({ productId: 'BTC-USD', granularity: 'ONE_HOUR' });
 */
export function createFeatureSet(options: FeatureSetOptions = {}): FeatureSet & { createExtractor(series: SeriesKey): FeatureEngine } {
  const resolved = parseWith(FeatureSetOptionsSchema, options, 'feature set options');
  return {
    featureSetVersion: FEATURE_SET_VERSION,
    featureNames: FEATURE_NAMES,
    warmupCandles: WARMUP_CANDLES,
    createExtractor: (series: SeriesKey) => new FeatureEngine(series, resolved.gapPolicy),
  };
}
