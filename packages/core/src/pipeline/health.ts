import type { SeriesKey } from '../interfaces.js';
import type { HealthReport, HealthStatus } from '../records/execution.js';
import type { PipelineStore } from '../store.js';
import { GRANULARITIES } from '../time.js';

type Check = HealthReport['checks'][number];

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, failing: 2 };

/**
 * Gathers a health report: store reachable, dead letters, orders in UNKNOWN state, kill switch, crashed
 * workers and market data freshness (a series whose last candle closed more than two candles ago is stale).
 * @internal
 */
export async function collectHealth(input: {
  service: string;
  store: PipelineStore;
  nowMs: number;
  crashedWorkers: readonly string[];
  series: readonly SeriesKey[];
}): Promise<HealthReport> {
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
  checks.push({ name: 'dead_letters', status: deadLetters > 0 ? 'degraded' : 'ok', value: deadLetters });
  const unknownOrders = (await store.listOrders({ statuses: ['UNKNOWN'] })).length;
  checks.push({ name: 'unknown_orders', status: unknownOrders > 0 ? 'failing' : 'ok', value: unknownOrders, ...(unknownOrders > 0 ? { message: 'orders await reconciliation' } : {}) });
  const riskState = await store.getRiskState();
  checks.push({ name: 'kill_switch', status: riskState.killSwitch.engaged ? 'degraded' : 'ok', ...(riskState.killSwitch.reason === undefined ? {} : { message: riskState.killSwitch.reason }) });
  checks.push({
    name: 'workers',
    status: input.crashedWorkers.length > 0 ? 'failing' : 'ok',
    value: input.crashedWorkers.length,
    ...(input.crashedWorkers.length > 0 ? { message: `stopped: ${input.crashedWorkers.join(', ')}` } : {}),
  });
  for (const series of input.series) {
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
  const status = checks.reduce<HealthStatus>((worst, check) => (RANK[check.status] > RANK[worst] ? check.status : worst), 'ok');
  return { service, status, checks, reportedAtMs: nowMs };
}
