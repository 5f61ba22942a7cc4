import { decimal, toApproxNumber } from '../decimal.js';
import { TradepipeError, throwIfAborted } from '../errors.js';
import type { SignalModel } from '../interfaces.js';
import type { Candle } from '../records/market.js';
import { backtest, type BacktestContext, type BacktestOptions, type BacktestStages } from './backtest.js';
import type { BacktestRunRecords } from './run-records.js';
import type { BacktestReport } from './backtest-report.js';
import type { CostModel } from './baselines.js';
import { buildEquityCurve, type EquityPoint } from './equity-curve.js';
import { computePerformanceMetrics, POSITION_EPSILON_BASE, type PerformanceMetrics } from './performance.js';
import { executionsFromFills, type TradeExecution } from './round-trips.js';

/** One fold's windows: train on `[trainFromMs, testFromMs)`, trade `[testFromMs, testToMs)`. */
export interface WalkForwardWindow {
  /** The fold's position, from 0. */
  readonly index: number;
  /** First training candle start, epoch ms (the first candle's start when `anchored`). */
  readonly trainFromMs: number;
  /** Training ends where trading starts: the model never sees a candle it then trades. */
  readonly testFromMs: number;
  /** End of the test window (exclusive), epoch ms: at most just after the last candle's start. */
  readonly testToMs: number;
}

/** Options of {@link walkForwardBacktest}. */
export interface WalkForwardBacktestOptions extends Omit<BacktestOptions, 'createStages' | 'tradeFromMs' | 'tradeToMs' | 'onProgress'> {
  /** Trains a model on a fold's training candles (only candles that closed before its test window). */
  readonly train: (candles: readonly Candle[], window: WalkForwardWindow) => Promise<SignalModel>;
  /** Builds the fold's stages around the model it trained. */
  readonly createStages: (context: BacktestContext, model: SignalModel) => BacktestStages | Promise<BacktestStages>;
  /** Length of each training window (a duration: `365 * 86_400_000` is a year). */
  readonly trainWindowMs: number;
  /** Length of each test window. */
  readonly testWindowMs: number;
  /** How far each fold moves on (default `testWindowMs`: test windows tile the period). */
  readonly stepMs?: number;
  /** `rolling` (default) trains on the last `trainWindowMs`; `anchored` on everything from the first candle. */
  readonly window?: 'rolling' | 'anchored';
  /** Called when a fold starts and ends. */
  readonly onFold?: (event: { readonly window: WalkForwardWindow; readonly folds: number; readonly phase: 'training' | 'trading' | 'done' }) => void | Promise<void>;
}

/** One fold's outcome. */
export interface WalkForwardFold {
  /** The fold's training and test windows. */
  readonly window: WalkForwardWindow;
  /** The model trained for this fold: its id and version. */
  readonly model: { readonly modelId: string; readonly modelVersion: string };
  /** How many candles `train` received (those starting in `[trainFromMs, testFromMs)`). */
  readonly trainingCandles: number;
  /** The fold's backtest over its test window (the training window warms the features). */
  readonly records: BacktestRunRecords;
  /** The fold's report: its metrics beside buy-and-hold and SMA 50/200 on the same window. */
  readonly report: BacktestReport | undefined;
}

/** What {@link walkForwardBacktest} returns. */
export interface WalkForwardResult {
  /** Every fold, in time order. */
  readonly folds: readonly WalkForwardFold[];
  /**
   * The whole out-of-sample period: the folds' equity curves chained (each fold's returns applied to where the
   * previous one ended, as if its account had carried on) and their trades, through the same metric functions.
   * Overlapping test windows count once (each fold until the next one starts); a gap between windows
   * (`stepMs > testWindowMs`) is not traded and the chain steps over it. A position a fold still holds when the next
   * one starts is sold there for the chain by a synthetic SELL (see `boundaryExits`): a trade like the fold's own,
   * in the equity, `feesQuote`, `tradedNotionalQuote`, `turnover` and the round trips alike. The last fold's
   * position is not sold (as the fold's own report and the baselines, it is marked at the last close).
   */
  readonly total: PerformanceMetrics;
  /**
   * The synthetic SELLs of `total`, oldest first: one for each fold but the last that held base at its cut, of all
   * that base (in the chained account's size) at the cut's close less `costs.slippageBps`, paying `costs.feeRateBps`
   * of that notional. Order id `fold-<index>-boundary-exit`, which is also the `exitOrderId` of the round trips it closes.
   */
  readonly boundaryExits: readonly TradeExecution[];
}

/** The folds' windows over candles, in order; none if the period is shorter than one train plus one test window. */
export function walkForwardWindows(candles: readonly Candle[], options: Pick<WalkForwardBacktestOptions, 'trainWindowMs' | 'testWindowMs' | 'stepMs' | 'window'>): WalkForwardWindow[] {
  const stepMs = options.stepMs ?? options.testWindowMs;
  for (const [name, value] of [['trainWindowMs', options.trainWindowMs], ['testWindowMs', options.testWindowMs], ['stepMs', stepMs]] as const) {
    if (!Number.isFinite(value) || value <= 0) throw new TradepipeError('validation_failed', 'Walk-forward windows must be positive durations', { details: { [name]: value } });
  }
  if (candles.length === 0) return [];
  // A loop, not Math.min(...spread): a spread of a year of minutes overflows the call stack.
  let firstStartMs = Infinity;
  let lastStartMs = -Infinity;
  for (const candle of candles) {
    if (candle.startMs < firstStartMs) firstStartMs = candle.startMs;
    if (candle.startMs > lastStartMs) lastStartMs = candle.startMs;
  }
  const endMs = lastStartMs + 1;
  const windows: WalkForwardWindow[] = [];
  for (let testFromMs = firstStartMs + options.trainWindowMs; testFromMs < endMs; testFromMs += stepMs) {
    const trainFromMs = options.window === 'anchored' ? firstStartMs : testFromMs - options.trainWindowMs;
    windows.push({ index: windows.length, trainFromMs, testFromMs, testToMs: Math.min(testFromMs + options.testWindowMs, endMs) });
  }
  return windows;
}

/**
 * Walk-forward backtest: for each fold, trains a model on the training window with the caller's `train`, then
 * backtests the next window with it (the training window's candles warm the features; the test window's are
 * replayed one by one), and rolls on. Each fold starts from `startingBalances`. Every fold is out of sample:
 * `train` never receives a candle of the window it trades.
 * @returns every fold's window, model and records; the chained total and the sales at the folds' cuts it made
 * @throws TradepipeError `validation_failed` for non-positive windows or a period too short for one fold, and
 * what `train` or the backtest throw
 * @example
 * const { folds } = await walkForwardBacktest({
 *   candles, products, startingBalances: { USD: '1000' }, trainWindowMs: 730 * DAY_MS, testWindowMs: 90 * DAY_MS,
 *   train: async (trainingCandles) => myTrain(trainingCandles),
 *   createStages: (context, model) => ({ features, model, validator, risk, executor }),
 * });
 */
export async function walkForwardBacktest(options: WalkForwardBacktestOptions): Promise<WalkForwardResult> {
  const sorted = [...options.candles].sort((a, b) => a.startMs - b.startMs);
  const windows = walkForwardWindows(sorted, options);
  if (windows.length === 0) {
    throw new TradepipeError('validation_failed', 'The candles span less than one training window plus a test window', { details: { candles: sorted.length, trainWindowMs: options.trainWindowMs } });
  }
  const { train, createStages, trainWindowMs: _train, testWindowMs: _test, stepMs: _step, window: _window, onFold, ...rest } = options;
  const folds: WalkForwardFold[] = [];
  for (const window of windows) {
    throwIfAborted(options.signal);
    await onFold?.({ window, folds: windows.length, phase: 'training' });
    const trainingCandles = sorted.filter((candle) => candle.startMs >= window.trainFromMs && candle.startMs < window.testFromMs);
    const model = await train(trainingCandles, window);
    await onFold?.({ window, folds: windows.length, phase: 'trading' });
    const { records, report } = await backtest({
      ...rest,
      candles: sorted.filter((candle) => candle.startMs >= window.trainFromMs && candle.startMs < window.testToMs),
      tradeFromMs: window.testFromMs,
      tradeToMs: window.testToMs,
      pipelineId: `${options.pipelineId ?? 'walk-forward'}-fold-${window.index}`,
      createStages: (context) => createStages(context, model),
    });
    folds.push({ window, model: { modelId: model.modelId, modelVersion: model.modelVersion }, trainingCandles: trainingCandles.length, records, report });
    await onFold?.({ window, folds: windows.length, phase: 'done' });
  }
  return { folds, ...stitchedMetrics(folds, options.costs) };
}

/**
 * The SELL of a long position at a fold's cut (none for a flat one): at the mark less the slippage, paying the fee
 * rate on that notional, as the baselines' simulated sales do.
 */
function boundaryExit(point: EquityPoint, productId: string, orderId: string, costs: CostModel | undefined): TradeExecution | undefined {
  if (point.positionBase <= POSITION_EPSILON_BASE) return undefined;
  const priceQuote = point.priceQuote * (1 - (costs?.slippageBps ?? 0) / 10_000);
  const feeQuote = point.positionBase * priceQuote * ((costs?.feeRateBps ?? 0) / 10_000);
  return { orderId, productId, side: 'SELL', atMs: point.atMs, sizeBase: point.positionBase, priceQuote, feeQuote };
}

/**
 * Chains the folds' equity curves and trades into one out-of-sample account, scaled to the first fold's start.
 * Where test windows overlap (`stepMs < testWindowMs`), a fold counts only until the next fold starts trading
 * (its fills at that instant included, as its equity point there includes them), so no instant of the period is
 * counted twice. Round trips are matched within each fold (every fold starts flat), never one fold's entry against
 * another fold's exit. A position a fold holds at its cut is sold there by a synthetic SELL ({@link boundaryExit}),
 * booked like the fold's own trades: the next fold starts flat from what that sale leaves, as an account that
 * carried on would have had to pay to start flat (it was carried for free).
 */
function stitchedMetrics(folds: readonly WalkForwardFold[], costs: CostModel | undefined): Pick<WalkForwardResult, 'total' | 'boundaryExits'> {
  const equity: EquityPoint[] = [];
  const executions: TradeExecution[] = [];
  const boundaryExits: TradeExecution[] = [];
  for (const [index, fold] of folds.entries()) {
    const nextFromMs = folds[index + 1]?.window.testFromMs;
    const cutMs = nextFromMs !== undefined && nextFromMs < fold.window.testToMs ? nextFromMs : Number.POSITIVE_INFINITY;
    const productId = fold.records.candles[0]!.productId;
    const quoteCurrency = fold.records.products.find((product) => product.productId === productId)?.quoteCurrency ?? '';
    const startingQuote = toApproxNumber(decimal(fold.records.startingBalances[quoteCurrency] ?? '0'));
    const curve = buildEquityCurve({ fills: fold.records.fills, candles: fold.records.candles, startingQuote }).filter((point) => point.atMs <= cutMs);
    const scale = equity.length === 0 || curve[0]!.equityQuote === 0 ? 1 : equity.at(-1)!.equityQuote / curve[0]!.equityQuote;
    const scaled = curve.map((point) => ({ ...point, equityQuote: point.equityQuote * scale, cashQuote: point.cashQuote * scale, positionBase: point.positionBase * scale }));
    equity.push(...(equity.length === 0 ? scaled : scaled.slice(1)));
    // The fills the curve applied: those at the cut too (a candle closing there is the fold's).
    const fills = fold.records.fills.filter((fill) => fill.filledAtMs <= cutMs);
    // Each fold starts flat: its lots are matched with its own exits only, its boundary exit included.
    const foldKey = `\u0000fold-${index}`;
    executions.push(...executionsFromFills(fills).map((execution) => ({ ...execution, productId: `${execution.productId}${foldKey}`, sizeBase: execution.sizeBase * scale, feeQuote: execution.feeQuote * scale })));
    const last = equity.at(-1)!;
    const exit = nextFromMs === undefined ? undefined : boundaryExit(last, productId, `fold-${index}-boundary-exit`, costs);
    if (exit === undefined) continue;
    // The sale's proceeds less its fee, as a fill's: the next fold starts from this cash.
    const cashQuote = last.cashQuote + exit.sizeBase * exit.priceQuote - exit.feeQuote;
    equity[equity.length - 1] = { ...last, equityQuote: cashQuote, cashQuote, positionBase: 0 };
    boundaryExits.push(exit);
    executions.push({ ...exit, productId: `${productId}${foldKey}` });
  }
  return { total: computePerformanceMetrics({ equity, executions }), boundaryExits };
}
