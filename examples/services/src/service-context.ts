import type { Clock, HealthReport, Logger, PipelineOptions, PipelineStore, TradepipeConfig } from '@tradepipe/core';
import type { ServiceDefinition } from './service-catalog.js';
import type { ServiceSettings } from './service-settings.js';

/** Everything a service's dependencies are built from. */
export interface ServiceContext {
  readonly service: ServiceDefinition;
  readonly config: TradepipeConfig;
  readonly settings: ServiceSettings;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly store: PipelineStore;
  readonly logger: Logger;
  readonly clock: Clock;
  /**
   * Aborts when the service starts to drain (SIGTERM), before the pipeline stops: work with no item to
   * finish (market data ingestion) ends here instead of waiting out `DRAIN_TIMEOUT_MS`.
   */
  readonly draining: AbortSignal;
}

/** A loop a service runs beside its pipeline (product refresh, reconciliation) until `signal` aborts. */
export type BackgroundTask = (signal: AbortSignal) => Promise<void>;

/**
 * A check of one of the service's own dependencies (its LLM server), run on every `/health` and recorded with
 * the store's checks. It must not throw and must end quickly (its own short deadline); `signal` aborts it on stop.
 * It never feeds `/live`: a restart does not bring a dependency back.
 */
export type DependencyHealthCheck = (signal: AbortSignal) => Promise<HealthReport['checks'][number]>;

/** What a service adds to its pipeline, and what it runs and closes beside it. */
export interface ServiceDependencies {
  readonly slots: Partial<Omit<PipelineOptions, 'pipelineId' | 'store' | 'clock' | 'logger' | 'tuning'>>;
  /** Run once before the pipeline starts (e.g. the live executor's clock and balance check). */
  readonly beforeStart?: (signal: AbortSignal) => Promise<void>;
  readonly background?: readonly BackgroundTask[];
  /** Checks of the service's own dependencies, added to its `/health` report. */
  readonly healthChecks?: readonly DependencyHealthCheck[];
  /** Closed after the pipeline stopped (clients, sockets). */
  readonly close?: () => Promise<void>;
}
