import type { SignalAction } from '@tradepipe/core';
import type { FeatureMatrix } from './feature-matrix.js';
import { trainGradientBoostedTrees } from './gradient-boosted-trees.js';
import { trainLinearClassifier } from './linear-classifier.js';
import type { TrainedModel } from './trained-model.js';
import type { TrainingOptions } from './training-options.js';

/**
 * Trains the model `options.model` describes on the labelled rows.
 * @internal
 */
export function trainModel(matrix: FeatureMatrix, labels: readonly (SignalAction | undefined)[], options: Pick<TrainingOptions, 'model' | 'classWeights'>): TrainedModel {
  const spec = options.model;
  if (spec.kind === 'linear') {
    return trainLinearClassifier({ features: matrix, labels, l2: spec.l2, maxIterations: spec.maxIterations, classWeights: options.classWeights });
  }
  const { kind: _kind, ...treeOptions } = spec;
  return trainGradientBoostedTrees({ features: matrix, labels, ...treeOptions, classWeights: options.classWeights });
}
