import { TradepipeError, toTradepipeError } from '../errors.js';
import type { StageContext } from '../interfaces.js';
import type { HealthReport, Order } from '../records/execution.js';
import type { PipelineStore } from '../store.js';
import type { PipelineEvents, PipelineListener } from './events.js';
import type { PipelineOptions, StageName } from './options.js';
import type { PlannedStage } from './runner.js';
import { runClaim } from './runner.js';
import { createRuntime, type PipelineRuntime } from './runtime.js';
import { validateSlots } from './slots.js';
import { registerReplayAccess } from './replay-access.js';
import { checkPlugins, planStages } from './stage-plan.js';
import { FeatureEngines } from './stages/feature-engines.js';
import { checkStoreHealth, worstHealthStatus } from './stages/health.js';
import { builtInStages } from './stages/index.js';
import { runIngest } from './stages/market-data.js';
import { createOrderReconciler, type OrderReconciler } from './stages/order-reconciler.js';
import { HandOns } from './hand-on.js';
import { claimFor, runWorkerLoop } from './worker-loop.js';

/** How far the pipeline's clock and its store's may disagree (a database clock drifts a little). */
const CLOCK_TOLERANCE_MS = 5 * 60_000;

/**
 * A tradepipe pipeline: the declared stages (`stages/`) run by one runner over one store. Each stage claims
 * items in the state it handles, runs, and writes the next record and state in one completion. Embedded,
 * every stage runs in one process (`runUntilIdle` for replays and tests, `start`/`stop` for live runs);
 * deployed, each service runs the stages named in `options.stages` against a shared database. Running the
 * fills stage, it also sweeps orders no stage follows (the order reconciler).
 * @example
 * const pipeline = createPipeline({ pipelineId: 'demo', store, features, model, validator, risk, executor });
 * await pipeline.runUntilIdle();
 */
export class Pipeline {
  /** The built-in stages this process runs. */
  readonly stages: readonly StageName[];
  private readonly runtime: PipelineRuntime;
  private readonly planned: readonly PlannedStage[];
  private readonly engines: FeatureEngines | undefined;
  private readonly reconciler: OrderReconciler | undefined;
  private abortController = new AbortController();
  /** Aborted when `stop` begins: loops that only wait (the reconciler's schedule) end at once. */
  private stopController = new AbortController();
  private running: Promise<void>[] = [];
  /** Whether a batched replay's store view stands in for the store (see replay-access.ts). */
  private swappedStore = false;
  private stopping = false;
  private readonly crashedWorkers = new Set<string>();
  private prepared: Promise<void> | undefined;

  /** @throws TradepipeError `pipeline_invalid`; see {@link createPipeline}. */
  constructor(private readonly options: PipelineOptions) {
    this.stages = validateSlots(options);
    checkPlugins(options);
    this.runtime = createRuntime(options);
    const { tuning } = this.runtime;
    for (const plugin of options.plugins ?? []) {
      for (const [event, listener] of Object.entries(plugin.listeners ?? {})) {
        this.runtime.bus.on(event as keyof PipelineEvents, listener as PipelineListener<keyof PipelineEvents>);
      }
    }
    this.engines = options.features && this.stages.includes('signal') ? new FeatureEngines(options.features, { pipelineId: options.pipelineId, ...tuning }) : undefined;
    this.reconciler =
      options.executor && this.stages.includes('fills')
        ? createOrderReconciler({
            executor: options.executor,
            pollIntervalMs: tuning.orderPollIntervalMs,
            baseBackoffMs: tuning.baseBackoffMs,
            maxBackoffMs: tuning.maxBackoffMs,
            sweepIntervalMs: tuning.reconcileIntervalMs,
            onSettled: ({ recommendation, state, reason }) => this.runtime.bus.emit('recommendation:finished', { recommendation, state, reason }),
          })
        : undefined;
    const running = builtInStages(this.runtime, { engines: this.engines, reconciler: this.reconciler }).filter((stage) => this.stages.includes(stage.name as StageName));
    this.planned = planStages(running, options.plugins ?? []);
    // Hook for the replays (replay-access.ts): the batched replay feeds the engines and runs the bridge's rule itself.
    registerReplayAccess(this, {
      runtime: this.runtime,
      engines: this.engines,
      context: () => this.context(),
      prepare: () => this.prepare(),
      assertIdle: () => this.assertIdle(),
      useStore: (store) => {
        this.assertIdle();
        const options = this.runtime.options as { store: PipelineStore };
        const previous = options.store;
        options.store = store;
        this.swappedStore = true;
        return () => {
          if (options.store === store) options.store = previous;
          this.swappedStore = false;
        };
      },
    });
  }

  /**
   * Refuses a batched replay's store view while worker loops or the reconciler run (they hold the store they
   * started with) or while another batched replay's view stands in: the view assumes every write goes through it.
   */
  private assertIdle(): void {
    if (this.running.length > 0) throw new TradepipeError('pipeline_invalid', 'The batched replay needs a pipeline that is not started');
    if (this.swappedStore) throw new TradepipeError('pipeline_invalid', 'A batched replay of this pipeline is already running');
  }

  /**
   * Subscribes to a pipeline event; returns a function that unsubscribes. Listeners run after the event's
   * record is persisted; a listener that throws is isolated.
   */
  on<E extends keyof PipelineEvents>(event: E, listener: PipelineListener<E>): () => void {
    return this.runtime.bus.on(event, listener);
  }

  private context(signal = this.abortController.signal): StageContext {
    return { pipelineId: this.options.pipelineId, clock: this.runtime.clock, logger: this.runtime.logger, signal, store: this.runtime.options.store };
  }

  /**
   * Runs every stage of this process until no stage can claim anything (items waiting on a backoff or a
   * poll delay count as idle), sweeping due orders with the reconciler. For replays, backtests and tests. A stage
   * found empty is asked again only after an earlier stage made progress, the reconciler moved orders or the
   * clock moved.
   * @returns the number of items processed.
   */
  async runUntilIdle(options: { maxPasses?: number } = {}): Promise<number> {
    await this.prepare();
    let processed = 0;
    // Work flows down the path: a stage gets items only from the stages before it (or from the reconciler). A
    // stage found empty is claimed from again only once an earlier stage made progress, the reconciler moved
    // orders, or the clock moved (a delayed item may have come due). On a manual clock (replays) the pass that
    // proves idleness then costs no claims; on a running clock every stage is claimed from as before.
    const emptySinceMs = new Map<PlannedStage, number>();
    for (let pass = 0; pass < (options.maxPasses ?? 10_000); pass += 1) {
      let progressed = 0;
      for (const planned of this.planned) {
        const startedAtMs = this.runtime.clock.nowMs();
        if (progressed === 0 && emptySinceMs.get(planned) === startedAtMs) continue;
        progressed += await this.drain(planned);
        emptySinceMs.set(planned, startedAtMs);
      }
      if (this.reconciler !== undefined) {
        const swept = this.reportOrders(await this.reconciler.sweepIfDue(this.context()));
        if (swept > 0) emptySinceMs.clear();
        progressed += swept;
      }
      processed += progressed;
      if (progressed === 0) break;
    }
    // Feature checkpoints follow `checkpointEveryCandles` (the signal stage); `stop()` and the replays save the rest.
    return processed;
  }

  private async drain(planned: PlannedStage): Promise<number> {
    let processed = 0;
    for (;;) {
      const claims = await claimFor(planned, this.runtime, `${this.options.pipelineId}-idle`, this.runtime.tuning.claimBatchSize);
      if (claims.length === 0) return processed;
      await Promise.all(claims.map((claim) => runClaim(planned, claim, this.runtime, this.abortController.signal)));
      processed += claims.length;
    }
  }

  private reportOrders(orders: readonly Order[]): number {
    for (const order of orders) this.runtime.bus.emit('order:updated', { order });
    return orders.length;
  }

  /**
   * Once, before the first work: checks that the pipeline and the store read the same time (a replay that gives
   * a manual clock to one of them only would expire or never trade everything), then starts the executor
   * (clock-skew check, balance reconciliation) when this process runs execution.
   */
  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      const storeNowMs = await this.options.store.nowMs();
      const driftMs = Math.abs(storeNowMs - this.runtime.clock.nowMs());
      if (driftMs > CLOCK_TOLERANCE_MS) {
        this.prepared = undefined;
        throw new TradepipeError('pipeline_invalid', 'The pipeline and its store read different times: give both the same clock', {
          details: { driftMs, storeNowMs, pipelineNowMs: this.runtime.clock.nowMs() },
        });
      }
      const executor = this.options.executor;
      if (executor?.start !== undefined && (this.stages.includes('execution') || this.stages.includes('fills'))) await executor.start(this.context());
    })();
    return this.prepared;
  }

  /** Starts every stage's worker loop, the order reconciler's sweep and market data ingestion, as configured. Resolves once started. */
  async start(): Promise<void> {
    if (this.running.length > 0) throw new TradepipeError('pipeline_invalid', 'The pipeline is already running');
    if (this.swappedStore) throw new TradepipeError('pipeline_invalid', 'A batched replay of this pipeline is running');
    this.stopping = false;
    this.abortController = new AbortController();
    this.stopController = new AbortController();
    await this.prepare();
    const signal = this.abortController.signal;
    // This run's hand-ons: each unordered stage's loop receives the items completed into its state.
    const handOns = new HandOns();
    for (const planned of this.planned) {
      const stopSignal = this.stopController.signal;
      this.running.push(this.guard(planned.stage.name, () => runWorkerLoop({ planned, runtime: this.runtime, signal, stopSignal, isStopping: () => this.stopping, handOns })));
    }
    const reconciler = this.reconciler;
    if (reconciler !== undefined) this.running.push(this.guard('reconciler', () => reconciler.run(this.context(signal), (orders) => void this.reportOrders(orders), this.stopController.signal)));
    const marketData = this.options.marketData;
    // Ingestion only waits for candles: it ends as soon as stop() begins (a candle being stored is stored first).
    if (this.stages.includes('ingest') && marketData !== undefined) this.running.push(this.guard('ingest', () => runIngest(marketData, this.context(this.stopController.signal))));
  }

  /**
   * Stops claiming, lets in-flight items finish for up to `drainTimeoutMs`, then aborts the rest (an aborted
   * item is released untouched, except that an order intent once recorded stays, to be reconciled) and
   * saves feature checkpoints.
   */
  async stop(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    this.stopping = true;
    this.stopController.abort(new TradepipeError('aborted', 'The pipeline is stopping'));
    const drained = Promise.all(this.running);
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, options.drainTimeoutMs ?? 10_000).unref());
    await Promise.race([drained, timeout]);
    this.abortController.abort(new TradepipeError('aborted', 'The pipeline is stopping'));
    await drained;
    this.running = [];
    await this.engines?.checkpointAll(this.options.store, this.runtime.clock.nowMs());
  }

  private async guard(stage: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (this.stopping || this.abortController.signal.aborted) return;
      const failure = toTradepipeError(error);
      this.crashedWorkers.add(stage);
      this.runtime.logger.error('pipeline worker stopped', { stage, error: failure });
      this.runtime.bus.emit('worker:failed', { stage, error: { code: failure.code, message: failure.message } });
    }
  }

  /**
   * Checks this pipeline's health: the store answers, no dead letters, no order in UNKNOWN state, the kill
   * switch, workers alive, market data fresh, plus `options.extraChecks` (a service's own dependencies, e.g.
   * its LLM server). Records the report in the store; its status is the worst of all checks.
   */
  async health(service = this.options.pipelineId, options: { readonly extraChecks?: readonly HealthReport['checks'][number][] } = {}): Promise<HealthReport> {
    const storeReport = await checkStoreHealth({
      service,
      store: this.options.store,
      nowMs: this.runtime.clock.nowMs(),
      crashedWorkers: [...this.crashedWorkers],
      series: this.options.marketData?.series ?? [],
    });
    const checks = [...storeReport.checks, ...(options.extraChecks ?? [])];
    const report: HealthReport = { ...storeReport, status: worstHealthStatus(checks), checks };
    await this.options.store.recordHealth(report).catch((error: unknown) => this.runtime.logger.warn('could not record health', { error }));
    return report;
  }
}

/**
 * Builds a {@link Pipeline}, checking its slots against the stages it will run and its plugins against the
 * documented rules (unique validator and stage names, wrappers naming a stage, plugin stages reachable, one
 * stage per state).
 * @throws TradepipeError `pipeline_invalid` naming a missing slot, a model/feature-set mismatch or a broken plugin rule.
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  return new Pipeline(options);
}
