import { clientOrderIdFor, recordId } from '../ids.js';
import type { Balance, Fill, Order, Position } from '../records/execution.js';
import type { Candle } from '../records/market.js';
import type { RiskApproval, RiskAssessment } from '../records/risk.js';
import type { LlmValidation, Signal, TradeRecommendation } from '../records/trading.js';
import { candleWorkId, type PipelineStore } from '../store.js';

/** A work item's state and reason, without its bookkeeping times. */
export interface SettledState {
  /** The work state, `undefined` if the store has no such item. */
  readonly state: string | undefined;
  /** Why it is in that state, if recorded. */
  readonly reason?: string;
}

/** Everything a replay recorded about its candles, for comparing two replays record by record. */
export interface ReplayRecords {
  /** Each replayed candle's work state. */
  readonly candles: readonly { readonly startMs: number; readonly productId: string; readonly state: SettledState }[];
  /** Each replayed candle's signal, if any, with its work state. */
  readonly signals: readonly { readonly signal: Signal; readonly state: SettledState }[];
  /** Every recommendation with its state and what the later stages recorded for it. */
  readonly recommendations: readonly {
    readonly recommendation: TradeRecommendation;
    readonly state: SettledState;
    readonly validations: readonly LlmValidation[];
    readonly assessment: RiskAssessment | undefined;
    readonly approval: RiskApproval | undefined;
    readonly order: Order | undefined;
    readonly fills: readonly Fill[];
  }[];
  /** Every order. */
  readonly orders: readonly Order[];
  /** Positions with a size above zero. */
  readonly positions: readonly Position[];
  /** Balances by currency. */
  readonly balances: readonly Balance[];
}

const settled = (status: { readonly state: string; readonly reason?: string } | undefined): SettledState => ({
  state: status?.state,
  ...(status?.reason === undefined ? {} : { reason: status.reason }),
});

/**
 * Reads every record a replay left for `candles` from a store: each candle's work state, each signal with its
 * state and reason, every recommendation with its state and reason, validations, risk assessment, approval,
 * order and fills, and all orders, positions and balances. Two replays recorded the same when their
 * results are deeply equal.
 * @param options.pipelineId the pipeline's id (signal ids derive from it)
 * @returns the records, in candle and creation order
 * @example
 * expect(await collectReplayRecords(batchedStore, { pipelineId, candles })).toEqual(await collectReplayRecords(referenceStore, { pipelineId, candles }));
 */
export async function collectReplayRecords(store: PipelineStore, options: { readonly pipelineId: string; readonly candles: readonly Candle[] }): Promise<ReplayRecords> {
  const candles: ReplayRecords['candles'][number][] = [];
  const signals: ReplayRecords['signals'][number][] = [];
  for (const candle of options.candles) {
    candles.push({ startMs: candle.startMs, productId: candle.productId, state: settled(await store.getWorkStatus('candle', candleWorkId(candle))) });
    const id = recordId('signal', [options.pipelineId, candle.productId, candle.granularity, candle.startMs]);
    const signal = await store.getSignal(id);
    if (signal !== undefined) signals.push({ signal, state: settled(await store.getWorkStatus('signal', id)) });
  }
  const recommendations: ReplayRecords['recommendations'][number][] = [];
  for (const recommendation of await store.listRecommendations({})) {
    const order = await store.getOrderByClientOrderId(clientOrderIdFor(recommendation.id));
    recommendations.push({
      recommendation,
      state: settled((await store.getRecommendation(recommendation.id))?.status),
      validations: await store.listValidations(recommendation.id),
      assessment: await store.getRiskAssessment(recommendation.id),
      approval: await store.getApproval(recommendation.id),
      order,
      fills: order === undefined ? [] : await store.listFills(order.id),
    });
  }
  return {
    candles,
    signals,
    recommendations,
    orders: await store.listOrders({}),
    positions: await store.listPositions(),
    balances: [...(await store.listBalances())].sort((a, b) => (a.currency < b.currency ? -1 : 1)),
  };
}
