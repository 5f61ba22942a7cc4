import { describe, expect, it } from 'vitest';
import { trainGradientBoostedTrees } from './gradient-boosted-trees.js';
import { exportToOnnx } from './onnx-export.js';
import { OnnxSignalModel } from './onnx-signal-model.js';
import { actionsFromProbabilities, predictProbabilities } from './trained-model.js';
import { classificationMetrics } from './metrics.js';
import { featureNamesOf, plantedRuleData, toVectors } from './synthetic-fixtures.js';

const names = featureNamesOf(5);

describe('trainGradientBoostedTrees', () => {
  const train = plantedRuleData(2500, 5, 21);
  const test = plantedRuleData(800, 5, 22);
  const model = trainGradientBoostedTrees({ features: train.rows, labels: train.labels, rounds: 60, learningRate: 0.2, maxDepth: 3 });

  it('recovers a planted non-linear rule on unseen rows and splits only on the informative features', () => {
    const metrics = classificationMetrics(test.labels, actionsFromProbabilities(predictProbabilities(model, test.rows)));
    expect(metrics.balancedAccuracy).toBeGreaterThan(0.9);
    const roots = model.trees.map((tree) => tree.feature[0] as number).filter((feature) => feature >= 0);
    // The first rounds split at the root on the informative features only; later ones may chase noise.
    expect(roots.slice(0, 30).every((feature) => feature === 0 || feature === 1)).toBe(true);
    expect(roots.filter((feature) => feature <= 1).length / roots.length).toBeGreaterThan(0.8);
  });

  it('is deterministic for a seed', () => {
    const again = trainGradientBoostedTrees({ features: train.rows, labels: train.labels, rounds: 60, learningRate: 0.2, maxDepth: 3 });
    expect(again).toEqual(model);
  });

  it('gives the same probabilities in onnxruntime as its own predict (1e-6) and the same class', async () => {
    const onnx = await OnnxSignalModel.load({
      bytes: exportToOnnx(model, { featureNames: names, featureSetVersion: 'v1', granularity: 'ONE_DAY' }),
      expectedFeatureNames: names,
      expectedFeatureSetVersion: 'v1',
      expectedGranularity: 'ONE_DAY',
    });
    const own = predictProbabilities(model, test.rows);
    const ownActions = actionsFromProbabilities(own);
    const predictions = await onnx.predictBatch(toVectors(test.rows, 'v1'));
    let largest = 0;
    predictions.forEach((prediction, row) => {
      const probabilities = prediction.probabilities ?? { SELL: -1, HOLD: -1, BUY: -1 };
      largest = Math.max(largest, Math.abs(probabilities.SELL - (own[row * 3] as number)), Math.abs(probabilities.HOLD - (own[row * 3 + 1] as number)), Math.abs(probabilities.BUY - (own[row * 3 + 2] as number)));
      expect(prediction.action).toBe(ownActions[row]);
    });
    expect(largest).toBeLessThan(1e-6);
    await onnx.close();
  });

  it('refuses invalid options', () => {
    expect(() => trainGradientBoostedTrees({ features: train.rows, labels: train.labels, maxBins: 300 })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
