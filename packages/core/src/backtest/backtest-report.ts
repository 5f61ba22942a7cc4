import { toApproxNumber } from '../decimal.js';
import { TradepipeError } from '../errors.js';
import { candleCloseMs, type Candle } from '../records/market.js';
import { TERMINAL_RECOMMENDATION_STATES } from '../records/trading.js';
import type { PipelineStore } from '../store.js';
import type { Granularity } from '../time.js';
import { loadBacktestRecords } from './backtest-records.js';
import { buyAndHoldBaseline, smaCrossoverBaseline, type CostModel } from './baselines.js';
import { downsampleMinMax, mergeCandles, type PriceBar } from './downsample.js';
import { buildEquityCurve, drawdownSeries } from './equity-curve.js';
import { compareSizes, computeFunnel, type BacktestFunnel, type DeadLetterSummary, type SizeComparison } from './funnel.js';
import { computePerformanceMetrics, type PerformanceMetrics } from './performance.js';
import { executionsFromFills, matchRoundTrips, type OpenLot, type RoundTrip, type TradeExecution } from './round-trips.js';

/** The version of the {@link BacktestReport} shape; it changes when a field changes meaning or goes away. */
export const BACKTEST_REPORT_SCHEMA_VERSION = 1;

/** A point of a chart series. */
export interface SeriesPoint {
  /** The point's instant, epoch ms. */
  readonly atMs: number;
  /** The series' value there (equity in quote currency, or a drawdown fraction ≤ 0). */
  readonly value: number;
}

/** A baseline in a report: what it is, its figures and its equity. */
export interface BaselineReport {
  /** The baseline's stable name (`buy_and_hold`, `sma_50_200`). */
  readonly name: string;
  /** A human-readable name for charts and tables (`Buy and hold`). */
  readonly label: string;
  /** Its figures, computed as the strategy's are. */
  readonly metrics: PerformanceMetrics;
  /** Its equity curve, thinned like the strategy's. */
  readonly equity: readonly SeriesPoint[];
}

/**
 * A backtest's results as JSON-serialisable data (numbers, strings, `null`; no `undefined`, `NaN` or
 * `Infinity`): period, product, costs, metrics beside the baselines, chart series, trades, the funnel and the
 * sizes risk gave, with the conventions stated. Two runs on the same inputs give the same report apart from
 * `generatedAtMs`.
 */
export interface BacktestReport {
  /** {@link BACKTEST_REPORT_SCHEMA_VERSION} of the code that made the report. */
  readonly schemaVersion: typeof BACKTEST_REPORT_SCHEMA_VERSION;
  /** When the report was made; the one field allowed to differ between two runs on the same inputs. */
  readonly generatedAtMs: number;
  /** The input's title, or `Backtest <product> <granularity>`. */
  readonly title: string;
  /** The product of the replayed candles. */
  readonly productId: string;
  /** The candle size of the replayed candles. */
  readonly granularity: Granularity;
  /** From the first candle's start to the last candle's close. */
  readonly period: { readonly fromMs: number; readonly toMs: number; readonly candles: number };
  /** Cash the account started with, quote currency (also the baselines'). */
  readonly startingQuote: number;
  /** Fee rate and slippage the baselines paid (those the caller says the strategy paid). */
  readonly costs: CostModel;
  /** The strategy's figures, from its fills within the period marked at every close. */
  readonly metrics: PerformanceMetrics;
  /** Buy-and-hold, then the SMA 50/200 crossover, on the same candles, cash and costs. */
  readonly baselines: readonly BaselineReport[];
  /** Chart series, thinned to at most `series.maxPoints` points (extremes and trade instants kept). */
  readonly series: {
    readonly maxPoints: number;
    /** How many candles each price bar merges (1: none). */
    readonly candlesPerBar: number;
    readonly price: readonly PriceBar[];
    readonly equity: readonly SeriesPoint[];
    readonly drawdown: readonly SeriesPoint[];
  };
  /** The strategy's fills within the period, grouped by order, oldest first. */
  readonly executions: readonly TradeExecution[];
  /** Closed round trips (FIFO), in exit order. */
  readonly trades: readonly RoundTrip[];
  /** Base still held at the end, by entry lot. */
  readonly openLots: readonly OpenLot[];
  /** Signals to fills, with every stop counted by stage and reason code, and the items dead-lettered. */
  readonly funnel: BacktestFunnel;
  /** BUY amounts risk approved beside the amounts asked. */
  readonly sizes: SizeComparison;
  /**
   * Replayed candles that start inside the model's training range: there the model was fitted to the outcome, so
   * the figures are in sample, not a test of it. Present when the report was given the range
   * (`BacktestReportInput.modelTrainingRange`; `backtest` passes the model's `trainingRange`), even at 0 candles.
   */
  readonly inSample?: { readonly candles: number; readonly trainingFromMs: number; readonly trainingToMs: number };
  /**
   * The conventions behind the figures, and anything the reader should know, in plain sentences (e.g. that items
   * were dead-lettered, or that the store's balance disagrees with the fills).
   */
  readonly notes: readonly string[];
}

/** What {@link buildBacktestReport} needs. */
export interface BacktestReportInput {
  /**
   * The store the run wrote to (read through its public methods only). Records are read by product, not by
   * pipeline: give a store that holds this run only (two strategies' runs in one store would be blended).
   */
  readonly store: PipelineStore;
  /** The candles replayed (one product, one granularity): the period is theirs. */
  readonly candles: readonly Candle[];
  /** Candles before the period (warm-up only): they seed the SMA baseline's averages. */
  readonly history?: readonly Candle[];
  /**
   * Quote currency the account started with: the paper account's funding (another figure scales every return; a
   * note says when the store's balance disagrees with the cash the fills imply).
   */
  readonly startingQuote: number;
  /** The costs the strategy paid, applied to the baselines too. */
  readonly costs: CostModel;
  /** Epoch ms stamped on the report (pass the clock's time). */
  readonly generatedAtMs: number;
  /** The report's title (default `Backtest <product> <granularity>`). */
  readonly title?: string;
  /** Most points per chart series (default 20,000). */
  readonly maxSeriesPoints?: number;
  /**
   * The starts of the first and last candles the model was trained on (`SignalModel.trainingRange`): the report then
   * counts the replayed candles inside it (`inSample`) and, when there are any, says in a note that the run is in sample.
   */
  readonly modelTrainingRange?: { readonly fromMs: number; readonly toMs: number };
}

const CONVENTIONS = [
  'Equity is marked to market at every candle close: cash plus the position at the close, after the fills up to that instant.',
  'Sharpe, Sortino, CAGR and Calmar use equity resampled to UTC days (the last mark of each day), a 365-day year, √365 annualisation and a risk-free rate of 0; the Sharpe ratio uses the sample standard deviation, the Sortino ratio the downside deviation below 0 over all days; CAGR and Calmar are given for a period of 30 days or more only.',
  'Max drawdown is measured on every mark (not only daily); its duration runs from the peak to the recovery, or to the end if equity had not recovered.',
  'Round trips match each BUY order against later SELL orders first in, first out; a partial exit is its own round trip; fees are shared pro rata by size. PnL is net of fees.',
  'Exposure is the fraction of the period with a position open. Turnover is the traded value (both sides) over the starting equity.',
  'Baselines start with the same cash and pay the same fee and slippage: buy-and-hold buys at the first open; the SMA crossover is long only, all in or out, acting at the next open after the close where its averages cross. Neither is liquidated at the end.',
  'A null figure is not defined on the data (no losing trade for a profit factor, no variation for a Sharpe ratio).',
];

const toSeries = (points: readonly { atMs: number; equityQuote: number }[]): SeriesPoint[] => points.map((point) => ({ atMs: point.atMs, value: point.equityQuote }));

/**
 * Assembles the {@link BacktestReport} of a run from its store, the replayed candles and the starting balance.
 * @throws TradepipeError `validation_failed` if there are no candles, or they mix products or granularities
 * @example
 * const report = await buildBacktestReport({ store, candles: holdOut, history, startingQuote: 1000, costs: { feeRateBps: 120, slippageBps: 5 }, generatedAtMs: clock.nowMs() });
 * writeFileSync('report.json', JSON.stringify(report));
 */
export async function buildBacktestReport(input: BacktestReportInput): Promise<BacktestReport> {
  const candles = [...input.candles].sort((a, b) => a.startMs - b.startMs);
  const first = candles[0];
  if (first === undefined || candles.some((candle) => candle.productId !== first.productId || candle.granularity !== first.granularity)) {
    throw new TradepipeError('validation_failed', 'a backtest report needs candles of one product and one granularity', { details: { candles: candles.length } });
  }
  const period = { fromMs: first.startMs, toMs: candleCloseMs(candles.at(-1)!), candles: candles.length };
  const records = await loadBacktestRecords(input.store, { productId: first.productId, fromCandleStartMs: first.startMs, toCandleStartMs: candles.at(-1)!.startMs });
  const fills = records.fills.filter((fill) => fill.filledAtMs >= period.fromMs && fill.filledAtMs <= period.toMs);
  const equity = buildEquityCurve({ fills, candles, startingQuote: input.startingQuote });
  const executions = executionsFromFills(fills);
  const { roundTrips, openLots } = matchRoundTrips(executions);
  const runs = [
    { run: buyAndHoldBaseline({ candles, startingQuote: input.startingQuote, costs: input.costs }), label: 'Buy and hold' },
    { run: smaCrossoverBaseline({ candles, history: input.history ?? [], startingQuote: input.startingQuote, costs: input.costs }), label: 'SMA 50/200 crossover (long only)' },
  ];
  const maxPoints = input.maxSeriesPoints ?? 20_000;
  const tradeTimes = new Set(executions.map((execution) => candleCloseAtOrAfter(candles, execution.atMs)));
  const thin = (series: SeriesPoint[]): SeriesPoint[] => downsampleMinMax(series, maxPoints, (point) => point.value, tradeTimes);
  const { bars, factor } = mergeCandles(candles, maxPoints);
  const funnel = computeFunnel(records);
  const inSample = input.modelTrainingRange === undefined ? undefined : inSampleOf(candles, input.modelTrainingRange);
  return {
    schemaVersion: BACKTEST_REPORT_SCHEMA_VERSION,
    generatedAtMs: input.generatedAtMs,
    title: input.title ?? `Backtest ${first.productId} ${first.granularity}`,
    productId: first.productId,
    granularity: first.granularity,
    period,
    startingQuote: input.startingQuote,
    costs: { feeRateBps: input.costs.feeRateBps, slippageBps: input.costs.slippageBps },
    metrics: computePerformanceMetrics({ equity, executions }),
    baselines: runs.map(({ run, label }) => ({ name: run.name, label, metrics: computePerformanceMetrics(run), equity: thin(toSeries(run.equity)) })),
    series: {
      maxPoints,
      candlesPerBar: factor,
      price: bars,
      equity: thin(toSeries(equity)),
      drawdown: thin(drawdownSeries(equity).map((point) => ({ atMs: point.atMs, value: point.drawdownFraction }))),
    },
    executions,
    trades: roundTrips,
    openLots,
    funnel,
    sizes: compareSizes(records),
    ...(inSample === undefined ? {} : { inSample }),
    notes: [...CONVENTIONS, ...inSampleNotes(inSample, candles.length), ...deadLetterNotes(funnel.deadLetters), ...pendingNotes(funnel.outcomes), ...(await ledgerNotes(input, equity.at(-1)?.cashQuote ?? input.startingQuote, first.productId))],
  };
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** The replayed candles that start within the model's training range (both ends included). */
function inSampleOf(candles: readonly Candle[], range: { readonly fromMs: number; readonly toMs: number }): NonNullable<BacktestReport['inSample']> {
  const isInstant = (ms: number): boolean => Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;
  if (!isInstant(range.fromMs) || !isInstant(range.toMs) || range.fromMs > range.toMs) {
    throw new TradepipeError('validation_failed', 'modelTrainingRange must be two instants a Date holds, fromMs not after toMs', { details: { fromMs: range.fromMs, toMs: range.toMs } });
  }
  let inside = 0;
  for (const candle of candles) if (candle.startMs >= range.fromMs && candle.startMs <= range.toMs) inside += 1;
  return { candles: inside, trainingFromMs: range.fromMs, trainingToMs: range.toMs };
}

/** The note of a run that replayed candles the model was trained on. */
function inSampleNotes(inSample: BacktestReport['inSample'], total: number): string[] {
  if (inSample === undefined || inSample.candles === 0) return [];
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  const share = ((100 * inSample.candles) / total).toFixed(inSample.candles === total ? 0 : 1);
  return [
    `In sample: ${inSample.candles} of ${plural(total, 'replayed candle')} (${share} %) start inside the model's training range (${day(inSample.trainingFromMs)} … ${day(inSample.trainingToMs)}). The model was fitted to what followed them, so these figures are not a test of it; replay only candles after ${day(inSample.trainingToMs)} for an out-of-sample run.`,
  ];
}

/**
 * Recommendations the run left in a state a stage still has to take (`PENDING_VALIDATION` without a validator, an
 * order `SUBMITTED` and never followed): they did not trade and did not end, so the figures leave them out.
 */
function pendingNotes(outcomes: Readonly<Record<string, number>>): string[] {
  const pending = Object.entries(outcomes).filter(([state, count]) => count > 0 && !(TERMINAL_RECOMMENDATION_STATES as readonly string[]).includes(state));
  if (pending.length === 0) return [];
  const total = pending.reduce((sum, [, count]) => sum + count, 0);
  return [
    `${plural(total, 'recommendation')} had not ended when the run stopped (${pending.map(([state, count]) => `${state} ×${count}`).join(', ')}): no stage of the pipeline took them (a pipeline without a validator, a risk manager or an executor leaves them waiting), or the run stopped before they ended; they made no trade in the figures.`,
  ];
}

/** A note when the run dead-lettered anything: the funnel and the figures leave those items out. */
function deadLetterNotes(deadLetters: DeadLetterSummary | undefined): string[] {
  if (deadLetters === undefined || deadLetters.total === 0) return [];
  const kinds = (['candle', 'signal', 'recommendation'] as const).filter((kind) => deadLetters.byKind[kind] > 0).map((kind) => plural(deadLetters.byKind[kind], kind));
  const codes = deadLetters.byCode.slice(0, 5).map((item) => `${item.kind} ${item.code} ×${item.count}${item.message === '' ? '' : ` (${item.message})`}`);
  const more = deadLetters.byCode.length > 5 ? `; ${plural(deadLetters.byCode.length - 5, 'more code')}` : '';
  return [
    `${plural(deadLetters.total, 'work item')} dead-lettered (${kinds.join(', ')}): stopped for good on a failure, they never reached the later stages, so the funnel and the figures leave them out; this run is incomplete, not a model choosing not to trade. By code: ${codes.join('; ')}${more}. The store's listDeadLetters lists them: fix the cause, then re-queue them or run again.`,
  ];
}

/** The close (an equity mark) at or after `atMs`: where a trade shows on the curves. */
function candleCloseAtOrAfter(candles: readonly Candle[], atMs: number): number {
  let low = 0;
  let high = candles.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (candleCloseMs(candles[middle]!) < atMs) low = middle + 1;
    else high = middle;
  }
  return candleCloseMs(candles[low]!);
}

/** A note when the store's quote balance disagrees with the cash the fills imply (a fill missing, or other activity). */
async function ledgerNotes(input: BacktestReportInput, cashQuote: number, productId: string): Promise<string[]> {
  const product = await input.store.getProduct(productId);
  if (product === undefined) return [];
  const balance = (await input.store.listBalances()).find((item) => item.currency === product.quoteCurrency);
  if (balance === undefined) return [];
  const stored = toApproxNumber(balance.available) + toApproxNumber(balance.hold);
  if (Math.abs(stored - cashQuote) <= 0.01) return [];
  return [`The store's ${product.quoteCurrency} balance (${stored.toFixed(2)}) differs from the cash the fills imply (${cashQuote.toFixed(2)}): the account had activity the report does not see.`];
}
