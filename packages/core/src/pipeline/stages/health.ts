// Beside the boxes: health. What the store says about the whole pipeline.
import type { SeriesKey } from '../../interfaces.js';
import { ORDER_REASON_SEND_IN_FLIGHT, type HealthReport, type HealthStatus, type Order } from '../../records/execution.js';
import type { PipelineStore } from '../../store.js';
import { GRANULARITIES } from '../../time.js';

type Check = HealthReport['checks'][number];

/** What a health check reads from the store. */
export type HealthStore = Pick<PipelineStore, 'ping' | 'countByState' | 'listOrders' | 'getRiskState' | 'getLatestCandle'>;

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, failing: 2 };

/** How long an order may be UNKNOWN while its send is in flight before health counts it as awaiting reconciliation. */
export const SEND_IN_FLIGHT_GRACE_MS = 2 * 60_000;

/** Whether an UNKNOWN order is only being sent now (recorded so just before its request, not long ago). */
function isSending(order: Order, nowMs: number): boolean {
  return order.statusReason === ORDER_REASON_SEND_IN_FLIGHT && nowMs - order.updatedAtMs < SEND_IN_FLIGHT_GRACE_MS;
}

/**
 * The worst status among health checks (`failing` over `degraded` over `ok`): a report's status.
 * @example
 * worstHealthStatus([{ name: 'store', status: 'ok' }, { name: 'dead_letters', status: 'degraded' }]); // 'degraded'
 */
export function worstHealthStatus(checks: readonly { readonly status: HealthStatus }[]): HealthStatus {
  return checks.reduce<HealthStatus>((worst, check) => (RANK[check.status] > RANK[worst] ? check.status : worst), 'ok');
}

/**
 * Checks the health of a pipeline's shared state, as a service that runs no stage (a health monitor) or
 * `Pipeline.health()` sees it: the store answers, no dead letters (degraded; `DISCARDED` items are not counted), no order in UNKNOWN state
 * (failing: it awaits reconciliation; one whose send has been in flight for less than
 * {@link SEND_IN_FLIGHT_GRACE_MS} is not counted), no open order left unprogressed for 15 minutes (degraded), the kill switch (degraded), crashed workers (failing) and market data
 * freshness (a series whose last candle closed more than two candles ago is degraded).
 * @returns the report; its status is the worst of its checks
 * @example
 * const report = await checkStoreHealth({ service: 'health-monitor', store, nowMs: Date.now(), series: [{ productId: 'BTC-USD', granularity: 'ONE_HOUR' }] });
 */
export async function checkStoreHealth(input: {
  readonly service: string;
  readonly store: HealthStore;
  readonly nowMs: number;
  readonly crashedWorkers?: readonly string[];
  readonly series?: readonly SeriesKey[];
  /** An open order not updated for this long is reported (default 15 minutes). */
  readonly staleOrderMs?: number;
}): Promise<HealthReport> {
  const crashedWorkers = input.crashedWorkers ?? [];
  const { store, nowMs } = input;
  const checks: Check[] = [];
  try {
    await store.ping(AbortSignal.timeout(5_000));
    checks.push({ name: 'store', status: 'ok' });
  } catch (error) {
    checks.push({ name: 'store', status: 'failing', message: error instanceof Error ? error.message : 'unreachable' });
    return report(input.service, checks, nowMs);
  }
  let deadLetters = 0;
  for (const kind of ['candle', 'signal', 'recommendation'] as const) {
    const counts: Partial<Record<string, number>> = await store.countByState(kind);
    deadLetters += counts.DEAD_LETTER ?? 0;
  }
  checks.push({
    name: 'dead_letters',
    status: deadLetters > 0 ? 'degraded' : 'ok',
    value: deadLetters,
    ...(deadLetters > 0 ? { message: 'items failed for good: tradepipe dead-letters list, then requeue or discard each' } : {}),
  });
  const unknownOrders = (await store.listOrders({ statuses: ['UNKNOWN'] })).filter((order) => !isSending(order, nowMs)).length;
  const openOrders = await store.listOrders({ statuses: ['INTENT_RECORDED', 'SUBMITTED', 'ACKNOWLEDGED', 'PARTIALLY_FILLED'] });
  const staleOrders = openOrders.filter((order) => nowMs - order.updatedAtMs > (input.staleOrderMs ?? 15 * 60_000)).length;
  checks.push({
    name: 'stale_orders',
    status: staleOrders > 0 ? 'degraded' : 'ok',
    value: staleOrders,
    ...(staleOrders > 0 ? { message: 'open orders have not progressed; is the fills stage running?' } : {}),
  });
  checks.push({ name: 'unknown_orders', status: unknownOrders > 0 ? 'failing' : 'ok', value: unknownOrders, ...(unknownOrders > 0 ? { message: 'orders await reconciliation' } : {}) });
  const riskState = await store.getRiskState();
  checks.push({ name: 'kill_switch', status: riskState.killSwitch.engaged ? 'degraded' : 'ok', ...(riskState.killSwitch.reason === undefined ? {} : { message: riskState.killSwitch.reason }) });
  checks.push({
    name: 'workers',
    status: crashedWorkers.length > 0 ? 'failing' : 'ok',
    value: crashedWorkers.length,
    ...(crashedWorkers.length > 0 ? { message: `stopped: ${crashedWorkers.join(', ')}` } : {}),
  });
  for (const series of input.series ?? []) {
    const latest = await store.getLatestCandle(series.productId, series.granularity);
    const stepMs = GRANULARITIES[series.granularity];
    const ageMs = latest === undefined ? Number.POSITIVE_INFINITY : nowMs - (latest.startMs + stepMs);
    checks.push({
      name: `market_data:${series.productId}/${series.granularity}`,
      status: ageMs > 2 * stepMs ? 'degraded' : 'ok',
      ...(Number.isFinite(ageMs) ? { value: ageMs } : { message: 'no candles yet' }),
    });
  }
  return report(input.service, checks, nowMs);
}

function report(service: string, checks: Check[], nowMs: number): HealthReport {
  return { service, status: worstHealthStatus(checks), checks, reportedAtMs: nowMs };
}
