import { describe, expect, it } from 'vitest';
import { OnnxSignalModel } from './onnx-signal-model.js';
import { readModelMetadata } from './model-metadata.js';
import { trainSignalModel } from './train-signal-model.js';
import { featureNamesOf, plantedPriceSeries, toVectors } from './synthetic-fixtures.js';
import { predictProbabilities } from './trained-model.js';

describe('trainSignalModel', () => {
  const series = plantedPriceSeries(900, 3, 8);
  const names = featureNamesOf(3);

  it('trains trees end to end: walk-forward report, metadata, and an ONNX file that predicts like the trainer', async () => {
    const result = trainSignalModel({
      features: series.rows,
      closes: series.closes,
      timestamps: series.timestamps,
      featureNames: names,
      featureSetVersion: 'v9',
      options: {
        labeling: { horizon: 1, buyThreshold: 0.005, sellThreshold: -0.005 },
        model: { kind: 'gradient_boosted_trees', rounds: 30, learningRate: 0.2 },
        walkForward: { folds: 3, minTrainRows: 300 },
        granularity: 'ONE_DAY',
        modelId: 'planted-trees',
      },
    });
    expect(result.report.labelledRows).toBe(899);
    expect(result.report.walkForward?.folds).toHaveLength(3);
    expect(result.report.walkForward?.meanBalancedAccuracy).toBeGreaterThan(0.7);
    expect(result.report.trainingRange).toEqual({ fromMs: series.timestamps[0], toMs: series.timestamps[899], rows: 899 });
    const metadata = readModelMetadata(result.onnx);
    expect(metadata).toMatchObject({ modelId: 'planted-trees', featureSetVersion: 'v9', granularity: 'ONE_DAY', trainer: 'gradient_boosted_trees' });
    expect(metadata.metrics).toHaveProperty('walkForward.folds', 3);
    const model = await OnnxSignalModel.load({ bytes: result.onnx, expectedFeatureNames: names, expectedFeatureSetVersion: 'v9', expectedGranularity: 'ONE_DAY' });
    const rows = series.rows.slice(0, 100);
    const own = predictProbabilities(result.model, rows);
    const predictions = await model.predictBatch(toVectors(rows, 'v9'));
    predictions.forEach((prediction, row) => expect(Math.abs((prediction.probabilities?.BUY ?? 0) - (own[row * 3 + 2] as number))).toBeLessThan(1e-6));
    await model.close();
  });

  it('refuses malformed options and mismatched lengths', () => {
    const base = { features: series.rows, closes: series.closes, timestamps: series.timestamps, featureNames: names, featureSetVersion: 'v9' };
    expect(() => trainSignalModel({ ...base, options: { labeling: { horizon: 0, buyThreshold: 0, sellThreshold: 0 }, model: { kind: 'linear' } } })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => trainSignalModel({ ...base, closes: series.closes.slice(1), options: { labeling: { horizon: 1, buyThreshold: 0, sellThreshold: 0 }, model: { kind: 'linear' } } })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
