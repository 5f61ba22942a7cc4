// What `tradepipe dev` prints while it runs: read from the health monitor's /status.json (the same data the status
// page shows), so it reads the same whether the services run in this process or as processes.
import { z } from 'zod';
import { TERMINAL_ORDER_STATUSES, TERMINAL_RECOMMENDATION_STATES, parseWith, toApproxNumber, type DecimalString } from '@tradepipe/core';

const text = z.string();
/** The part of the status page's snapshot the terminal shows. */
export const DevSnapshotSchema = z.object({
  generatedAtMs: z.number(),
  health: z.object({ status: text }),
  funnel: z.record(text, z.record(text, z.number())),
  signals: z.array(z.object({ productId: text, candleStartMs: z.number(), action: text, confidence: z.number() })),
  recommendations: z.array(
    z.object({
      id: text,
      productId: text,
      side: text,
      origin: text,
      quoteAmount: text.optional(),
      createdAtMs: z.number(),
      state: text,
      reason: text.optional(),
      verdicts: z.array(z.object({ validator: text, decision: text, reasons: z.array(text) })),
    }),
  ),
  orders: z.array(
    z.object({ id: text, productId: text, side: text, status: text, filledBaseSize: text.nullish(), averageFillPrice: text.nullish(), totalFees: text.nullish(), createdAtMs: z.number(), statusReason: text.nullish() }),
  ),
  balances: z.array(z.object({ currency: text, available: text, hold: text })),
});

/** The status snapshot, as far as the terminal reads it. */
export type DevSnapshot = z.infer<typeof DevSnapshotSchema>;

/** One line of what happened: a signal, a recommendation that ended, an order that ended. */
export interface DevEvent {
  readonly kind: 'signal' | 'recommendation' | 'order';
  /** Simulated time of the snapshot that showed it. */
  readonly atMs: number;
  readonly text: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Reads the snapshot from the health monitor. @throws on any failure (the caller polls again) */
export async function fetchSnapshot(port: number, signal: AbortSignal): Promise<DevSnapshot> {
  const response = await fetch(`http://127.0.0.1:${port}/status.json`, { signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]) });
  if (response.status !== 200) throw new Error(`status.json answered ${response.status}`);
  return parseWith(DevSnapshotSchema, await response.json(), 'status snapshot');
}

const DAY_MS = 86_400_000;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function verdictText(recommendation: DevSnapshot['recommendations'][number]): string {
  const verdicts = recommendation.verdicts.map((verdict) => `${verdict.validator} ${verdict.decision}`).join(', ');
  // A rule validator's reason lists every rule; the failed ones say why.
  const reason = recommendation.reason === undefined ? '' : `: ${recommendation.reason.split('\n')[0]!.split('; ').filter((part) => !part.startsWith('pass:')).join('; ').slice(0, 200)}`;
  return `${recommendation.state}${reason}${verdicts === '' ? '' : ` (${verdicts})`}`;
}

/**
 * Turns successive snapshots into events, each once: new signals (every candle: the heartbeat of the replay) on
 * candles that closed at or after `signalsFromMs` (earlier ones are the backfill's), recommendations that reached
 * a terminal state, orders that ended.
 */
export function createEventTracker(options: { readonly signalsFromMs: number }): { next(snapshot: DevSnapshot): DevEvent[] } {
  const seen = new Set<string>();
  const once = (key: string): boolean => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  return {
    next(snapshot) {
      const atMs = snapshot.generatedAtMs;
      const events: DevEvent[] = [];
      for (const signal of [...snapshot.signals].reverse()) {
        if (signal.candleStartMs + DAY_MS < options.signalsFromMs || !once(`signal:${signal.productId}:${signal.candleStartMs}`)) continue;
        events.push({ kind: 'signal', atMs, text: `candle ${day(signal.candleStartMs)} ${signal.productId}: signal ${signal.action} (confidence ${signal.confidence.toFixed(2)})`, data: signal });
      }
      for (const recommendation of [...snapshot.recommendations].reverse()) {
        if (!TERMINAL_RECOMMENDATION_STATES.includes(recommendation.state as never) || !once(`recommendation:${recommendation.id}`)) continue;
        const amount = recommendation.side === 'BUY' && recommendation.quoteAmount !== undefined ? ` $${recommendation.quoteAmount}` : '';
        events.push({ kind: 'recommendation', atMs, text: `  recommendation ${recommendation.side}${amount} (${recommendation.origin}) → ${verdictText(recommendation)}`, data: recommendation });
      }
      for (const order of [...snapshot.orders].reverse()) {
        if (!TERMINAL_ORDER_STATUSES.includes(order.status as never) || !once(`order:${order.id}`)) continue;
        const fees = toApproxNumber((order.totalFees ?? '0') as DecimalString).toFixed(2);
        const fill = order.status === 'EXECUTED' ? `: ${order.filledBaseSize ?? '?'} ${order.productId.split('-')[0]} at ${order.averageFillPrice ?? '?'}, fees $${fees}` : order.statusReason == null ? '' : `: ${order.statusReason}`;
        events.push({ kind: 'order', atMs, text: `  order ${order.side} ${order.status}${fill}`, data: order });
      }
      return events;
    },
  };
}

/** One-line summary of the funnel and the balances, for the end of a run. */
export function summarize(snapshot: DevSnapshot): string {
  const total = (kind: string): number => Object.values(snapshot.funnel[kind] ?? {}).reduce((sum, count) => sum + count, 0);
  const recommendations = Object.entries(snapshot.funnel.recommendation ?? {})
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `${count} ${state}`)
    .join(', ');
  const usd = snapshot.balances.find((balance) => balance.currency === 'USD');
  const cash = usd === undefined ? '' : `; USD ${toApproxNumber(usd.available as DecimalString).toFixed(2)} available`;
  return `${total('candle')} candles, ${total('signal')} signals, recommendations: ${recommendations === '' ? 'none' : recommendations}${cash}`;
}
