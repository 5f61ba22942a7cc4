import { describe, expect, it } from 'vitest';
import { isTradepipeError } from '@tradepipe/core';
import { createFeatureSet } from './feature-set.js';
import { FeatureEngine } from './feature-engine.js';
import {
  FEATURE_NAMES,
  FEATURE_SET_VERSION,
  HOUR_OF_DAY_FEATURE_NAMES,
  SCALE_DEPENDENT_FEATURE_NAMES,
  WARMUP_CANDLES,
  defaultModelFeatureNames,
} from './feature-names.js';
import { FeatureSetOptionsSchema } from './feature-set-options.js';

describe('createFeatureSet', () => {
  it('describes tp-51-v2: 51 unique names, the version and the warm-up', () => {
    const featureSet = createFeatureSet();
    expect(featureSet.featureSetVersion).toBe(FEATURE_SET_VERSION);
    expect(FEATURE_SET_VERSION).toBe('tp-51-v2');
    expect(featureSet.featureNames).toBe(FEATURE_NAMES);
    expect(new Set(FEATURE_NAMES).size).toBe(51);
    expect(featureSet.warmupCandles).toBe(WARMUP_CANDLES);
    expect(featureSet.createExtractor({ productId: 'BTC-USD', granularity: 'ONE_MINUTE' })).toBeInstanceOf(FeatureEngine);
  });

  it('keeps the hour-of-day features (constant on daily candles) out of daily default models', () => {
    expect(defaultModelFeatureNames('ONE_DAY')).toEqual(FEATURE_NAMES.filter((name) => !name.startsWith('hour_of_day')));
    expect(defaultModelFeatureNames('ONE_HOUR')).toEqual([...FEATURE_NAMES]);
    expect(SCALE_DEPENDENT_FEATURE_NAMES).toEqual([]);
    expect(HOUR_OF_DAY_FEATURE_NAMES).toEqual(['hour_of_day_sin', 'hour_of_day_cos']);
  });

  it('parses options with core gap-policy defaults and refuses unknown ones', () => {
    expect(FeatureSetOptionsSchema.parse({})).toEqual({ gapPolicy: { mode: 'fill', maxFilledCandles: 1_440 } });
    expect(FeatureSetOptionsSchema.parse({ gapPolicy: { mode: 'reject' } }).gapPolicy.mode).toBe('reject');
    for (const options of [{ gapPolicy: { mode: 'guess' } }, { window: 3 }]) {
      let caught: unknown;
      try {
        createFeatureSet(options as never);
      } catch (error) {
        caught = error;
      }
      expect(isTradepipeError(caught, 'validation_failed')).toBe(true);
    }
  });
});
