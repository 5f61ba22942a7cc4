import { HealthReportSchema, worstHealthStatus, type HealthReport } from '@tradepipe/core';
import { SERVICES, SERVICE_NAMES, type ServiceName } from './service-catalog.js';
import type { TradepipeConfig } from '@tradepipe/core';

/** A service the health monitor polls. */
export interface HealthTarget {
  readonly name: string;
  /** Base URL, e.g. `http://risk-management:8027`. */
  readonly url: string;
}

/**
 * The services to poll: `HEALTH_TARGETS` (`name=url,…`) or, by default, every stage service at its
 * Kubernetes Service name and configured port.
 */
export function healthTargets(config: TradepipeConfig, spec: string | undefined): HealthTarget[] {
  if (spec !== undefined && spec.trim() !== '') {
    return spec
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const [name, url] = entry.split('=');
        return { name: (name ?? '').trim(), url: (url ?? '').trim().replace(/\/$/, '') };
      });
  }
  return SERVICE_NAMES.filter((name: ServiceName) => name !== 'health-monitor').map((name) => ({ name, url: `http://${name}:${config.ports[SERVICES[name].portKey]}` }));
}

async function pollTarget(target: HealthTarget, timeoutMs: number, signal: AbortSignal): Promise<HealthReport['checks'][number]> {
  const name = `service:${target.name}`;
  try {
    const response = await fetch(`${target.url}/health`, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    const parsed = HealthReportSchema.safeParse(await response.json());
    if (!parsed.success) return { name, status: 'failing', message: `unreadable /health (HTTP ${response.status})` };
    const worst = parsed.data.checks.filter((check) => check.status !== 'ok').map((check) => `${check.name}=${check.status}`);
    return { name, status: parsed.data.status, ...(worst.length > 0 ? { message: worst.join(', ').slice(0, 1000) } : {}) };
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'unreachable';
    return { name, status: 'failing', message: reason };
  }
}

/**
 * One report for the deployment: the shared store's checks (`pipeline.health()`: dead letters, UNKNOWN
 * orders, kill switch, market data freshness) plus one check per service from its `/health`. Its status is
 * the worst of all.
 */
export async function aggregateHealth(input: {
  readonly own: HealthReport;
  readonly targets: readonly HealthTarget[];
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly nowMs: number;
}): Promise<HealthReport> {
  const services = await Promise.all(input.targets.map((target) => pollTarget(target, input.timeoutMs, input.signal)));
  const checks = [...input.own.checks, ...services];
  return { service: input.own.service, status: worstHealthStatus(checks), checks, reportedAtMs: input.nowMs };
}
