import { describe, expect, it } from 'vitest';
import type { ModelPrediction, SignalModel } from '../interfaces.js';
import type { Candle, FeatureVector } from '../records/market.js';
import { toApproxNumber } from '../decimal.js';
import { createTestApprovalSigner, testCandle, testProduct } from '../testing/fixtures.js';
import { ImmediateExecutor, LimitRiskManager, ReturnFeatureSet, ScriptedValidator } from '../pipeline/test-doubles.js';
import { buildEquityCurve } from './equity-curve.js';
import { executionsFromFills, matchRoundTrips } from './round-trips.js';
import { walkForwardBacktest, walkForwardWindows, type WalkForwardFold, type WalkForwardWindow } from './walk-forward-backtest.js';

const HOUR_MS = 3_600_000;
const signer = createTestApprovalSigner();

/** Each fold's stages around the model it trained: approve-all validation, generous risk, immediate fills. */
const stagesAround = (_context: unknown, model: SignalModel) => ({
  features: new ReturnFeatureSet(),
  model,
  validator: new ScriptedValidator('approve-all', ['approve']),
  risk: new LimitRiskManager(signer),
  executor: new ImmediateExecutor(signer),
});

function walk(count: number): Candle[] {
  let close = 100;
  return Array.from({ length: count }, (_, index) => {
    const open = close;
    close = open * (1 + 0.03 * Math.sin(index / 2.7) + 0.01 * Math.cos(index / 1.3));
    return testCandle({ index, open, close });
  });
}

/** "Training": the BUY/SELL threshold is the median absolute one-candle return of the training candles. */
function fitThreshold(candles: readonly Candle[], version: string): SignalModel {
  const moves = candles.slice(1).map((candle, index) => Math.abs(candle.close / candles[index]!.close - 1)).sort((a, b) => a - b);
  const threshold = moves[Math.floor(moves.length / 2)] ?? 0.01;
  const predict = (vector: FeatureVector): ModelPrediction => {
    const change = vector.values[0]!;
    return { action: change > threshold ? 'BUY' : change < -threshold ? 'SELL' : 'HOLD', confidence: 0.8 };
  };
  return { modelId: 'median-threshold', modelVersion: version, featureNames: ['return_1', 'close'], featureSetVersion: 'test-2', predict: async (vector) => predict(vector), predictBatch: async (vectors) => vectors.map(predict) };
}

/** A fold's model that BUYs on its first prediction only (`buys: false`: never trades): the fold ends holding one lot. */
function buyOnceModel(version: string, buys: boolean): SignalModel {
  let predictions = 0;
  const predict = (): ModelPrediction => ({ action: buys && predictions++ === 0 ? 'BUY' : 'HOLD', confidence: 0.8 });
  return { modelId: 'buy-once', modelVersion: version, featureNames: ['return_1', 'close'], featureSetVersion: 'test-2', predict: async () => predict(), predictBatch: async (vectors) => vectors.map(predict) };
}

/** Each fold's closed round trips and open lots from its fills until the next fold starts (those at that instant too). */
function tradesUntilCut(folds: readonly WalkForwardFold[]) {
  return folds.map((fold, index) => {
    const cutMs = folds[index + 1]?.window.testFromMs ?? Number.POSITIVE_INFINITY;
    return matchRoundTrips(executionsFromFills(fold.records.fills.filter((fill) => fill.filledAtMs <= cutMs)));
  });
}

describe('walkForwardBacktest', () => {
  it('lays out rolling and anchored windows as durations, training always before trading', () => {
    const candles = walk(100);
    const rolling = walkForwardWindows(candles, { trainWindowMs: 40 * HOUR_MS, testWindowMs: 20 * HOUR_MS });
    expect(rolling.map((window) => [window.trainFromMs, window.testFromMs, window.testToMs].map((ms) => (ms - candles[0]!.startMs) / HOUR_MS))).toEqual([
      [0, 40, 60],
      [20, 60, 80],
      [40, 80, 99 + 1 / HOUR_MS],
    ]);
    const anchored = walkForwardWindows(candles, { trainWindowMs: 40 * HOUR_MS, testWindowMs: 30 * HOUR_MS, window: 'anchored' });
    expect(anchored.map((window) => window.trainFromMs)).toEqual([candles[0]!.startMs, candles[0]!.startMs]);
    expect(() => walkForwardWindows(candles, { trainWindowMs: 0, testWindowMs: 1 })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });

  it('lays out the windows of a year of minutes (no spread of every candle onto the call stack)', () => {
    const startMs = Date.UTC(2025, 0, 1);
    const minutes = Array.from({ length: 525_600 }, (_, index) => ({ startMs: startMs + index * 60_000 }) as Candle);
    const windows = walkForwardWindows(minutes, { trainWindowMs: 90 * 86_400_000, testWindowMs: 30 * 86_400_000 });
    expect(windows).toHaveLength(10);
    expect(windows[0]!.testFromMs).toBe(startMs + 90 * 86_400_000);
  });

  it('trains each fold on its window only, trades the next with that model, and rolls', async () => {
    const candles = walk(100);
    const seen: { window: WalkForwardWindow; lastTrainingStartMs: number }[] = [];
    const result = await walkForwardBacktest({
      candles,
      products: [testProduct()],
      startingBalances: { USD: '10000' },
      trainWindowMs: 40 * HOUR_MS,
      testWindowMs: 20 * HOUR_MS,
      train: async (training, window) => {
        seen.push({ window, lastTrainingStartMs: training.at(-1)!.startMs });
        return fitThreshold(training, `fold-${window.index}`);
      },
      createStages: stagesAround,
    });
    expect(result.folds).toHaveLength(3);
    for (const { window, lastTrainingStartMs } of seen) expect(lastTrainingStartMs).toBeLessThan(window.testFromMs);
    for (const fold of result.folds) {
      expect(fold.trainingCandles).toBe(40);
      expect(fold.records.candles[0]!.startMs).toBe(fold.window.testFromMs);
      expect(fold.records.candles.at(-1)!.startMs).toBeLessThan(fold.window.testToMs);
      expect(fold.records.signals.every((signal) => signal.modelVersion === `fold-${fold.window.index}`)).toBe(true);
      expect(fold.records.orders.length).toBeGreaterThan(0);
      expect(fold.report!.baselines.map((baseline) => baseline.name)).toHaveLength(2);
      expect(fold.report!.period.candles).toBe(fold.records.candles.length);
    }
    // The total chains the folds: its return compounds theirs.
    const compounded = result.folds.reduce((product, fold) => product * (1 + fold.report!.metrics.totalReturnFraction), 1) - 1;
    expect(result.total.totalReturnFraction).toBeCloseTo(compounded, 9);
    // Round trips never pair one fold's BUY with another fold's SELL: each fold's trades are its own, and the sale at
    // its cut closes what it still holds (every fold but the last).
    const openAtCuts = tradesUntilCut(result.folds).slice(0, -1).reduce((sum, trades) => sum + trades.openLots.length, 0);
    expect(openAtCuts).toBeGreaterThan(0);
    expect(result.total.roundTrips).toBe(result.folds.reduce((sum, fold) => sum + fold.report!.metrics.roundTrips, 0) + openAtCuts);
  });

  it('sells a position a fold holds at its end for the chain, paying the fee and slippage (it was carried for free)', async () => {
    const candles = walk(100);
    const costs = { feeRateBps: 50, slippageBps: 10 };
    const result = await walkForwardBacktest({
      candles,
      products: [testProduct()],
      startingBalances: { USD: '10000' },
      costs,
      trainWindowMs: 40 * HOUR_MS,
      testWindowMs: 20 * HOUR_MS,
      train: async (training, window) => fitThreshold(training, `fold-${window.index}`),
      createStages: stagesAround,
    });
    const ends = result.folds.map((fold) => buildEquityCurve({ fills: fold.records.fills, candles: fold.records.candles, startingQuote: 10_000 }));
    // Not vacuous: a fold before the last ends holding base.
    expect(ends.slice(0, -1).some((curve) => curve.at(-1)!.positionBase !== 0)).toBe(true);
    const chained = ends.reduce((product, curve, index) => {
      const end = curve.at(-1)!;
      // A SELL at the mark less 10 bps, paying 50 bps of that notional.
      const exitCostQuote = index === ends.length - 1 ? 0 : end.positionBase * end.priceQuote * (1 - 0.999 * 0.995);
      return product * ((end.equityQuote - exitCostQuote) / curve[0]!.equityQuote);
    }, 1) - 1;
    expect(result.total.totalReturnFraction).toBeCloseTo(chained, 9);
    const free = result.folds.reduce((product, fold) => product * (1 + fold.report!.metrics.totalReturnFraction), 1) - 1;
    expect(result.total.totalReturnFraction).toBeLessThan(free);
  });

  it('counts overlapping test windows once in the total: each fold until the next one starts', async () => {
    const candles = walk(100);
    const result = await walkForwardBacktest({
      candles,
      products: [testProduct()],
      startingBalances: { USD: '10000' },
      trainWindowMs: 40 * HOUR_MS,
      testWindowMs: 20 * HOUR_MS,
      stepMs: 10 * HOUR_MS,
      train: async (training, window) => fitThreshold(training, `fold-${window.index}`),
      createStages: stagesAround,
    });
    expect(result.folds.length).toBeGreaterThan(3);
    // Each fold's growth until the next fold starts, compounded: the overlap is counted once.
    const chained = result.folds.reduce((product, fold, index) => {
      const cutMs = result.folds[index + 1]?.window.testFromMs ?? Number.POSITIVE_INFINITY;
      const curve = buildEquityCurve({ fills: fold.records.fills, candles: fold.records.candles, startingQuote: 10_000 }).filter((point) => point.atMs <= cutMs);
      return product * (curve.at(-1)!.equityQuote / curve[0]!.equityQuote);
    }, 1) - 1;
    expect(result.total.totalReturnFraction).toBeCloseTo(chained, 9);
    // Compounding whole folds (what the total did before) counts the overlapping half of each window twice.
    const doubleCounted = result.folds.reduce((product, fold) => product * (1 + fold.report!.metrics.totalReturnFraction), 1) - 1;
    expect(Math.abs(result.total.totalReturnFraction - doubleCounted)).toBeGreaterThan(1e-6);
    // Each fold's trips until its cut, plus those its sale at the cut closes (every open lot).
    const trips = tradesUntilCut(result.folds).reduce((sum, trades, index) => sum + trades.roundTrips.length + (index < result.folds.length - 1 ? trades.openLots.length : 0), 0);
    expect(result.total.roundTrips).toBe(trips);
    const lastCandle = candles.at(-1)!;
    expect(result.total.periodDays).toBeCloseTo((lastCandle.startMs + HOUR_MS - result.folds[0]!.window.testFromMs) / 86_400_000, 9);
  });

  it("books the sale at a fold's cut as a SELL: its fee in feesQuote, its notional in the turnover, its round trip closed", async () => {
    const candles = walk(80);
    const result = await walkForwardBacktest({
      candles,
      products: [testProduct()],
      startingBalances: { USD: '10000' },
      costs: { feeRateBps: 50, slippageBps: 10 },
      trainWindowMs: 40 * HOUR_MS,
      testWindowMs: 20 * HOUR_MS,
      train: async (_training, window) => buyOnceModel(`fold-${window.index}`, window.index === 0),
      createStages: stagesAround,
    });
    // Fold 0 buys once and holds to its cut (the close of candle 59); fold 1 never trades.
    const [held, flat] = result.folds;
    expect(held!.records.fills.map((fill) => fill.side)).toEqual(['BUY']);
    expect(flat!.records.fills).toEqual([]);
    const buy = held!.records.fills[0]!;
    const sizeBase = toApproxNumber(buy.sizeBase);
    const entryQuote = toApproxNumber(buy.price);
    const exitPriceQuote = candles[59]!.close * (1 - 10 / 10_000);
    const exitFeeQuote = sizeBase * exitPriceQuote * (50 / 10_000);
    // The fills paid no fee (the immediate executor's): every fee of the total is the boundary exit's.
    expect(result.total.feesQuote).toBeCloseTo(exitFeeQuote, 12);
    expect(result.total.tradedNotionalQuote).toBeCloseTo(sizeBase * (entryQuote + exitPriceQuote), 9);
    expect(result.total.turnover).toBeCloseTo((sizeBase * (entryQuote + exitPriceQuote)) / 10_000, 12);
    // The lot is closed: one round trip, held from the BUY to the cut.
    const pnlQuote = sizeBase * (exitPriceQuote - entryQuote) - exitFeeQuote;
    expect(result.total.roundTrips).toBe(1);
    expect(result.total.expectancyQuote).toBeCloseTo(pnlQuote, 9);
    expect(result.total.winRate).toBe(pnlQuote > 0 ? 1 : 0);
    expect(result.total.averageHoldingMs).toBe(flat!.window.testFromMs - buy.filledAtMs);
    // One account: the equity moved by the trip's PnL, its slippage and fee charged once.
    expect(result.total.endEquityQuote - result.total.startEquityQuote).toBeCloseTo(pnlQuote, 9);
    // The sale is given, marked as the cut's.
    expect(result.boundaryExits).toHaveLength(1);
    expect(result.boundaryExits[0]).toMatchObject({ orderId: 'fold-0-boundary-exit', productId: 'BTC-USD', side: 'SELL', atMs: flat!.window.testFromMs, sizeBase });
    expect(result.boundaryExits[0]!.priceQuote).toBeCloseTo(exitPriceQuote, 9);
    expect(result.boundaryExits[0]!.feeQuote).toBeCloseTo(exitFeeQuote, 12);
  });

  it('keeps the total one account: its round trips realise what its equity gained, with fills at a cut and overlapping folds', async () => {
    const costs = { feeRateBps: 50, slippageBps: 10 };
    const result = await walkForwardBacktest({
      candles: walk(100),
      products: [testProduct()],
      startingBalances: { USD: '10000' },
      costs,
      trainWindowMs: 40 * HOUR_MS,
      testWindowMs: 20 * HOUR_MS,
      stepMs: 10 * HOUR_MS,
      train: async (training, window) => fitThreshold(training, `fold-${window.index}`),
      createStages: stagesAround,
    });
    const { folds, total, boundaryExits } = result;
    // Not vacuous: folds are cut holding base, one fills at the very instant of its cut, and the last ends flat
    // (nothing left unrealised, so the trips' PnL is the whole gain).
    const heldAtCut = tradesUntilCut(folds).slice(0, -1).filter((trades) => trades.openLots.length > 0).length;
    expect(heldAtCut).toBeGreaterThan(1);
    expect(folds.some((fold, index) => fold.records.fills.some((fill) => fill.filledAtMs === folds[index + 1]?.window.testFromMs))).toBe(true);
    const lastFold = folds.at(-1)!;
    expect(buildEquityCurve({ fills: lastFold.records.fills, candles: lastFold.records.candles, startingQuote: 10_000 }).at(-1)!.positionBase).toBe(0);
    expect(total.expectancyQuote! * total.roundTrips).toBeCloseTo(total.endEquityQuote - total.startEquityQuote, 9);
    // Every sale at a cut is a SELL at the cut's close less the slippage, paying the fee rate on that notional; the
    // fills paid none, so they are all of feesQuote.
    for (const exit of boundaryExits) {
      expect(exit.orderId).toMatch(/^fold-\d+-boundary-exit$/);
      expect(exit.feeQuote).toBeCloseTo(exit.sizeBase * exit.priceQuote * 0.005, 12);
    }
    expect(boundaryExits).toHaveLength(heldAtCut);
    expect(total.feesQuote).toBeCloseTo(boundaryExits.reduce((sum, exit) => sum + exit.feeQuote, 0), 12);
  });
});
