import type { SignalAction } from '@tradepipe/core';
import { CLASS_ACTIONS, CLASS_COUNT } from './classes.js';
import { toFeatureMatrix } from './feature-matrix.js';
import type { FeatureMatrix, FeatureRows } from './feature-matrix.js';
import { predictTrees } from './gradient-boosted-trees.js';
import type { GradientBoostedTreesModel } from './gradient-boosted-trees.js';
import { predictLinear } from './linear-classifier.js';
import type { LinearClassifierModel } from './linear-classifier.js';

/** A model made by this package's trainers. */
export type TrainedModel = LinearClassifierModel | GradientBoostedTreesModel;

/**
 * The trainer's own prediction: class probabilities `[SELL, HOLD, BUY]` per row (row-major, float32),
 * computed on float32 inputs the way onnxruntime computes the exported model.
 * @throws TradepipeError `validation_failed` for non-finite or ragged features.
 * @example
 * const probabilities = predictProbabilities(model, [[0.1, 2.3, -1]]); // Float32Array(3)
 */
export function predictProbabilities(model: TrainedModel, features: FeatureRows | FeatureMatrix): Float32Array {
  const matrix = toFeatureMatrix(features);
  return model.kind === 'linear' ? predictLinear(model, matrix) : predictTrees(model, matrix);
}

/**
 * The most probable action per row (ties: HOLD, then SELL), optionally HOLD below `minConfidence`,
 * matching what `OnnxSignalModel` does with the exported model.
 * @internal
 */
export function actionsFromProbabilities(probabilities: Float32Array, minConfidence = 0): SignalAction[] {
  const rows = probabilities.length / CLASS_COUNT;
  const actions: SignalAction[] = new Array<SignalAction>(rows);
  for (let row = 0; row < rows; row += 1) {
    const sell = probabilities[row * CLASS_COUNT] as number;
    const hold = probabilities[row * CLASS_COUNT + 1] as number;
    const buy = probabilities[row * CLASS_COUNT + 2] as number;
    let best = 1;
    if (sell > hold) best = 0;
    if (buy > Math.max(hold, sell)) best = 2;
    const confidence = probabilities[row * CLASS_COUNT + best] as number;
    actions[row] = best !== 1 && confidence < minConfidence ? 'HOLD' : (CLASS_ACTIONS[best] as SignalAction);
  }
  return actions;
}
