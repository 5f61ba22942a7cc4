import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, FEATURE_SET_VERSION, defaultModelFeatureNames } from '@tradepipe/features';
import { DEFAULT_MODEL_FILE, defaultModelPath, loadDefaultModel } from './default-model.js';
import { readModelMetadata } from './model-metadata.js';

describe('default model', () => {
  it('ships next to the package and declares the features package contract', async () => {
    expect(defaultModelPath().endsWith(`models/${DEFAULT_MODEL_FILE}`)).toBe(true);
    const metadata = readModelMetadata(await readFile(defaultModelPath()));
    expect(metadata).toMatchObject({
      modelId: 'btc-usd-1d-default',
      featureNames: defaultModelFeatureNames('ONE_DAY'),
      featureSetVersion: FEATURE_SET_VERSION,
      granularity: 'ONE_DAY',
      products: ['BTC-USD'],
      labeling: { horizon: 5, horizonMs: 5 * 86_400_000 },
      metrics: { holdoutLookedAtBefore: true, walkForward: { validatorMinConfidence: expect.any(Number) }, holdout: { significance: { pValue: expect.any(Number) } } },
    });
    expect(metadata.trainingCodeVersion).toBeDefined();
    // Trained on nothing after 2024-09-24: the hold-out year stays unseen.
    expect(metadata.trainingRange?.toMs).toBeLessThan(Date.UTC(2024, 8, 25));
  });

  it('loads against the features package and predicts', async () => {
    const model = await loadDefaultModel({ expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION });
    const prediction = await model.predict({ productId: 'BTC-USD', granularity: 'ONE_DAY', candleStartMs: 0, featureSetVersion: FEATURE_SET_VERSION, values: FEATURE_NAMES.map(() => 0) });
    expect(['BUY', 'SELL', 'HOLD']).toContain(prediction.action);
    // Its training range, as core's backtest reads it to say a run is in sample.
    expect(model.trainingRange).toEqual({ fromMs: model.metadata.trainingRange!.fromMs, toMs: model.metadata.trainingRange!.toMs });
    expect(model.trainingRange!.toMs).toBeLessThan(Date.UTC(2024, 8, 25));
    await model.close();
    await expect(loadDefaultModel({ expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION, expectedGranularity: 'ONE_HOUR' })).rejects.toMatchObject({ code: 'model_mismatch' });
    await expect(loadDefaultModel({ expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION, productIds: ['ETH-USD'] })).rejects.toMatchObject({ code: 'model_mismatch' });
    // A model of the old, price-unit feature set does not load against tp-51-v2.
    await expect(loadDefaultModel({ expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: 'tp-51-v1' })).rejects.toMatchObject({ code: 'model_mismatch' });
  });
});
