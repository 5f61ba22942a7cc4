import { TradepipeError } from '@tradepipe/core';
import type { SignalAction } from '@tradepipe/core';
import { CLASS_ACTIONS, classIndexOf } from './classes.js';

/** Classification figures over labelled rows. Classes in order SELL, HOLD, BUY. */
export interface ClassificationMetrics {
  /** Labelled rows scored (rows without a label are skipped). */
  readonly rows: number;
  /** Share of labelled rows predicted right, 0…1. */
  readonly accuracy: number;
  /** Mean recall over the classes present in the truth (scikit-learn's `balanced_accuracy_score`); a constant guess scores 1 / {@link ClassificationMetrics.classesPresent}. */
  readonly balancedAccuracy: number;
  /** Classes (of BUY, SELL, HOLD) present in the labelled truth: what balanced accuracy averages over. */
  readonly classesPresent: number;
  /** Mean F1 over the classes present in truth or predictions (0 for a class never predicted). */
  readonly macroF1: number;
  /** `confusion[truth][predicted]`, SELL, HOLD, BUY. */
  readonly confusion: readonly (readonly number[])[];
}

/** The outcome of trading signals long/flat against buying and holding over the same candles. */
export interface TradingMetrics {
  /** Strategy equity change (0.1 = +10 %), after fees. */
  readonly strategyReturn: number;
  /** Buy at the first close (paying the fee), hold to the last. */
  readonly buyAndHoldReturn: number;
  /** Position changes (each pays `feeRateBps`). */
  readonly trades: number;
  /** Share of candles spent long. */
  readonly exposure: number;
}

/**
 * Balanced accuracy, macro F1, accuracy and the confusion matrix of predictions against labels;
 * rows whose label is `undefined` are skipped.
 * @throws TradepipeError `validation_failed` if the lengths differ or nothing is labelled.
 * @example
 * classificationMetrics(['BUY', 'SELL', 'HOLD'], ['BUY', 'HOLD', 'HOLD']).balancedAccuracy; // 0.666…
 */
export function classificationMetrics(truth: readonly (SignalAction | undefined)[], predicted: readonly SignalAction[]): ClassificationMetrics {
  if (truth.length !== predicted.length) throw new TradepipeError('validation_failed', 'Labels and predictions differ in length');
  const confusion = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  let rows = 0;
  truth.forEach((label, index) => {
    if (label === undefined) return;
    const row = confusion[classIndexOf(label)] as number[];
    const column = classIndexOf(predicted[index] as SignalAction);
    row[column] = (row[column] as number) + 1;
    rows += 1;
  });
  if (rows === 0) throw new TradepipeError('validation_failed', 'No labelled rows to score');
  const cell = (t: number, p: number): number => (confusion[t] as number[])[p] as number;
  const recalls: number[] = [];
  const f1s: number[] = [];
  let correct = 0;
  for (let k = 0; k < CLASS_ACTIONS.length; k += 1) {
    const actual = cell(k, 0) + cell(k, 1) + cell(k, 2);
    const guessed = cell(0, k) + cell(1, k) + cell(2, k);
    correct += cell(k, k);
    if (actual > 0) recalls.push(cell(k, k) / actual);
    if (actual > 0 || guessed > 0) f1s.push((2 * cell(k, k)) / (actual + guessed));
  }
  const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
  return { rows, accuracy: correct / rows, balancedAccuracy: mean(recalls), classesPresent: recalls.length, macroF1: mean(f1s), confusion };
}

/**
 * Trades signals long/flat on candles `[start, end]`: at each close `t` in `[start, end)`, BUY goes long,
 * SELL goes flat, HOLD keeps the position, which then earns `close[t+1] / close[t] - 1`. Every position
 * change pays `feeRateBps`. Compared with buying at `close[start]` (one fee) and holding to `close[end]`.
 * `actions` holds one action per candle index (only `[start, end)` are read).
 * @throws TradepipeError `validation_failed` for a bad range.
 * @example
 * tradingMetrics({ closes: [100, 110, 99], actions: ['BUY', 'SELL', 'HOLD'], start: 0, end: 2, feeRateBps: 0 });
 * // { strategyReturn: 0.1, buyAndHoldReturn: -0.01, trades: 2, exposure: 0.5 }
 */
export function tradingMetrics(input: { readonly closes: ArrayLike<number>; readonly actions: readonly SignalAction[]; readonly start: number; readonly end: number; readonly feeRateBps: number }): TradingMetrics {
  const { closes, actions, start, end } = input;
  if (!(start >= 0 && end > start && end < closes.length && end <= actions.length)) {
    throw new TradepipeError('validation_failed', 'Trading range is outside the closes', { details: { start, end, closes: closes.length } });
  }
  const fee = input.feeRateBps / 10_000;
  let equity = 1;
  let long = false;
  let trades = 0;
  let longCandles = 0;
  for (let t = start; t < end; t += 1) {
    const action = actions[t];
    const wantLong: boolean = action === 'BUY' ? true : action === 'SELL' ? false : long;
    if (wantLong !== long) {
      equity *= 1 - fee;
      trades += 1;
      long = wantLong;
    }
    if (long) {
      equity *= (closes[t + 1] as number) / (closes[t] as number);
      longCandles += 1;
    }
  }
  const buyAndHoldReturn = (1 - fee) * ((closes[end] as number) / (closes[start] as number)) - 1;
  return { strategyReturn: equity - 1, buyAndHoldReturn, trades, exposure: longCandles / (end - start) };
}

/**
 * The per-candle returns of trading signals long/flat on candles `[start, end]`, with the same rule as
 * {@link tradingMetrics}: the position decided at close `t` (BUY long, SELL flat, HOLD unchanged, flat at
 * `start`) earns `close[t+1] / close[t] − 1`, and a change of position pays `feeRateBps` first. Also the
 * positions (1 long, 0 flat) and the asset's returns over the same periods, for Sharpe ratios and the
 * circular-shift test of core.
 * @example
 * longFlatReturns({ closes: [100, 110, 99], actions: ['BUY', 'SELL', 'HOLD'], start: 0, end: 2, feeRateBps: 0 }).returns; // [0.1, 0]
 */
export function longFlatReturns(input: { readonly closes: ArrayLike<number>; readonly actions: readonly SignalAction[]; readonly start: number; readonly end: number; readonly feeRateBps: number }): {
  returns: number[];
  positions: number[];
  assetReturns: number[];
} {
  const { closes, actions, start, end } = input;
  const fee = input.feeRateBps / 10_000;
  const returns: number[] = [];
  const positions: number[] = [];
  const assetReturns: number[] = [];
  let long = false;
  for (let t = start; t < end; t += 1) {
    const action = actions[t];
    const wantLong: boolean = action === 'BUY' ? true : action === 'SELL' ? false : long;
    const cost = wantLong !== long ? 1 - fee : 1;
    long = wantLong;
    const assetReturn = (closes[t + 1] as number) / (closes[t] as number) - 1;
    returns.push(cost * (1 + (long ? assetReturn : 0)) - 1);
    positions.push(long ? 1 : 0);
    assetReturns.push(assetReturn);
  }
  return { returns, positions, assetReturns };
}
