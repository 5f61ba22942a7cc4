import {
  DAY_MS,
  circularShiftSignificance,
  measureMaxDrawdown,
  sharpeRatio,
  smaCrossoverBaseline,
  sortinoRatio,
  type Candle,
  type FeatureVector,
  type SignalAction,
} from '@tradepipe/core';
import { classificationMetrics, longFlatReturns, makeForwardReturnLabels, type OnnxSignalModel } from '../src/index.js';

/** One strategy's figures over the hold-out (core's metric functions: one copy, in core). */
export interface StrategyFigures {
  readonly totalReturn: number;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly maxDrawdown: number;
  readonly trades: number;
  readonly exposure: number;
}

function figures(candles: readonly Candle[], actions: readonly SignalAction[], feeRateBps: number): StrategyFigures & { positions: number[]; assetReturns: number[] } {
  const closes = candles.map((candle) => candle.close);
  const { returns, positions, assetReturns } = longFlatReturns({ closes, actions, start: 0, end: closes.length - 1, feeRateBps });
  let equity = 1;
  const points = [{ atMs: candles[0]!.startMs + DAY_MS, equityQuote: 1 }];
  returns.forEach((value, index) => {
    equity *= 1 + value;
    points.push({ atMs: candles[index + 1]!.startMs + DAY_MS, equityQuote: equity });
  });
  let trades = 0;
  positions.forEach((position, index) => {
    if (position !== (positions[index - 1] ?? 0)) trades += 1;
  });
  return {
    totalReturn: equity - 1,
    sharpe: sharpeRatio(returns) ?? null,
    sortino: sortinoRatio(returns) ?? null,
    maxDrawdown: measureMaxDrawdown(points).depthFraction,
    trades,
    exposure: positions.reduce((sum, position) => sum + position, 0) / positions.length,
    positions,
    assetReturns,
  };
}

/** SMA 50/200 as core's baseline decides it (history warms the averages), as one action per hold-out close. */
function smaActions(history: readonly Candle[], holdout: readonly Candle[]): SignalAction[] {
  const run = smaCrossoverBaseline({ candles: holdout, history, startingQuote: 1_000, costs: { feeRateBps: 0, slippageBps: 0 } });
  // equity[j + 1] is marked after candle j; the baseline is in during candle t + 1 when decided at close t.
  return holdout.map((_, t) => ((run.equity[t + 2]?.positionBase ?? 0) > 0 ? 'BUY' : 'SELL'));
}

/**
 * Scores the chosen model ONCE on the hold-out, through onnxruntime, beside buy-and-hold and SMA 50/200 with
 * the same long/flat rule and fees: return, Sharpe, Sortino, max drawdown, and the p-value of the model's
 * Sharpe against circular shifts of its own positions.
 */
export async function evaluateHoldout(input: {
  readonly model: OnnxSignalModel;
  readonly vectors: readonly FeatureVector[];
  readonly history: readonly Candle[];
  readonly holdout: readonly Candle[];
  readonly labeling: { readonly horizon: number; readonly buyThreshold: number; readonly sellThreshold: number };
  readonly feeRateBps: number;
}) {
  const { holdout, feeRateBps } = input;
  const predictions = await input.model.predictBatch(input.vectors);
  const actions = predictions.map((prediction) => prediction.action);
  const labels = makeForwardReturnLabels(holdout.map((candle) => candle.close), input.labeling);
  const model = figures(holdout, actions, feeRateBps);
  const significance = circularShiftSignificance({ positions: model.positions, assetReturns: model.assetReturns, periodsPerYear: 365, feeRate: feeRateBps / 10_000 });
  const strip = ({ positions: _positions, assetReturns: _assetReturns, ...rest }: ReturnType<typeof figures>): StrategyFigures => rest;
  const predicted = { BUY: 0, SELL: 0, HOLD: 0 };
  for (const action of actions) predicted[action] += 1;
  return {
    fromMs: holdout[0]!.startMs,
    toMs: holdout.at(-1)!.startMs,
    candles: holdout.length,
    classification: classificationMetrics(labels, actions),
    predicted,
    model: strip(model),
    buyAndHold: strip(figures(holdout, holdout.map(() => 'BUY'), feeRateBps)),
    sma50200: strip(figures(holdout, smaActions(input.history, holdout), feeRateBps)),
    significance: { pValue: significance.pValue, shifts: significance.shifts, medianShiftedSharpe: significance.medianShiftedSharpe },
  };
}
