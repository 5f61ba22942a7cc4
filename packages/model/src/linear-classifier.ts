import { TradepipeError } from '@tradepipe/core';
import type { SignalAction } from '@tradepipe/core';
import { CLASS_COUNT, labelledRows } from './classes.js';
import type { ClassWeighting } from './classes.js';
import { sampleWeightsFor } from './class-weights.js';
import { fitStandardization, standardizeRow, toFeatureMatrix } from './feature-matrix.js';
import type { FeatureMatrix, FeatureRows } from './feature-matrix.js';
import { minimizeLbfgs } from './lbfgs.js';
import { softmaxInto } from './softmax.js';

/**
 * A multinomial logistic regression with its standardisation, all parameters float32 (as exported).
 * Classes in order SELL, HOLD, BUY.
 */
export interface LinearClassifierModel {
  /** Always `linear`: tells the trained model kinds apart. */
  readonly kind: 'linear';
  /** Features per row the model takes. */
  readonly featureCount: number;
  /** Scaler: `(x - offset) * scale` per feature. */
  readonly offset: readonly number[];
  /** Scaler multiplier per feature (1 / standard deviation; 1 for a constant feature). */
  readonly scale: readonly number[];
  /** Class-major `[class][feature]` weights on standardised features. */
  readonly coefficients: readonly number[];
  /** The intercept of each class, SELL, HOLD, BUY. */
  readonly intercepts: readonly number[];
  /** Optimiser iterations used and final weighted loss. */
  readonly fit: { readonly iterations: number; readonly loss: number };
}

/** Options of {@link trainLinearClassifier}. */
export interface LinearTrainingInput {
  /** The training rows: arrays of equal length, or a float32 matrix; every value finite. */
  readonly features: FeatureRows | FeatureMatrix;
  /** One label per row; `undefined` rows are left out. */
  readonly labels: readonly (SignalAction | undefined)[];
  /** L2 penalty on the coefficients (not the intercepts), default 0.01. */
  readonly l2?: number;
  /** Most L-BFGS iterations (default 500). */
  readonly maxIterations?: number;
  /**
   * How classes are weighted: `balanced` (the default: each class carries the same total weight), `none`, or a weight
   * per action.
   */
  readonly classWeights?: ClassWeighting;
}

function lossAndGradient(standardized: Float64Array, classes: Uint8Array, weights: Float64Array, featureCount: number, l2: number) {
  const width = featureCount + 1;
  const totalWeight = weights.reduce((sum, weight) => sum + weight, 0);
  const scores = new Float64Array(CLASS_COUNT);
  return (point: Float64Array, gradient: Float64Array): number => {
    gradient.fill(0);
    let loss = 0;
    for (let row = 0; row < classes.length; row += 1) {
      const base = row * featureCount;
      for (let k = 0; k < CLASS_COUNT; k += 1) {
        let score = point[k * width + featureCount] as number;
        for (let f = 0; f < featureCount; f += 1) score += (point[k * width + f] as number) * (standardized[base + f] as number);
        scores[k] = score;
      }
      softmaxInto(scores);
      const weight = (weights[row] as number) / totalWeight;
      const truth = classes[row] as number;
      loss -= weight * Math.log(Math.max(scores[truth] as number, 1e-300));
      for (let k = 0; k < CLASS_COUNT; k += 1) {
        const residual = weight * ((scores[k] as number) - (k === truth ? 1 : 0));
        if (residual === 0) continue;
        for (let f = 0; f < featureCount; f += 1) gradient[k * width + f] = (gradient[k * width + f] as number) + residual * (standardized[base + f] as number);
        gradient[k * width + featureCount] = (gradient[k * width + featureCount] as number) + residual;
      }
    }
    for (let k = 0; k < CLASS_COUNT; k += 1) {
      for (let f = 0; f < featureCount; f += 1) {
        const coefficient = point[k * width + f] as number;
        loss += 0.5 * l2 * coefficient * coefficient;
        gradient[k * width + f] = (gradient[k * width + f] as number) + l2 * coefficient;
      }
    }
    return loss;
  };
}

/**
 * Trains a class-weighted multinomial logistic regression (softmax) on standardised float32 features
 * with L-BFGS. Standardisation is fitted on the labelled rows and kept in the model (exported as an
 * ONNX Scaler in front of the LinearClassifier).
 * @returns the model, parameters rounded to float32
 * @throws TradepipeError `validation_failed` for bad inputs, no labelled rows, or a class without samples.
 * @example
 * const model = trainLinearClassifier({ features: rows, labels, l2: 0.01 });
 * const probabilities = predictProbabilities(model, rows); // [SELL, HOLD, BUY] per row
 */
export function trainLinearClassifier(input: LinearTrainingInput): LinearClassifierModel {
  const matrix = toFeatureMatrix(input.features);
  const { rows, classes } = labelledRows(input.labels, matrix.rows);
  const weights = sampleWeightsFor(classes, input.classWeights ?? 'balanced');
  requireEveryClass(classes, weights);
  const l2 = input.l2 ?? 0.01;
  if (!(l2 >= 0)) throw new TradepipeError('validation_failed', 'l2 must not be negative', { details: { l2 } });
  const featureCount = matrix.columns;
  const standardization = fitStandardization(matrix, rows);
  const standardized = new Float64Array(rows.length * featureCount);
  const buffer = new Float64Array(featureCount);
  rows.forEach((row, index) => {
    standardizeRow(matrix.values, row * featureCount, standardization, buffer);
    standardized.set(buffer, index * featureCount);
  });
  const objective = lossAndGradient(standardized, classes, weights, featureCount, l2);
  const width = featureCount + 1;
  const result = minimizeLbfgs(objective, new Float64Array(CLASS_COUNT * width), { maxIterations: input.maxIterations ?? 500, tolerance: 1e-7 });
  const coefficients: number[] = [];
  const intercepts: number[] = [];
  for (let k = 0; k < CLASS_COUNT; k += 1) {
    for (let f = 0; f < featureCount; f += 1) coefficients.push(Math.fround(result.point[k * width + f] as number));
    intercepts.push(Math.fround(result.point[k * width + featureCount] as number));
  }
  return {
    kind: 'linear',
    featureCount,
    offset: Array.from(standardization.offset),
    scale: Array.from(standardization.scale),
    coefficients,
    intercepts,
    fit: { iterations: result.iterations, loss: result.value },
  };
}

/**
 * Refuses training data in which a class has no weight.
 * @throws TradepipeError `validation_failed`
 * @internal
 */
export function requireEveryClass(classes: Uint8Array, weights: Float64Array): void {
  const totals = [0, 0, 0];
  classes.forEach((index, row) => {
    totals[index] = (totals[index] ?? 0) + (weights[row] as number);
  });
  const empty = ['SELL', 'HOLD', 'BUY'].filter((_, index) => !((totals[index] ?? 0) > 0));
  if (empty.length > 0) throw new TradepipeError('validation_failed', `No training weight for class ${empty.join(', ')}`, { details: { classes: empty.join(',') } });
}

/**
 * Class probabilities of a linear model, computed as onnxruntime does (float32 Scaler and sums).
 * @internal
 */
export function predictLinear(model: LinearClassifierModel, matrix: FeatureMatrix): Float32Array {
  const featureCount = model.featureCount;
  const standardization = { offset: Float32Array.from(model.offset), scale: Float32Array.from(model.scale) };
  const coefficients = Float32Array.from(model.coefficients);
  const output = new Float32Array(matrix.rows * CLASS_COUNT);
  const standardized = new Float64Array(featureCount);
  const scores = new Float64Array(CLASS_COUNT);
  for (let row = 0; row < matrix.rows; row += 1) {
    standardizeRow(matrix.values, row * featureCount, standardization, standardized);
    for (let k = 0; k < CLASS_COUNT; k += 1) {
      let score = 0;
      for (let f = 0; f < featureCount; f += 1) score = Math.fround(score + Math.fround((standardized[f] as number) * (coefficients[k * featureCount + f] as number)));
      scores[k] = Math.fround(score + (model.intercepts[k] as number));
    }
    softmaxInto(scores);
    output.set(scores, row * CLASS_COUNT);
  }
  return output;
}
