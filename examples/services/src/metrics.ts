import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Pipeline, PipelineStore, StageName } from '@tradepipe/core';

const WORK_KINDS = ['candle', 'signal', 'recommendation'] as const;

/** The service's Prometheus registry and the counters fed from pipeline events. */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** Prometheus text of every metric. */
  render(): Promise<{ readonly contentType: string; readonly body: string }>;
}

/**
 * Creates the service's metrics: process defaults, items processed / failed / retried / dead-lettered per
 * stage (from pipeline events), recommendations finished by state, worker crashes, and the queue depth by
 * kind and state (read from the store at scrape time).
 * @param stage the stage this process runs (labels `order:updated`, which execution and fills both emit)
 */
export function createServiceMetrics(options: { readonly service: string; readonly stage: StageName | undefined; readonly store: PipelineStore; readonly pipeline: Pipeline | undefined }): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  // prom-client's default names already start with `process_` or `nodejs_`: the prefix makes them `tradepipe_process_cpu_…`, `tradepipe_nodejs_heap_…`.
  collectDefaultMetrics({ register: registry, prefix: 'tradepipe_' });
  const processed = new Counter({ name: 'tradepipe_items_processed_total', help: 'Work items a stage finished (a record written)', labelNames: ['stage'], registers: [registry] });
  const failed = new Counter({ name: 'tradepipe_items_failed_total', help: 'Work item failures: retried, dead-lettered or ended FAILED', labelNames: ['stage'], registers: [registry] });
  const retried = new Counter({ name: 'tradepipe_items_retried_total', help: 'Work items scheduled for a retry after a failure', labelNames: ['stage'], registers: [registry] });
  const deadLettered = new Counter({ name: 'tradepipe_items_dead_lettered_total', help: 'Work items moved to DEAD_LETTER', labelNames: ['stage'], registers: [registry] });
  const finished = new Counter({ name: 'tradepipe_recommendations_finished_total', help: 'Recommendations reaching a terminal state', labelNames: ['state'], registers: [registry] });
  const workerFailures = new Counter({ name: 'tradepipe_worker_failures_total', help: 'Stage workers that stopped', labelNames: ['stage'], registers: [registry] });
  for (const stage of options.stage === undefined ? [] : [options.stage]) {
    for (const counter of [processed, failed, retried, deadLettered, workerFailures]) counter.inc({ stage }, 0);
  }
  new Gauge({
    name: 'tradepipe_queue_depth',
    help: 'Work items by kind and state in the shared store',
    labelNames: ['kind', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const kind of WORK_KINDS) {
        const counts: Partial<Record<string, number>> = await options.store.countByState(kind);
        for (const [state, count] of Object.entries(counts)) this.set({ kind, state }, count ?? 0);
      }
    },
  });
  const pipeline = options.pipeline;
  if (pipeline !== undefined) {
    pipeline.on('candle:processed', () => processed.inc({ stage: 'signal' }));
    pipeline.on('recommendation:created', ({ recommendation }) => processed.inc({ stage: recommendation.origin.type === 'exit' ? 'signal' : 'bridge' }));
    pipeline.on('recommendation:validated', () => processed.inc({ stage: 'validation' }));
    pipeline.on('recommendation:assessed', () => processed.inc({ stage: 'risk' }));
    pipeline.on('order:updated', () => processed.inc({ stage: options.stage ?? 'execution' }));
    pipeline.on('item:retried', ({ stage }) => {
      retried.inc({ stage });
      failed.inc({ stage });
    });
    pipeline.on('item:deadLettered', ({ stage }) => {
      deadLettered.inc({ stage });
      failed.inc({ stage });
    });
    pipeline.on('recommendation:finished', ({ state }) => {
      finished.inc({ state });
      if (state === 'FAILED') failed.inc({ stage: options.stage ?? 'execution' });
    });
    pipeline.on('worker:failed', ({ stage }) => workerFailures.inc({ stage }));
  }
  return {
    registry,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
