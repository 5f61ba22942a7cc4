import type { Fill, Order } from '../records/execution.js';
import type { RiskAssessment } from '../records/risk.js';
import type { LlmValidation, RecommendationState, SignalAction, TradeRecommendation } from '../records/trading.js';
import type { PipelineStore, WorkStatus } from '../store.js';

/** One recommendation with everything the stages recorded about it. */
export interface RecommendationTrail {
  readonly recommendation: TradeRecommendation;
  readonly status: WorkStatus<RecommendationState> | undefined;
  readonly validations: readonly LlmValidation[];
  readonly assessment: RiskAssessment | undefined;
  /** The order made from it, if any (one per recommendation). */
  readonly order: Order | undefined;
}

/** What a run left in a store, read through its public methods: the input of the funnel and the report. */
export interface BacktestRecords {
  readonly signalCounts: Partial<Record<SignalAction, number>>;
  readonly trails: readonly RecommendationTrail[];
  readonly orders: readonly Order[];
  readonly fills: readonly Fill[];
}

/**
 * Reads a run's records of one product from a store: signal counts, every recommendation with its status,
 * validations, risk assessment and order, and every fill. Recommendations are kept when their candle starts in
 * `[fromCandleStartMs, toCandleStartMs]` (all when not given).
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
  return { signalCounts: await store.countSignalsByAction({ productId: query.productId }), trails, orders, fills };
}
