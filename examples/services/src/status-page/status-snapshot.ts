import { recordId, toApproxNumber, type HealthReport, type Order, type PipelineStore, type RecommendationState, type RiskState, type WorkKind } from '@tradepipe/core';

/** How much of the store the status page shows. */
const RECENT_CANDLES = 120;
const RECENT_SIGNALS = 20;
const RECENT_RECOMMENDATIONS = 25;
const RECENT_ORDERS = 25;
const OLDEST_DEAD_LETTERS = 5;

/** The command an operator settles dead letters with (list, then requeue or discard each). */
export const DEAD_LETTER_COMMAND = 'tradepipe dead-letters';

/** One recent signal of a series. */
export interface StatusSignal {
  readonly productId: string;
  readonly candleStartMs: number;
  readonly action: string;
  readonly confidence: number;
  readonly modelVersion: string;
}

/** One recommendation with where it stands and why. */
export interface StatusRecommendation {
  readonly id: string;
  readonly productId: string;
  readonly side: string;
  readonly origin: string;
  readonly quoteAmount: string;
  readonly createdAtMs: number;
  readonly state: string;
  readonly reason?: string;
  /** Each validator's verdict and its reasons. */
  readonly verdicts: readonly { readonly validator: string; readonly decision: string; readonly reasons: readonly string[] }[];
}

/** A position with its mark-to-market value and PnL (quote currency). */
export interface StatusPosition {
  readonly productId: string;
  readonly sizeBase: string;
  readonly averageEntryPrice: string;
  readonly markPrice?: number;
  readonly unrealizedPnlQuote?: number;
  readonly realizedPnlQuote: number;
}

/** One of the oldest dead letters: what failed, from where, why and how long ago. */
export interface StatusDeadLetter {
  readonly id: string;
  readonly kind: WorkKind;
  readonly reason?: string;
  /** The state it was dead-lettered from (the stage's input state), when recorded. */
  readonly fromState?: string;
  /** Time since it was dead-lettered, on the snapshot's clock, in ms. */
  readonly ageMs: number;
}

/** Dead letters waiting for an operator: how many per kind, the oldest few and the command that settles them. */
export interface StatusDeadLetters {
  /** Items in `DEAD_LETTER` per kind (`DISCARDED` ones are settled and not counted). */
  readonly counts: Readonly<Record<WorkKind, number>>;
  /** The oldest few, oldest first (`listDeadLetters`). */
  readonly oldest: readonly StatusDeadLetter[];
  /** {@link DEAD_LETTER_COMMAND}: `list`, then `requeue` or `discard` each. */
  readonly command: string;
}

/** Everything the status page shows: read from the shared store and the services' health; nothing secret. */
export interface StatusSnapshot {
  readonly generatedAtMs: number;
  readonly pipelineId: string;
  readonly health: HealthReport;
  readonly killSwitch: RiskState['killSwitch'];
  readonly deadLetters: StatusDeadLetters;
  /** Work items by kind and state: the funnel per stage. */
  readonly funnel: Readonly<Record<'candle' | 'signal' | 'recommendation', Readonly<Record<string, number>>>>;
  readonly signals: readonly StatusSignal[];
  readonly recommendations: readonly StatusRecommendation[];
  readonly orders: readonly Pick<Order, 'id' | 'productId' | 'side' | 'status' | 'filledBaseSize' | 'averageFillPrice' | 'totalFees' | 'createdAtMs' | 'statusReason'>[];
  readonly positions: readonly StatusPosition[];
  readonly balances: readonly { readonly currency: string; readonly available: string; readonly hold: string }[];
  /** Closes of each series for the price chart, oldest first. */
  readonly prices: Readonly<Record<string, readonly { readonly timeMs: number; readonly close: number }[]>>;
}

/** What the snapshot is built from. */
export interface StatusSources {
  readonly store: PipelineStore;
  readonly pipelineId: string;
  readonly series: readonly { readonly productId: string; readonly granularity: import('@tradepipe/core').Granularity }[];
  readonly health: () => Promise<HealthReport>;
  readonly nowMs: number;
}

async function recentSignals(sources: StatusSources): Promise<StatusSignal[]> {
  const found: StatusSignal[] = [];
  for (const series of sources.series) {
    const candles = await sources.store.getCandles({ ...series, asOfMs: sources.nowMs, limit: RECENT_SIGNALS });
    for (const candle of candles) {
      const signal = await sources.store.getSignal(recordId('signal', [sources.pipelineId, series.productId, series.granularity, candle.startMs]));
      if (signal !== undefined) found.push({ productId: signal.productId, candleStartMs: signal.candleStartMs, action: signal.action, confidence: signal.confidence, modelVersion: signal.modelVersion });
    }
  }
  return found.sort((a, b) => b.candleStartMs - a.candleStartMs).slice(0, RECENT_SIGNALS);
}

async function recentRecommendations(store: PipelineStore): Promise<StatusRecommendation[]> {
  const listed = await store.listRecommendations({});
  const recent = [...listed].sort((a, b) => b.createdAtMs - a.createdAtMs).slice(0, RECENT_RECOMMENDATIONS);
  return Promise.all(
    recent.map(async (recommendation) => {
      const status = await store.getWorkStatus('recommendation', recommendation.id);
      const verdicts = await store.listValidations(recommendation.id);
      return {
        id: recommendation.id,
        productId: recommendation.productId,
        side: recommendation.side,
        origin: recommendation.origin.type === 'exit' ? `exit:${recommendation.origin.rule}` : recommendation.origin.type,
        quoteAmount: recommendation.quoteAmount,
        createdAtMs: recommendation.createdAtMs,
        state: (status?.state ?? 'UNKNOWN') as RecommendationState | 'UNKNOWN',
        ...(status?.reason === undefined ? {} : { reason: status.reason }),
        verdicts: verdicts.map((verdict) => ({ validator: verdict.validator, decision: verdict.decision, reasons: verdict.reasons })),
      };
    }),
  );
}

async function positionsWithPnl(store: PipelineStore, prices: StatusSnapshot['prices']): Promise<StatusPosition[]> {
  const products = await store.listProducts();
  const positions: StatusPosition[] = [];
  for (const product of products) {
    const position = await store.getPosition(product.productId);
    if (position === undefined) continue;
    const markPrice = Object.entries(prices).find(([key]) => key.startsWith(`${product.productId}/`))?.[1].at(-1)?.close;
    const sizeBase = toApproxNumber(position.sizeBase);
    const unrealized = markPrice === undefined ? undefined : sizeBase * (markPrice - toApproxNumber(position.averageEntryPrice));
    positions.push({
      productId: position.productId,
      sizeBase: position.sizeBase,
      averageEntryPrice: position.averageEntryPrice,
      ...(markPrice === undefined ? {} : { markPrice }),
      ...(unrealized === undefined ? {} : { unrealizedPnlQuote: unrealized }),
      realizedPnlQuote: toApproxNumber(position.realizedPnlQuote),
    });
  }
  return positions;
}

/**
 * Reads the status page's snapshot from the shared store and the services' health. Read-only: only the
 * store's read methods are called; no configuration, key or connection string is included.
 */
export async function readStatusSnapshot(sources: StatusSources): Promise<StatusSnapshot> {
  const { store } = sources;
  const prices: Record<string, { timeMs: number; close: number }[]> = {};
  for (const series of sources.series) {
    const candles = await store.getCandles({ ...series, asOfMs: sources.nowMs, limit: RECENT_CANDLES });
    prices[`${series.productId}/${series.granularity}`] = candles.map((candle) => ({ timeMs: candle.startMs, close: candle.close }));
  }
  const [health, riskState, candle, signal, recommendation, orders, balances, oldestDeadLetters] = await Promise.all([
    sources.health(),
    store.getRiskState(),
    store.countByState('candle'),
    store.countByState('signal'),
    store.countByState('recommendation'),
    store.listOrders({}),
    store.listBalances(),
    store.listDeadLetters({ limit: OLDEST_DEAD_LETTERS }),
  ]);
  return {
    generatedAtMs: sources.nowMs,
    pipelineId: sources.pipelineId,
    health,
    killSwitch: riskState.killSwitch,
    deadLetters: {
      counts: { candle: candle.DEAD_LETTER ?? 0, signal: signal.DEAD_LETTER ?? 0, recommendation: recommendation.DEAD_LETTER ?? 0 },
      oldest: oldestDeadLetters.map((letter) => ({
        id: letter.id,
        kind: letter.kind,
        ...(letter.reason === undefined ? {} : { reason: letter.reason }),
        ...(letter.fromState === undefined ? {} : { fromState: letter.fromState }),
        ageMs: Math.max(0, sources.nowMs - letter.updatedAtMs),
      })),
      command: DEAD_LETTER_COMMAND,
    },
    funnel: { candle: candle as Record<string, number>, signal: signal as Record<string, number>, recommendation: recommendation as Record<string, number> },
    signals: await recentSignals(sources),
    recommendations: await recentRecommendations(store),
    orders: [...orders]
      .sort((a, b) => b.createdAtMs - a.createdAtMs)
      .slice(0, RECENT_ORDERS)
      .map(({ id, productId, side, status, filledBaseSize, averageFillPrice, totalFees, createdAtMs, statusReason }) => ({ id, productId, side, status, filledBaseSize, averageFillPrice, totalFees, createdAtMs, statusReason })),
    positions: await positionsWithPnl(store, prices),
    balances: balances.map(({ currency, available, hold }) => ({ currency, available, hold })),
    prices,
  };
}
