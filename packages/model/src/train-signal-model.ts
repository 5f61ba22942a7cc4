import { TradepipeError, parseWith } from '@tradepipe/core';
import type { SignalAction } from '@tradepipe/core';
import { balancedClassWeights } from './class-weights.js';
import { toFeatureMatrix } from './feature-matrix.js';
import type { FeatureMatrix, FeatureRows } from './feature-matrix.js';
import { makeForwardReturnLabels } from './labels.js';
import { exportToOnnx } from './onnx-export.js';
import { trainModel } from './train-model.js';
import type { TrainedModel } from './trained-model.js';
import { TrainingOptionsSchema } from './training-options.js';
import type { TrainingOptions, TrainingOptionsInput } from './training-options.js';
import { walkForwardEvaluate } from './walk-forward.js';
import type { WalkForwardReport } from './walk-forward.js';

/** Input of {@link trainSignalModel}: feature rows with the close and start time of each row's candle. */
export interface TrainSignalModelInput {
  /**
   * The feature rows, one per candle, oldest first (hold-out rows left out): arrays of equal length or a float32
   * matrix.
   */
  readonly features: FeatureRows | FeatureMatrix;
  /** The close of each row's candle: the labels come from their forward returns. */
  readonly closes: ArrayLike<number>;
  /** Candle start times (epoch ms), for the training range written into the model. */
  readonly timestamps: ArrayLike<number>;
  /** The names of the feature columns, in order (`FEATURE_NAMES`); written into the model, one per column. */
  readonly featureNames: readonly string[];
  /** The version of the feature set the rows come from (`FEATURE_SET_VERSION`); written into the model. */
  readonly featureSetVersion: string;
  /**
   * Labeling, model kind and settings, class weights, walk-forward folds, fees, ids; see {@link TrainingOptionsSchema}.
   */
  readonly options: TrainingOptionsInput;
  /** Labels of the rows, when the caller made them (pooled series; see {@link trainModelFromCandles}). */
  readonly labels?: readonly (SignalAction | undefined)[];
  /** Series of each row when several series are pooled, sorted by time; see `walkForwardEvaluate`. */
  readonly seriesIds?: ArrayLike<number>;
  /** The label horizon as a duration, written into the model and used to purge pooled folds. */
  readonly horizonMs?: number;
  /** The products the rows come from, written into the model (loading it for another is refused). */
  readonly products?: readonly string[];
  /** Candles per year, to annualise walk-forward Sharpe ratios (default 365). */
  readonly periodsPerYear?: number;
}

/**
 * Version of this package's training code, written into every model it trains (`training_code_version`).
 * Bumped whenever a change to labeling, splitting, training or export would change a trained model's bytes.
 */
export const TRAINING_CODE_VERSION = '@tradepipe/model/trainer@2';

/** What a training run produced. */
export interface TrainingReport {
  /** The options with defaults filled in. */
  readonly options: TrainingOptions;
  /** Rows with a label (the last `horizon` rows have none), the rows the final model was trained on. */
  readonly labelledRows: number;
  /** Labelled rows per class. */
  readonly labelCounts: Readonly<Record<SignalAction, number>>;
  /** The weight each class got in training. */
  readonly classWeights: Readonly<Record<SignalAction, number>>;
  /** Start of the first and last rows' candles (epoch ms) and the labelled rows; also written into the model. */
  readonly trainingRange: { readonly fromMs: number; readonly toMs: number; readonly rows: number };
  /** Present when `options.walkForward` was given. */
  readonly walkForward?: WalkForwardReport;
}

/** The result of {@link trainSignalModel}. */
export interface TrainSignalModelResult {
  /** The trained model, as the trainer holds it (for `predictProbabilities`). */
  readonly model: TrainedModel;
  /** The `.onnx` file, metadata included. */
  readonly onnx: Uint8Array;
  /** What the run did: options, labels, class weights, training range, walk-forward figures. */
  readonly report: TrainingReport;
}

/**
 * The training API: labels rows from forward returns, optionally runs the walk-forward evaluation,
 * trains the final model on every labelled row, and exports it to ONNX with its metadata (feature
 * names and version, granularity, labeling, training range, walk-forward summary).
 * Hold-out data must simply be left out of `features` by the caller.
 * @returns the model, its ONNX bytes and a report
 * @throws TradepipeError `validation_failed` for malformed options, mismatched lengths, non-finite
 * features or too few rows.
 * @example
 * const { onnx, report } = trainSignalModel({
 *   features: rows, closes, timestamps, featureNames: FEATURE_NAMES, featureSetVersion: FEATURE_SET_VERSION,
 *   options: { labeling: { horizon: 5, buyThreshold: 0.02, sellThreshold: -0.02 }, model: { kind: 'linear' }, granularity: 'ONE_DAY' },
 * });
 */
export function trainSignalModel(input: TrainSignalModelInput): TrainSignalModelResult {
  const options = parseWith(TrainingOptionsSchema, input.options, 'training options');
  const matrix = toFeatureMatrix(input.features);
  if (input.closes.length !== matrix.rows || input.timestamps.length !== matrix.rows) {
    throw new TradepipeError('validation_failed', 'features, closes and timestamps must have one entry per row', {
      details: { rows: matrix.rows, closes: input.closes.length, timestamps: input.timestamps.length },
    });
  }
  const labels = input.labels ?? makeForwardReturnLabels(input.closes, options.labeling);
  if (labels.length !== matrix.rows) throw new TradepipeError('validation_failed', 'labels must have one entry per row', { details: { rows: matrix.rows, labels: labels.length } });
  const labelled = labels.filter((label): label is SignalAction => label !== undefined);
  const labelCounts = { BUY: 0, SELL: 0, HOLD: 0 };
  for (const label of labelled) labelCounts[label] += 1;
  const pooled = {
    labels,
    ...(input.seriesIds === undefined ? {} : { seriesIds: input.seriesIds }),
    ...(input.horizonMs === undefined ? {} : { horizonMs: input.horizonMs }),
    ...(input.periodsPerYear === undefined ? {} : { periodsPerYear: input.periodsPerYear }),
  };
  const walkForward = options.walkForward === undefined ? undefined : walkForwardEvaluate({ features: matrix, closes: input.closes, timestamps: input.timestamps, options, ...pooled });
  const model = trainModel(matrix, labels, options);
  let fromMs = Number.POSITIVE_INFINITY;
  let toMs = Number.NEGATIVE_INFINITY;
  for (let row = 0; row < matrix.rows; row += 1) {
    fromMs = Math.min(fromMs, input.timestamps[row] as number);
    toMs = Math.max(toMs, input.timestamps[row] as number);
  }
  const trainingRange = { fromMs, toMs, rows: labelled.length };
  const metrics: Record<string, unknown> = { labelCounts };
  if (walkForward !== undefined) {
    metrics.walkForward = {
      folds: walkForward.folds.length,
      meanBalancedAccuracy: walkForward.meanBalancedAccuracy,
      meanMacroF1: walkForward.meanMacroF1,
      compoundedStrategyReturn: walkForward.compoundedStrategyReturn,
      compoundedBuyAndHoldReturn: walkForward.compoundedBuyAndHoldReturn,
      strategySharpe: walkForward.strategySharpe,
      buyAndHoldSharpe: walkForward.buyAndHoldSharpe,
      feeRateBps: options.feeRateBps,
    };
  }
  const onnx = exportToOnnx(model, {
    modelId: options.modelId,
    modelVersion: options.modelVersion,
    featureNames: input.featureNames,
    featureSetVersion: input.featureSetVersion,
    ...(options.granularity === undefined ? {} : { granularity: options.granularity }),
    labeling: input.horizonMs === undefined ? options.labeling : { ...options.labeling, horizonMs: input.horizonMs },
    trainingRange,
    metrics,
    trainingCodeVersion: TRAINING_CODE_VERSION,
    ...(input.products === undefined ? {} : { products: input.products }),
  });
  return {
    model,
    onnx,
    report: {
      options,
      labelledRows: labelled.length,
      labelCounts,
      classWeights: options.classWeights === 'balanced' ? balancedClassWeights(labels) : options.classWeights === 'none' ? { BUY: 1, SELL: 1, HOLD: 1 } : options.classWeights,
      trainingRange,
      ...(walkForward === undefined ? {} : { walkForward }),
    },
  };
}
