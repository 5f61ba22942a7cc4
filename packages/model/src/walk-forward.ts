import type { SignalAction } from '@tradepipe/core';
import { toFeatureMatrix } from './feature-matrix.js';
import type { FeatureMatrix, FeatureRows } from './feature-matrix.js';
import { makeForwardReturnLabels } from './labels.js';
import { classificationMetrics, tradingMetrics } from './metrics.js';
import type { ClassificationMetrics, TradingMetrics } from './metrics.js';
import { trainModel } from './train-model.js';
import { actionsFromProbabilities, predictProbabilities } from './trained-model.js';
import type { TrainingOptions } from './training-options.js';
import { walkForwardSplits } from './walk-forward-splits.js';
import type { WalkForwardSplit } from './walk-forward-splits.js';

/** The figures of one walk-forward fold. */
export interface FoldReport {
  /** The fold's training and test rows. */
  readonly split: WalkForwardSplit;
  /** Start times of the first and last test candles, when timestamps were given. */
  readonly testFromMs?: number;
  /** Start of the last test candle, epoch ms; undefined without timestamps. */
  readonly testToMs?: number;
  /** The test block's predictions scored against its labels. */
  readonly classification: ClassificationMetrics;
  /** The test block's signals traded long/flat after fees, and buy-and-hold over the same candles. */
  readonly trading: TradingMetrics;
  /** How many test rows were predicted BUY, SELL and HOLD (after `minConfidence`). */
  readonly predicted: Readonly<Record<SignalAction, number>>;
}

/** Walk-forward results: per fold and summarised. */
export interface WalkForwardReport {
  /** Each fold's figures, oldest first. */
  readonly folds: readonly FoldReport[];
  /** Balanced accuracy averaged over the folds (chance: 1/3). */
  readonly meanBalancedAccuracy: number;
  /** Macro F1 averaged over the folds. */
  readonly meanMacroF1: number;
  /** Balanced accuracy of guessing: 1/3. */
  readonly chanceBalancedAccuracy: number;
  /** Fold returns compounded (the folds are consecutive). */
  readonly compoundedStrategyReturn: number;
  /** Buy-and-hold returns of the folds compounded (0.1 = +10 %), after its fee. */
  readonly compoundedBuyAndHoldReturn: number;
  /** Folds whose strategy return beat buy-and-hold's strictly. */
  readonly foldsBeatingBuyAndHold: number;
}

/** Input of {@link walkForwardEvaluate}. */
export interface WalkForwardInput {
  /** The feature rows, one per candle, oldest first: arrays of equal length or a float32 matrix. */
  readonly features: FeatureRows | FeatureMatrix;
  /** Close of each row's candle. */
  readonly closes: ArrayLike<number>;
  /** Start time of each row's candle, for the report. */
  readonly timestamps?: ArrayLike<number>;
  /** Parsed options; `walkForward` defaults to 5 folds of at least 500 training rows. */
  readonly options: TrainingOptions;
}

const countActions = (actions: readonly SignalAction[]): Record<SignalAction, number> => {
  const counts = { BUY: 0, SELL: 0, HOLD: 0 };
  for (const action of actions) counts[action] += 1;
  return counts;
};

/**
 * Walk-forward evaluation: for each fold, trains the configured model on rows before the test block
 * (minus a purge gap of at least the label horizon), predicts the block with the trainer's float32
 * predict (identical to onnxruntime on the export) and scores it: balanced accuracy, macro F1,
 * confusion matrix, and the return of trading the signals long/flat after fees vs buy-and-hold.
 * @returns per-fold and summary figures
 * @throws TradepipeError `validation_failed` for bad inputs or too few rows for the folds.
 * @example
 * const options = parseWith(TrainingOptionsSchema, { labeling: { horizon: 5, buyThreshold: 0.02, sellThreshold: -0.02 }, model: { kind: 'linear' } }, 'options');
 * const report = walkForwardEvaluate({ features: rows, closes, options });
 * report.meanBalancedAccuracy; // compare with report.chanceBalancedAccuracy
 */
export function walkForwardEvaluate(input: WalkForwardInput): WalkForwardReport {
  const { options } = input;
  const matrix = toFeatureMatrix(input.features);
  const labels = makeForwardReturnLabels(input.closes, options.labeling);
  const settings = options.walkForward ?? { folds: 5, minTrainRows: 500 };
  const splits = walkForwardSplits({ rowCount: matrix.rows, horizon: options.labeling.horizon, ...settings });
  const folds = splits.map((split): FoldReport => {
    const trainLabels = labels.map((label, row) => (row >= split.trainStart && row < split.trainEnd ? label : undefined));
    const model = trainModel(matrix, trainLabels, options);
    const testMatrix = { rows: split.testEnd - split.testStart, columns: matrix.columns, values: matrix.values.subarray(split.testStart * matrix.columns, split.testEnd * matrix.columns) };
    const testActions = actionsFromProbabilities(predictProbabilities(model, testMatrix), options.minConfidence);
    const actions: SignalAction[] = new Array<SignalAction>(split.testStart).fill('HOLD').concat(testActions);
    const timestamps = input.timestamps;
    return {
      split,
      ...(timestamps === undefined ? {} : { testFromMs: timestamps[split.testStart] as number, testToMs: timestamps[split.testEnd - 1] as number }),
      classification: classificationMetrics(labels.slice(split.testStart, split.testEnd), testActions),
      trading: tradingMetrics({ closes: input.closes, actions, start: split.testStart, end: split.testEnd, feeRateBps: options.feeRateBps }),
      predicted: countActions(testActions),
    };
  });
  const mean = (pick: (fold: FoldReport) => number): number => folds.reduce((sum, fold) => sum + pick(fold), 0) / folds.length;
  const compound = (pick: (fold: FoldReport) => number): number => folds.reduce((equity, fold) => equity * (1 + pick(fold)), 1) - 1;
  return {
    folds,
    meanBalancedAccuracy: mean((fold) => fold.classification.balancedAccuracy),
    meanMacroF1: mean((fold) => fold.classification.macroF1),
    chanceBalancedAccuracy: 1 / 3,
    compoundedStrategyReturn: compound((fold) => fold.trading.strategyReturn),
    compoundedBuyAndHoldReturn: compound((fold) => fold.trading.buyAndHoldReturn),
    foldsBeatingBuyAndHold: folds.filter((fold) => fold.trading.strategyReturn > fold.trading.buyAndHoldReturn).length,
  };
}
