import type { SignalAction } from '@tradepipe/core';
import { toFeatureMatrix } from './feature-matrix.js';
import type { FeatureMatrix, FeatureRows } from './feature-matrix.js';
import { makeForwardReturnLabels } from './labels.js';
import { classificationMetrics, longFlatReturns, tradingMetrics } from './metrics.js';
import { DAYS_PER_YEAR, sharpeRatio } from '@tradepipe/core';
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
  /** The confidence (chosen class's probability) of each BUY or SELL predicted in the test block, before `minConfidence`. */
  readonly signalConfidences: readonly number[];
}

/** Walk-forward results: per fold and summarised. */
export interface WalkForwardReport {
  /** Each fold's figures, oldest first. */
  readonly folds: readonly FoldReport[];
  /** Balanced accuracy averaged over the folds (compare with {@link WalkForwardReport.chanceBalancedAccuracy}). */
  readonly meanBalancedAccuracy: number;
  /** Macro F1 averaged over the folds. */
  readonly meanMacroF1: number;
  /**
   * Balanced accuracy of a constant guess, averaged over the folds: one over the classes present in each fold's
   * labels (1/3 when every fold holds BUY, SELL and HOLD; a fold with two classes counts 1/2).
   */
  readonly chanceBalancedAccuracy: number;
  /** Fold returns compounded (the folds are consecutive). */
  readonly compoundedStrategyReturn: number;
  /** Buy-and-hold returns of the folds compounded (0.1 = +10 %), after its fee. */
  readonly compoundedBuyAndHoldReturn: number;
  /** Folds whose strategy return beat buy-and-hold's strictly. */
  readonly foldsBeatingBuyAndHold: number;
  /**
   * Annualised Sharpe ratio (core's `sharpeRatio`, risk-free 0) of the strategy's per-candle returns over
   * every test block, after fees; with pooled series, the mean over the series. `null` when not defined.
   */
  readonly strategySharpe: number | null;
  /** The same for buying and holding through every test block. */
  readonly buyAndHoldSharpe: number | null;
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
  /** Labels of the rows, when the caller made them (pooled series label each series apart). */
  readonly labels?: readonly (SignalAction | undefined)[];
  /**
   * Series of each row (0, 1, …) when rows of several series are pooled, sorted by time: trading is then
   * scored per series, and with `horizonMs` and `timestamps` a training row is dropped from a fold when its
   * label's horizon reaches the fold's first test candle.
   */
  readonly seriesIds?: ArrayLike<number>;
  /** The label horizon as a duration (pooled series). */
  readonly horizonMs?: number;
  /** Candles per year, to annualise Sharpe ratios (default 365: daily candles). */
  readonly periodsPerYear?: number;
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
  const labels = input.labels ?? makeForwardReturnLabels(input.closes, options.labeling);
  const settings = options.walkForward ?? { folds: 5, minTrainRows: 500 };
  const seriesCount = input.seriesIds === undefined ? 1 : maxOf(input.seriesIds) + 1;
  const splits = walkForwardSplits({ rowCount: matrix.rows, ...settings, horizon: options.labeling.horizon * seriesCount }).map((split) => purgeByTime(split, input));
  const returnsBySeries: { strategy: number[]; buyAndHold: number[] }[] = Array.from({ length: seriesCount }, () => ({ strategy: [], buyAndHold: [] }));
  const folds = splits.map((split): FoldReport => {
    const trainLabels = labels.map((label, row) => (row >= split.trainStart && row < split.trainEnd ? label : undefined));
    const model = trainModel(matrix, trainLabels, options);
    const testMatrix = { rows: split.testEnd - split.testStart, columns: matrix.columns, values: matrix.values.subarray(split.testStart * matrix.columns, split.testEnd * matrix.columns) };
    const probabilities = predictProbabilities(model, testMatrix);
    const testActions = actionsFromProbabilities(probabilities, options.minConfidence);
    const signalConfidences = actionsFromProbabilities(probabilities).flatMap((action, row) =>
      action === 'BUY' ? [probabilities[row * 3 + 2]!] : action === 'SELL' ? [probabilities[row * 3]!] : []);
    const actions: SignalAction[] = new Array<SignalAction>(split.testStart).fill('HOLD').concat(testActions);
    const timestamps = input.timestamps;
    return {
      split,
      ...(timestamps === undefined ? {} : { testFromMs: timestamps[split.testStart] as number, testToMs: timestamps[split.testEnd - 1] as number }),
      classification: classificationMetrics(labels.slice(split.testStart, split.testEnd), testActions),
      trading: foldTrading(input, actions, split, returnsBySeries),
      predicted: countActions(testActions),
      signalConfidences,
    };
  });
  const mean = (pick: (fold: FoldReport) => number): number => folds.reduce((sum, fold) => sum + pick(fold), 0) / folds.length;
  const compound = (pick: (fold: FoldReport) => number): number => folds.reduce((equity, fold) => equity * (1 + pick(fold)), 1) - 1;
  const meanSharpe = (pick: (returns: { strategy: number[]; buyAndHold: number[] }) => number[]): number | null => {
    const values = returnsBySeries.map((returns) => sharpeRatio(pick(returns), input.periodsPerYear ?? DAYS_PER_YEAR)).filter((value) => value !== undefined);
    return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
  };
  return {
    folds,
    meanBalancedAccuracy: mean((fold) => fold.classification.balancedAccuracy),
    meanMacroF1: mean((fold) => fold.classification.macroF1),
    // What a constant guess scores: one over the classes present in a fold's labels (1/2 in a fold without a SELL, not 1/3).
    chanceBalancedAccuracy: mean((fold) => 1 / fold.classification.classesPresent),
    compoundedStrategyReturn: compound((fold) => fold.trading.strategyReturn),
    compoundedBuyAndHoldReturn: compound((fold) => fold.trading.buyAndHoldReturn),
    foldsBeatingBuyAndHold: folds.filter((fold) => fold.trading.strategyReturn > fold.trading.buyAndHoldReturn).length,
    strategySharpe: meanSharpe((returns) => returns.strategy),
    buyAndHoldSharpe: meanSharpe((returns) => returns.buyAndHold),
  };
}

/** With pooled series: drops the training rows whose label horizon reaches the first test candle. */
function purgeByTime(split: WalkForwardSplit, input: WalkForwardInput): WalkForwardSplit {
  const { timestamps, horizonMs, seriesIds } = input;
  if (seriesIds === undefined || timestamps === undefined || horizonMs === undefined) return split;
  const testStartMs = timestamps[split.testStart] as number;
  let trainEnd = split.trainEnd;
  while (trainEnd > split.trainStart && (timestamps[trainEnd - 1] as number) + horizonMs >= testStartMs) trainEnd -= 1;
  return { ...split, trainEnd };
}

/** Trading figures of one fold: of the one series, or the mean over pooled series (each traded apart). */
function foldTrading(input: WalkForwardInput, actions: readonly SignalAction[], split: WalkForwardSplit, returnsBySeries: { strategy: number[]; buyAndHold: number[] }[]): TradingMetrics {
  const feeRateBps = input.options.feeRateBps;
  const perSeries: TradingMetrics[] = [];
  returnsBySeries.forEach((sink, series) => {
    const rows: number[] = [];
    for (let row = split.testStart; row < split.testEnd; row += 1) if ((input.seriesIds?.[row] ?? 0) === series) rows.push(row);
    // The last test position earns up to the series' next close, as in tradingMetrics.
    for (let row = split.testEnd; row < input.closes.length; row += 1) {
      if ((input.seriesIds?.[row] ?? 0) === series) {
        rows.push(row);
        break;
      }
    }
    if (rows.length < 2) return;
    const closes = rows.map((row) => input.closes[row] as number);
    const seriesActions = rows.map((row) => (actions[row] ?? 'HOLD') as SignalAction);
    const trade = { closes, actions: seriesActions, start: 0, end: rows.length - 1, feeRateBps };
    perSeries.push(tradingMetrics(trade));
    const { returns, assetReturns } = longFlatReturns(trade);
    sink.strategy.push(...returns);
    sink.buyAndHold.push(...assetReturns);
  });
  const average = (pick: (metrics: TradingMetrics) => number): number => perSeries.reduce((sum, metrics) => sum + pick(metrics), 0) / Math.max(1, perSeries.length);
  return {
    strategyReturn: average((metrics) => metrics.strategyReturn),
    buyAndHoldReturn: average((metrics) => metrics.buyAndHoldReturn),
    trades: perSeries.reduce((sum, metrics) => sum + metrics.trades, 0),
    exposure: average((metrics) => metrics.exposure),
  };
}

/** The largest of many numbers (a loop: `Math.max(...values)` overflows the call stack past ~100k values). */
function maxOf(values: ArrayLike<number>): number {
  let largest = -Infinity;
  for (let index = 0; index < values.length; index += 1) if (values[index]! > largest) largest = values[index]!;
  return largest;
}
