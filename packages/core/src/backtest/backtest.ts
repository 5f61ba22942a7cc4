import { decimal, toApproxNumber } from '../decimal.js';
import { TradepipeError, throwIfAborted } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { createMemoryStore } from '../memory-store.js';
import { createPipeline, type Pipeline } from '../pipeline/pipeline.js';
import type { PipelineOptions } from '../pipeline/options.js';
import { replayCandlesBatched } from '../pipeline/batched-replay.js';
import { replayCandles } from '../pipeline/replay.js';
import type { Candle, Product } from '../records/market.js';
import type { SignalModel } from '../interfaces.js';
import type { PipelineStore } from '../store.js';
import { createManualClock, systemClock, type ManualClock } from '../time.js';
import { buildBacktestReport, type BacktestReport } from './backtest-report.js';
import type { CostModel } from './baselines.js';
import { summarizeDeadLetters } from './funnel.js';
import { collectBacktestRunRecords, type BacktestRunRecords } from './run-records.js';

/** The stages of a backtest's pipeline: everything `createPipeline` takes except what the backtest owns. */
export type BacktestStages = Omit<PipelineOptions, 'pipelineId' | 'store' | 'clock' | 'logger' | 'stages' | 'marketData'>;

/** What a backtest hands the caller's stage factory. */
export interface BacktestContext {
  /** The backtest's store (the pipeline's too): read history from it, never from `candles`. */
  readonly store: PipelineStore;
  /** The replay's clock, at each step the close of the candle just replayed. */
  readonly clock: ManualClock;
  /** The backtest's logger (default silent): the one the pipeline uses. */
  readonly logger: Logger;
  /** The run's pipeline id (`options.pipelineId`, default `backtest`). */
  readonly pipelineId: string;
  /**
   * Every candle given to the backtest, history and replay, as loaded (poisoned after t when
   * `checkLookahead` re-runs it). For stages that precompute over a series: a stage that reads a candle
   * after the clock here is looking ahead, which `checkLookahead` reports.
   */
  readonly candles: readonly Candle[];
}

/**
 * How candles are replayed: `batched` (features and predictions per chunk, the stages only where a decision needs
 * them; exactly the records of the reference) or `candle-by-candle` (the reference: every candle through every stage).
 */
export type ReplayMode = 'batched' | 'candle-by-candle';

/** Progress of a running backtest, after each replayed candle. */
export interface BacktestProgress {
  /** Candles replayed so far, this one included. */
  readonly candlesDone: number;
  /** Candles the run replays in all (history excluded). */
  readonly candlesTotal: number;
  /** The candle just replayed. */
  readonly candle: Candle;
}

/** Options of {@link backtest}. */
export interface BacktestOptions {
  /** Candles of the series to trade (any order; loading them from a file, a store or a download is the caller's). */
  readonly candles: readonly Candle[];
  /** Candles starting before this only warm the features (stored as done, never traded). Default: replay all. */
  readonly tradeFromMs?: number;
  /** Candles starting at or after this are left out entirely. Default: none left out. */
  readonly tradeToMs?: number;
  /** The products traded (increments, minimum sizes), stored before the first step. */
  readonly products: readonly Product[];
  /** The paper account at the start, by currency, e.g. `{ USD: '1000' }`. */
  readonly startingBalances: Readonly<Record<string, string>>;
  /** Builds the user's stages (features, model, validator, risk, exits, executor, plugins) for this run. */
  readonly createStages: (context: BacktestContext) => BacktestStages | Promise<BacktestStages>;
  /** Names the run in every record id (default `backtest`). */
  readonly pipelineId?: string;
  /** Opens the store the run writes to (default core's in-memory store); the backtest closes it. */
  readonly createStore?: (clock: ManualClock) => PipelineStore | Promise<PipelineStore>;
  /** The replay engine (default `batched`). */
  readonly replay?: ReplayMode;
  /** Logger of the run's pipeline and stages (default silent). */
  readonly logger?: Logger;
  /** Called after each replayed candle's work; throwing from it stops the run. */
  readonly onProgress?: (progress: BacktestProgress) => void | Promise<void>;
  /**
   * Called once the replay is over, before the store is closed: to read more from it (e.g. a report built from
   * the store). `history` are the warm-up candles, `replayed` the steps.
   */
  readonly onFinished?: (run: { readonly store: PipelineStore; readonly history: readonly Candle[]; readonly replayed: readonly Candle[]; readonly clock: ManualClock }) => void | Promise<void>;
  /** The costs the paper executor charges, applied to the report's baselines too (default none). */
  readonly costs?: CostModel;
  /** The report's title (default `Backtest <product> <granularity>`). */
  readonly title?: string;
  /** Stamped on the report (default now): the one field that differs between two runs on the same inputs. */
  readonly generatedAtMs?: number;
  /** Stops the run between candles (`aborted`). */
  readonly signal?: AbortSignal;
}

/** What {@link backtest} returns: every record of the run, and its report. */
export interface BacktestResult {
  /** Every record of the run, read back from the store before it was closed. */
  readonly records: BacktestRunRecords;
  /**
   * The report (metrics beside buy-and-hold and SMA 50/200, trades, funnel, chart series) when the candles are
   * one product at one granularity; `undefined` for several series.
   */
  readonly report: BacktestReport | undefined;
  /** Work items the pipeline processed. */
  readonly itemsProcessed: number;
}

/** Splits candles into history (warm-up) and the replayed steps, checking the request makes sense. */
export function splitBacktestCandles(options: Pick<BacktestOptions, 'candles' | 'tradeFromMs' | 'tradeToMs'>): { readonly history: Candle[]; readonly replayed: Candle[] } {
  const inRange = [...options.candles].filter((candle) => options.tradeToMs === undefined || candle.startMs < options.tradeToMs).sort((a, b) => a.startMs - b.startMs);
  const fromMs = options.tradeFromMs ?? Number.NEGATIVE_INFINITY;
  const history = inRange.filter((candle) => candle.startMs < fromMs);
  const replayed = inRange.filter((candle) => candle.startMs >= fromMs);
  if (replayed.length === 0) {
    throw new TradepipeError('validation_failed', 'No candle to replay in the requested range', {
      details: { candles: options.candles.length, ...(options.tradeFromMs === undefined ? {} : { tradeFromMs: options.tradeFromMs }), ...(options.tradeToMs === undefined ? {} : { tradeToMs: options.tradeToMs }) },
    });
  }
  return { history, replayed };
}

async function prepareStore(store: PipelineStore, options: BacktestOptions, history: readonly Candle[], nowMs: number): Promise<void> {
  for (const product of options.products) await store.putProduct(product);
  if (history.length > 0) await store.putCandles(history, { state: 'DONE' });
  if ((await store.listBalances()).length === 0) {
    await store.putBalances(Object.entries(options.startingBalances).map(([currency, available]) => ({ currency, available: decimal(available), hold: decimal('0'), updatedAtMs: nowMs })));
  }
}

/** The report of a run on one series, from the store before it closes; starting cash in its quote currency. */
async function reportOf(store: PipelineStore, options: BacktestOptions, history: readonly Candle[], replayed: readonly Candle[], model: SignalModel | undefined): Promise<BacktestReport | undefined> {
  const first = replayed[0]!;
  if (replayed.some((candle) => candle.productId !== first.productId || candle.granularity !== first.granularity)) return undefined;
  const quoteCurrency = options.products.find((product) => product.productId === first.productId)?.quoteCurrency;
  const startingQuote = toApproxNumber(decimal(quoteCurrency === undefined ? '0' : (options.startingBalances[quoteCurrency] ?? '0')));
  return buildBacktestReport({
    store,
    candles: replayed,
    history,
    startingQuote,
    costs: options.costs ?? { feeRateBps: 0, slippageBps: 0 },
    generatedAtMs: options.generatedAtMs ?? systemClock.nowMs(),
    ...(options.title === undefined ? {} : { title: options.title }),
    ...(model?.trainingRange === undefined ? {} : { modelTrainingRange: model.trainingRange }),
  });
}

/** The one switch between replay engines. */
async function runReplay(input: { pipeline: Pipeline; store: PipelineStore; clock: ManualClock; candles: readonly Candle[]; options: BacktestOptions }): Promise<number> {
  let done = 0;
  if ((input.options.replay ?? 'batched') === 'batched') {
    const batched = await replayCandlesBatched({
      pipeline: input.pipeline,
      store: input.store,
      clock: input.clock,
      candles: input.candles,
      onChunk: async ({ candlesDone }) => {
        await input.options.onProgress?.({ candlesDone, candlesTotal: input.candles.length, candle: input.candles[Math.max(0, candlesDone - 1)]! });
        throwIfAborted(input.options.signal);
      },
    });
    return batched.itemsProcessed;
  }
  const result = await replayCandles({
    pipeline: input.pipeline,
    store: input.store,
    clock: input.clock,
    candles: input.candles,
    onCandle: async (candle) => {
      done += 1;
      await input.options.onProgress?.({ candlesDone: done, candlesTotal: input.candles.length, candle });
      throwIfAborted(input.options.signal);
    },
  });
  return result.itemsProcessed;
}

/**
 * Backtests the caller's pipeline over candles: history before `tradeFromMs` is stored as already seen (it
 * warms the features), then each candle is replayed as if it had just closed, through every stage the caller
 * built (their own stages and plugins included), on a manual clock shared by store and pipeline. At step t the
 * store holds no candle after t, so no stage can read one from it. Core does no I/O: the caller loads candles
 * and passes the executor (paper) and validator of their choice through `createStages`.
 * @returns every record of the run (signals, recommendations with verdicts, assessments, orders, fills, account,
 * dead letters) and its report (`buildBacktestReport`: metrics beside both baselines, trades, funnel with the dead
 * letters, and a note when there are any); items dead-lettered are also logged as a warning
 * @throws TradepipeError `validation_failed` when no candle falls in the range, `pipeline_invalid` for bad stages,
 * `aborted` when `signal` aborts, or whatever a stage throws that the pipeline does not record
 * @example
 * const { records } = await backtest({
 *   candles, tradeFromMs: Date.UTC(2024, 8, 25), products: [btcUsd], startingBalances: { USD: '1000' },
 *   createStages: () => ({ features, model, validator, risk, executor: new PaperExecutor({ approvalSigner: signer }) }),
 * });
 */
export async function backtest(options: BacktestOptions): Promise<BacktestResult> {
  throwIfAborted(options.signal);
  const { history, replayed } = splitBacktestCandles(options);
  const pipelineId = options.pipelineId ?? 'backtest';
  const logger = options.logger ?? silentLogger;
  const clock = createManualClock(replayed[0]!.startMs);
  const store = await (options.createStore ?? ((manualClock: ManualClock) => createMemoryStore({ clock: manualClock })))(clock);
  try {
    await prepareStore(store, options, history, clock.nowMs());
    const stages = await options.createStages({ store, clock, logger, pipelineId, candles: options.candles });
    const pipeline = createPipeline({ ...stages, pipelineId, store, clock, logger });
    const itemsProcessed = await runReplay({ pipeline, store, clock, candles: replayed, options });
    await options.onFinished?.({ store, history, replayed, clock });
    const report = await reportOf(store, options, history, replayed, stages.model);
    const records = await collectBacktestRunRecords({ store, pipelineId, products: options.products, featureNames: stages.features?.featureNames ?? [], startingBalances: options.startingBalances, warmupCandles: history.length, candles: replayed });
    if (records.deadLetters.length > 0) {
      const { byKind, byCode } = summarizeDeadLetters(records.deadLetters);
      logger.warn('backtest dead-lettered work items: the run is incomplete', { ...byKind, firstCode: byCode[0]!.code, firstMessage: byCode[0]!.message });
    }
    return { records, report, itemsProcessed };
  } finally {
    await store.close();
  }
}
