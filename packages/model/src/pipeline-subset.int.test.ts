import { describe, expect, it } from 'vitest';
import { createMemoryStore, createPipeline, parseCandleCsv, type Candle, type Signal } from '@tradepipe/core';
import { FEATURE_NAMES, FEATURE_SET_VERSION, createFeatureSet } from '@tradepipe/features';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { trainLinearClassifier } from './linear-classifier.js';
import { exportToOnnx } from './onnx-export.js';
import { OnnxSignalModel } from './onnx-signal-model.js';
import { plantedLinearData } from './synthetic-fixtures.js';

// A model reading 48 of the 51 features, in its own order, runs in the pipeline: no padding, no zero weights.
const modelNames = FEATURE_NAMES.filter((name) => !['hour_of_day_sin', 'hour_of_day_cos', 'atr_14', 'day_of_week_cos'].includes(name)).reverse();

describe('a 48-feature model in the pipeline', () => {
  it('gets its own 48 values of each vector, by name', async () => {
    expect(modelNames).toHaveLength(48);
    const data = plantedLinearData(600, 48, 3);
    const bytes = exportToOnnx(trainLinearClassifier({ features: data.rows, labels: data.labels }), {
      featureNames: modelNames,
      featureSetVersion: FEATURE_SET_VERSION,
      granularity: 'ONE_DAY',
      modelId: 'subset-48',
      modelVersion: '1',
    });
    const model = await OnnxSignalModel.load({ bytes, expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION, expectedGranularity: 'ONE_DAY' });
    const csv = readFileSync(fileURLToPath(new URL('../../../data/btc-usd-1d.csv', import.meta.url)), 'utf8');
    const candles: Candle[] = parseCandleCsv({ text: csv, productId: 'BTC-USD', granularity: 'ONE_DAY' }).slice(0, 720);
    const store = createMemoryStore();
    const featureSet = createFeatureSet();
    const signals: Signal[] = [];
    const collector = { name: 'collect', listeners: { 'signal:generated': ({ signal }: { signal: Signal }) => void signals.push(signal) } };
    const pipeline = createPipeline({ pipelineId: 'subset', store, features: featureSet, model, stages: ['signal'], plugins: [collector] });
    await store.putCandles(candles);
    await pipeline.runUntilIdle();
    signals.sort((a, b) => a.candleStartMs - b.candleStartMs);
    expect(signals).toHaveLength(720 - 699);
    // The same predictions as the model given the whole vectors directly (it picks its 48 out by name).
    const extractor = featureSet.createExtractor({ productId: 'BTC-USD', granularity: 'ONE_DAY' });
    const vectors = candles.map((candle) => extractor.update(candle)).filter((vector) => vector !== undefined);
    const direct = [];
    for (const vector of vectors) direct.push(await model.predict(vector));
    expect(signals.map((signal) => [signal.action, signal.confidence])).toEqual(direct.map((prediction) => [prediction.action, prediction.confidence]));
    await model.close();
  });
});
