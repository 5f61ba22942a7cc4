import { TradepipeError } from '@tradepipe/core';
import type { SignalAction } from '@tradepipe/core';
import { CLASS_COUNT, labelledRows } from './classes.js';
import type { ClassWeighting } from './classes.js';
import { sampleWeightsFor } from './class-weights.js';
import { toFeatureMatrix } from './feature-matrix.js';
import type { FeatureMatrix, FeatureRows } from './feature-matrix.js';
import { requireEveryClass } from './linear-classifier.js';
import { softmaxInto } from './softmax.js';
import { binFeatures, growTree, treeValue } from './tree-growth.js';
import type { RegressionTree } from './tree-growth.js';

/** Gradient-boosted trees for three classes (SELL, HOLD, BUY): one tree per class per round, softmax on the sums. */
export interface GradientBoostedTreesModel {
  /** Always `gradient_boosted_trees`: tells the trained model kinds apart. */
  readonly kind: 'gradient_boosted_trees';
  /** Features per row the model takes. */
  readonly featureCount: number;
  /** float32 starting score per class (log of the weighted class share, centred). */
  readonly baseScores: readonly number[];
  /** Trees in boosting order. */
  readonly trees: readonly RegressionTree[];
  /** How it was fitted: the boosting rounds run. */
  readonly fit: { readonly rounds: number };
}

/** Options of {@link trainGradientBoostedTrees}. */
export interface TreeTrainingInput {
  /** The training rows: arrays of equal length, or a float32 matrix; every value finite. */
  readonly features: FeatureRows | FeatureMatrix;
  /** One label per row; `undefined` rows are left out. */
  readonly labels: readonly (SignalAction | undefined)[];
  /** Boosting rounds (default 100). */
  readonly rounds?: number;
  /** Shrinkage (default 0.05). */
  readonly learningRate?: number;
  /** Default 3. */
  readonly maxDepth?: number;
  /** Minimum rows in a leaf (default 20). */
  readonly minLeafRows?: number;
  /** L2 penalty on leaf values (default 1). */
  readonly l2?: number;
  /** Quantile bins per feature, 2…255 (default 32). */
  readonly maxBins?: number;
  /** Share of rows drawn (without replacement) per round, (0, 1] (default 0.8). */
  readonly subsample?: number;
  /** Seed of the row sampling (default 1). */
  readonly seed?: number;
  /**
   * How classes are weighted: `balanced` (the default: each class carries the same total weight), `none`, or a weight
   * per action.
   */
  readonly classWeights?: ClassWeighting;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkTreeOptions(input: TreeTrainingInput) {
  const settings = {
    rounds: input.rounds ?? 100,
    learningRate: input.learningRate ?? 0.05,
    maxDepth: input.maxDepth ?? 3,
    minLeafRows: input.minLeafRows ?? 20,
    l2: input.l2 ?? 1,
    maxBins: input.maxBins ?? 32,
    subsample: input.subsample ?? 0.8,
    minChildHessian: 1e-3,
  };
  const valid = Number.isInteger(settings.rounds) && settings.rounds >= 1 && settings.learningRate > 0 && Number.isInteger(settings.maxDepth) && settings.maxDepth >= 1
    && settings.minLeafRows >= 1 && settings.l2 >= 0 && Number.isInteger(settings.maxBins) && settings.maxBins >= 2 && settings.maxBins <= 255
    && settings.subsample > 0 && settings.subsample <= 1;
  if (!valid) throw new TradepipeError('validation_failed', 'Invalid gradient-boosted tree options', { details: { ...settings } });
  return settings;
}

/**
 * Trains class-weighted gradient-boosted trees with a softmax loss (Newton leaves, histogram splits
 * on float32 thresholds that are data values, so the exported TreeEnsembleClassifier takes exactly
 * the same branches). Deterministic for a given seed. Trees need no standardisation.
 * @returns the model
 * @throws TradepipeError `validation_failed` for bad inputs or options, or a class without samples.
 * @example
 * const model = trainGradientBoostedTrees({ features: rows, labels, rounds: 200, maxDepth: 3 });
 */
export function trainGradientBoostedTrees(input: TreeTrainingInput): GradientBoostedTreesModel {
  const settings = checkTreeOptions(input);
  const matrix = toFeatureMatrix(input.features);
  const { rows, classes } = labelledRows(input.labels, matrix.rows);
  const weights = sampleWeightsFor(classes, input.classWeights ?? 'balanced');
  requireEveryClass(classes, weights);
  const count = rows.length;
  const binned = binFeatures(matrix.values, matrix.columns, rows, settings.maxBins);
  const classWeight = [0, 0, 0];
  classes.forEach((index, row) => {
    classWeight[index] = (classWeight[index] ?? 0) + (weights[row] as number);
  });
  const logShares = classWeight.map((weight) => Math.log(weight));
  const meanLog = logShares.reduce((sum, value) => sum + value, 0) / CLASS_COUNT;
  const baseScores = logShares.map((value) => Math.fround(value - meanLog));
  const scores = new Float64Array(count * CLASS_COUNT);
  for (let row = 0; row < count; row += 1) scores.set(baseScores, row * CLASS_COUNT);
  const random = mulberry32(input.seed ?? 1);
  const trees: RegressionTree[] = [];
  const gradients = Array.from({ length: CLASS_COUNT }, () => new Float64Array(count));
  const hessians = Array.from({ length: CLASS_COUNT }, () => new Float64Array(count));
  const probabilities = new Float64Array(CLASS_COUNT);
  const allRows = Int32Array.from({ length: count }, (_, index) => index);
  for (let round = 0; round < settings.rounds; round += 1) {
    for (let row = 0; row < count; row += 1) {
      probabilities.set(scores.subarray(row * CLASS_COUNT, row * CLASS_COUNT + CLASS_COUNT));
      softmaxInto(probabilities);
      const weight = weights[row] as number;
      for (let k = 0; k < CLASS_COUNT; k += 1) {
        const probability = probabilities[k] as number;
        (gradients[k] as Float64Array)[row] = weight * (probability - (classes[row] === k ? 1 : 0));
        (hessians[k] as Float64Array)[row] = weight * Math.max(probability * (1 - probability), 1e-6);
      }
    }
    const members = settings.subsample < 1 ? allRows.filter(() => random() < settings.subsample) : allRows;
    for (let k = 0; k < CLASS_COUNT; k += 1) {
      const tree = growTree(binned, members, gradients[k] as Float64Array, hessians[k] as Float64Array, settings, k);
      trees.push(tree);
      for (let row = 0; row < count; row += 1) {
        scores[row * CLASS_COUNT + k] = (scores[row * CLASS_COUNT + k] as number) + treeValue(tree, matrix.values, (rows[row] as number) * matrix.columns);
      }
    }
  }
  return { kind: 'gradient_boosted_trees', featureCount: matrix.columns, baseScores, trees, fit: { rounds: settings.rounds } };
}

/**
 * Class probabilities of a tree model, computed as onnxruntime's TreeEnsembleClassifier does
 * (float32 sums of leaf values in tree order, then the base score, then softmax).
 * @internal
 */
export function predictTrees(model: GradientBoostedTreesModel, matrix: FeatureMatrix): Float32Array {
  const output = new Float32Array(matrix.rows * CLASS_COUNT);
  const scores = new Float64Array(CLASS_COUNT);
  for (let row = 0; row < matrix.rows; row += 1) {
    scores.fill(0);
    for (const tree of model.trees) {
      scores[tree.classIndex] = Math.fround((scores[tree.classIndex] as number) + treeValue(tree, matrix.values, row * matrix.columns));
    }
    for (let k = 0; k < CLASS_COUNT; k += 1) scores[k] = Math.fround((scores[k] as number) + (model.baseScores[k] as number));
    softmaxInto(scores);
    output.set(scores, row * CLASS_COUNT);
  }
  return output;
}
