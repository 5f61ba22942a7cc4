import { checkStoreHealth, createPipeline, loadConfig, redactConfig, systemClock, worstHealthStatus, type Clock, type HealthReport, type Logger, type Pipeline, type PipelineStore } from '@tradepipe/core';
import { buildDependencies } from './dependencies/index.js';
import { readServiceClock } from './dev-clock.js';
import { aggregateHealth, healthTargets } from './health-monitor.js';
import { startHttpServer, type ServiceHttpServer } from './http-server.js';
import { createServiceLogger } from './logging.js';
import { createServiceMetrics } from './metrics.js';
import { openStore } from './open-store.js';
import { readPackageOptions } from './package-options.js';
import type { ServiceDefinition } from './service-catalog.js';
import type { ServiceContext, ServiceDependencies } from './service-context.js';
import { readServiceSettings } from './service-settings.js';
import { renderStatusPage } from './status-page/status-html.js';
import { readStatusSnapshot } from './status-page/status-snapshot.js';

/** A started service. */
export interface RunningService {
  readonly port: number;
  /** The service's pipeline; the health monitor runs none. */
  readonly pipeline: Pipeline | undefined;
  /** Drains the pipeline (`DRAIN_TIMEOUT_MS`), stops background loops, closes clients, the store and the server. */
  stop(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Options of {@link startService}: what a caller running several services in one process shares between them. */
export interface StartServiceOptions {
  /** Default: JSON lines on stdout at `LOG_LEVEL`. */
  readonly logger?: Logger;
  /** An open store to use instead of opening one from the database settings; the service does not close it. */
  readonly store?: PipelineStore;
  /** Default: the environment's (`readServiceClock`: the system clock, or the `DEV_CLOCK_*` dev clock). */
  readonly clock?: Clock;
}

/**
 * Starts one service: config (paper by default; `loadConfig` refuses live mode without the confirmation),
 * clock, store (migrated, on the same clock), the service's stage slots, the pipeline, metrics and the HTTP
 * server, then the workers.
 * @throws TradepipeError `live_trading_not_enabled`, `config_invalid`, `storage_unavailable`, `pipeline_invalid`, `model_mismatch`
 */
export async function startService(service: ServiceDefinition, env: Env, options: StartServiceOptions = {}): Promise<RunningService> {
  // Live mode needs the approval material only where approvals are signed (risk) or verified (execution, fills): the
  // others are not given it.
  const config = loadConfig(env, { requireApprovalSecret: service.stage === 'risk' || service.stage === 'execution' || service.stage === 'fills' });
  const settings = readServiceSettings(env);
  const clock = options.clock ?? readServiceClock(env);
  const log = options.logger ?? createServiceLogger(service.name, config.logLevel);
  log.info('service starting', { stage: service.stage ?? 'none', config: redactConfig(config) });
  // On the system clock the store keeps reading the database's clock (one time source for every host).
  const store = options.store ?? (await openStore({ config, env, service: service.name, logger: log, ...(clock === systemClock ? {} : { clock }) }));
  const closers: (() => Promise<void>)[] = options.store === undefined ? [() => store.close()] : [];
  const draining = new AbortController();
  try {
    return await assemble({ service, config, settings, env, store, logger: log, clock, draining: draining.signal }, closers, draining);
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

async function assemble(context: ServiceContext, closers: (() => Promise<void>)[], draining: AbortController): Promise<RunningService> {
  const { service, config, settings, store, logger } = context;
  const dependencies: ServiceDependencies = await buildDependencies(context);
  if (dependencies.close !== undefined) closers.unshift(dependencies.close);
  const pipeline =
    service.stage === undefined
      ? undefined
      : createPipeline({
          pipelineId: config.pipelineId,
          store,
          ...dependencies.slots,
          stages: [service.stage],
          clock: context.clock,
          logger,
          tuning: readPackageOptions('pipeline', context.env),
        });
  const metrics = createServiceMetrics({ service: service.name, stage: service.stage, store, pipeline });
  const lifecycle = { started: false, stopping: false };
  // A stopped worker is what a restart fixes: the liveness probe's answer (see `/live`).
  const stoppedStages = new Set<string>();
  pipeline?.on('worker:failed', ({ stage }) => void stoppedStages.add(stage));
  const background = new AbortController();
  const targets = service.stage === undefined ? healthTargets(config, settings.healthTargets) : [];
  const series = config.products.map((productId) => ({ productId, granularity: config.granularity }));
  // The service's own dependencies (Ollama) beside the store's checks: on /health and in the recorded report, never on /live.
  const dependencyChecks = async (): Promise<HealthReport['checks']> => Promise.all((dependencies.healthChecks ?? []).map((check) => check(background.signal)));
  const health = async (): Promise<HealthReport> => {
    if (pipeline !== undefined) return pipeline.health(service.name, { extraChecks: await dependencyChecks() });
    const storeReport = await checkStoreHealth({ service: service.name, store, nowMs: context.clock.nowMs(), series });
    const ownChecks = [...storeReport.checks, ...(await dependencyChecks())];
    const own: HealthReport = { ...storeReport, status: worstHealthStatus(ownChecks), checks: ownChecks };
    await store.recordHealth(own).catch((error: unknown) => logger.warn('could not record health', { error }));
    return aggregateHealth({ own, targets, timeoutMs: settings.healthCheckTimeoutMs, signal: background.signal, nowMs: context.clock.nowMs() });
  };
  const server: ServiceHttpServer = await startHttpServer({
    port: config.ports[service.portKey],
    host: settings.httpHost,
    logger,
    handlers: {
      health,
      ready: () => readiness(lifecycle, store),
      live: () => (stoppedStages.size === 0 ? { live: true } : { live: false, reason: `stopped workers: ${[...stoppedStages].join(', ')}` }),
      metrics: () => metrics.render(),
      ...(service.stage === undefined
        ? { status: { page: () => renderStatusPage({ refreshMs: 2_000 }), snapshot: () => readStatusSnapshot({ store, pipelineId: config.pipelineId, series, health, nowMs: context.clock.nowMs() }) } }
        : {}),
    },
  });
  closers.push(() => server.close());
  await dependencies.beforeStart?.(background.signal);
  await pipeline?.start();
  const loops = (dependencies.background ?? []).map((task) =>
    task(background.signal).catch((error: unknown) => logger.error('background task stopped', { error })),
  );
  lifecycle.started = true;
  logger.info('service started', { port: server.port, stages: pipeline?.stages.join(',') ?? 'none' });
  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    lifecycle.stopping = true;
    logger.info('service stopping', { drainTimeoutMs: settings.drainTimeoutMs });
    draining.abort();
    await pipeline?.stop({ drainTimeoutMs: settings.drainTimeoutMs });
    background.abort();
    await Promise.all(loops);
    for (const close of closers) await close().catch((error: unknown) => logger.warn('close failed', { error }));
    logger.info('service stopped', {});
  };
  return { port: server.port, pipeline, stop: () => (stopped ??= stop()) };
}

async function readiness(lifecycle: { started: boolean; stopping: boolean }, store: PipelineStore): Promise<{ ready: boolean; reason?: string }> {
  if (lifecycle.stopping) return { ready: false, reason: 'draining' };
  if (!lifecycle.started) return { ready: false, reason: 'starting' };
  try {
    await store.ping(AbortSignal.timeout(2_000));
    return { ready: true };
  } catch {
    return { ready: false, reason: 'store unreachable' };
  }
}
