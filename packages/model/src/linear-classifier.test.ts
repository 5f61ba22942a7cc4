import { describe, expect, it } from 'vitest';
import { isTradepipeError } from '@tradepipe/core';
import { trainLinearClassifier } from './linear-classifier.js';
import { exportToOnnx } from './onnx-export.js';
import { OnnxSignalModel } from './onnx-signal-model.js';
import { actionsFromProbabilities, predictProbabilities } from './trained-model.js';
import { classificationMetrics } from './metrics.js';
import { featureNamesOf, plantedLinearData, toVectors } from './synthetic-fixtures.js';

const names = featureNamesOf(6);

describe('trainLinearClassifier', () => {
  const train = plantedLinearData(3000, 6, 11);
  const test = plantedLinearData(1000, 6, 12);
  const model = trainLinearClassifier({ features: train.rows, labels: train.labels });

  it('recovers a planted linear pattern on unseen rows', () => {
    const predicted = actionsFromProbabilities(predictProbabilities(model, test.rows));
    const metrics = classificationMetrics(test.labels, predicted);
    expect(metrics.balancedAccuracy).toBeGreaterThan(0.9);
    // The planted weights: BUY grows with f0 and falls with f1; the noise features carry little weight.
    const coefficient = (action: number, feature: number): number => model.coefficients[action * 6 + feature] as number;
    expect(coefficient(2, 0) - coefficient(0, 0)).toBeGreaterThan(1);
    expect(coefficient(2, 1) - coefficient(0, 1)).toBeLessThan(-1);
    expect(Math.abs(coefficient(2, 4) - coefficient(0, 4))).toBeLessThan(0.5);
  });

  it('gives a constant feature scale 1 and no NaN', () => {
    expect(model.scale[2]).toBe(1);
    expect(model.offset[2]).toBe(3);
    expect([...model.coefficients, ...model.intercepts, ...model.scale, ...model.offset].every(Number.isFinite)).toBe(true);
  });

  it('gives the same probabilities in onnxruntime as its own predict (1e-6) and the same class', async () => {
    const onnx = await OnnxSignalModel.load({
      bytes: exportToOnnx(model, { featureNames: names, featureSetVersion: 'v1' }),
      expectedFeatureNames: names,
      expectedFeatureSetVersion: 'v1',
    });
    const own = predictProbabilities(model, test.rows);
    const ownActions = actionsFromProbabilities(own);
    const predictions = await onnx.predictBatch(toVectors(test.rows, 'v1'));
    predictions.forEach((prediction, row) => {
      expect(Math.abs((prediction.probabilities?.SELL ?? -1) - (own[row * 3] as number))).toBeLessThan(1e-6);
      expect(Math.abs((prediction.probabilities?.HOLD ?? -1) - (own[row * 3 + 1] as number))).toBeLessThan(1e-6);
      expect(Math.abs((prediction.probabilities?.BUY ?? -1) - (own[row * 3 + 2] as number))).toBeLessThan(1e-6);
      expect(prediction.action).toBe(ownActions[row]);
    });
    await onnx.close();
  });

  it('refuses training data without a class', () => {
    const labels = train.labels.map((label) => (label === 'SELL' ? 'HOLD' : label));
    expect(() => trainLinearClassifier({ features: train.rows, labels })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });

  it('refuses non-finite features', () => {
    const rows = train.rows.map((row) => [...row]);
    (rows[5] as number[])[1] = Number.NaN;
    try {
      trainLinearClassifier({ features: rows, labels: train.labels });
      expect.unreachable();
    } catch (error) {
      expect(isTradepipeError(error, 'validation_failed')).toBe(true);
    }
  });
});
