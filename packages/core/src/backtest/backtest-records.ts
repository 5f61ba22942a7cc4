import { MAX_DEAD_LETTER_PAGE, type DeadLetter } from '../dead-letters.js';
import type { Fill, Order } from '../records/execution.js';
import type { RiskAssessment } from '../records/risk.js';
import type { LlmValidation, RecommendationState, SignalAction, TradeRecommendation } from '../records/trading.js';
import type { PipelineStore, WorkStatus } from '../store.js';

/** One recommendation with everything the stages recorded about it. */
export interface RecommendationTrail {
  /** The recommendation as stored. */
  readonly recommendation: TradeRecommendation;
  /** Its work status (state, reason, last error); `undefined` when the store has none for it. */
  readonly status: WorkStatus<RecommendationState> | undefined;
  /** Every validator's verdict on it, in the order they were written; empty when it was not validated (e.g. an exit). */
  readonly validations: readonly LlmValidation[];
  /** Risk's assessment; `undefined` when it never reached risk. */
  readonly assessment: RiskAssessment | undefined;
  /** The order made from it, if any (one per recommendation). */
  readonly order: Order | undefined;
}

/** What a run left in a store, read through its public methods: the input of the funnel and the report. */
export interface BacktestRecords {
  /** Signals recorded for the product whose candle starts in the window, by action. */
  readonly signalCounts: Partial<Record<SignalAction, number>>;
  /** Every recommendation of the product whose candle starts in the window, in the store's listing order. */
  readonly trails: readonly RecommendationTrail[];
  /** The orders made from those recommendations. */
  readonly orders: readonly Order[];
  /** Every fill of those orders, oldest first (ties by fill id). */
  readonly fills: readonly Fill[];
  /**
   * The product's candles, signals and recommendations in `DEAD_LETTER` whose candle starts in the window, in the
   * store's list order (none when absent).
   */
  readonly deadLetters?: readonly DeadLetter[];
}

/**
 * Reads a run's records of one product from a store: signal counts, every recommendation with its status,
 * validations, risk assessment and order, every fill, and the dead letters. Signals, recommendations and dead
 * letters are kept when their candle starts in `[fromCandleStartMs, toCandleStartMs]` (all when not given).
 * @example
 * const records = await loadBacktestRecords(store, { productId: 'BTC-USD' });
 */
export async function loadBacktestRecords(
  store: PipelineStore,
  query: { readonly productId: string; readonly fromCandleStartMs?: number; readonly toCandleStartMs?: number },
): Promise<BacktestRecords> {
  const from = query.fromCandleStartMs ?? Number.NEGATIVE_INFINITY;
  const to = query.toCandleStartMs ?? Number.POSITIVE_INFINITY;
  const recommendations = (await store.listRecommendations({ productId: query.productId })).filter(
    (recommendation) => recommendation.candleStartMs >= from && recommendation.candleStartMs <= to,
  );
  const kept = new Set(recommendations.map((recommendation) => recommendation.id));
  const orders = (await store.listOrders({ productId: query.productId })).filter((order) => kept.has(order.recommendationId));
  const orderByRecommendation = new Map(orders.map((order) => [order.recommendationId, order]));
  const trails: RecommendationTrail[] = [];
  for (const recommendation of recommendations) {
    trails.push({
      recommendation,
      status: await store.getWorkStatus('recommendation', recommendation.id),
      validations: await store.listValidations(recommendation.id),
      assessment: await store.getRiskAssessment(recommendation.id),
      order: orderByRecommendation.get(recommendation.id),
    });
  }
  const fills: Fill[] = [];
  for (const order of orders) fills.push(...(await store.listFills(order.id)));
  fills.sort((a, b) => a.filledAtMs - b.filledAtMs || a.id.localeCompare(b.id));
  const signalCounts = await store.countSignalsByAction({
    productId: query.productId,
    ...(query.fromCandleStartMs === undefined ? {} : { fromCandleStartMs: query.fromCandleStartMs }),
    ...(query.toCandleStartMs === undefined ? {} : { toCandleStartMs: query.toCandleStartMs }),
  });
  const deadLetters = await loadDeadLetters(store, query.productId, from, to, kept);
  return { signalCounts, trails, orders, fills, deadLetters };
}

/**
 * Every dead letter of the store, in list order (oldest first), read page by page.
 * @internal
 */
export async function listAllDeadLetters(store: PipelineStore): Promise<DeadLetter[]> {
  const all: DeadLetter[] = [];
  for (;;) {
    const after = all.at(-1);
    const page = await store.listDeadLetters({ limit: MAX_DEAD_LETTER_PAGE, ...(after === undefined ? {} : { after }) });
    all.push(...page);
    if (page.length < MAX_DEAD_LETTER_PAGE) return all;
  }
}

/** Every dead letter of the product whose candle starts in `[from, to]`; `recommendations` are the window's. */
async function loadDeadLetters(store: PipelineStore, productId: string, from: number, to: number, recommendations: ReadonlySet<string>): Promise<DeadLetter[]> {
  const inWindow = async (item: DeadLetter): Promise<boolean> => {
    if (!item.partitionKey.startsWith(`${productId}/`)) return false;
    if (item.kind === 'recommendation') return recommendations.has(item.id);
    // A candle's id is `productId/granularity/startMs`; a signal's is a record id, so its record is read.
    const startMs = item.kind === 'candle' ? Number(item.id.slice(item.id.lastIndexOf('/') + 1)) : (await store.getSignal(item.id))?.candleStartMs;
    return startMs !== undefined && startMs >= from && startMs <= to;
  };
  const kept: DeadLetter[] = [];
  for (const item of await listAllDeadLetters(store)) if (await inWindow(item)) kept.push(item);
  return kept;
}
