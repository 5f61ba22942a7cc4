import { TradepipeError, toTradepipeError } from '../errors.js';
import type { StageContext } from '../interfaces.js';
import { childLogger, silentLogger, type Logger } from '../logger.js';
import { parseWith } from '../parse.js';
import type { HealthReport } from '../records/execution.js';
import { createDefaultRecommendationPolicy } from '../recommendation-policy.js';
import type { Claim, RecordWrite, WorkKind, WorkStates } from '../store.js';
import { systemClock } from '../time.js';
import { PipelineEventBus, type PipelineEvents, type PipelineListener } from './events.js';
import { checkStoreHealth } from './health.js';
import { runIngest } from './ingest.js';
import { PipelineTuningSchema, type PipelineOptions, type StageName } from './options.js';
import { backoffMs, type PipelineRuntime } from './runtime.js';
import { SignalStage } from './signal-stage.js';
import {
  ValidatorRetry,
  processExecution,
  processFills,
  processRisk,
  processSignal,
  processValidation,
  retriesExhaustedWrites,
} from './trade-stages.js';
import { validateSlots } from './slots.js';
import { registerReplayAccess } from './replay-access.js';

type WorkerStage = Exclude<StageName, 'ingest'>;

/** How far the pipeline's clock and its store's may disagree (a database clock drifts a little). */
const CLOCK_TOLERANCE_MS = 5 * 60_000;

interface WorkerSpec {
  readonly kind: WorkKind;
  readonly state: string;
  readonly ordered: boolean;
  /** Where an item goes when retries run out. */
  readonly exhaustedState: string;
  /** Where an item goes after a permanent failure. */
  readonly permanentState: string;
  readonly process: (claim: Claim, context: StageContext) => Promise<void>;
}

/**
 * A tradepipe pipeline: the stages as workers over one store. Each worker claims items in the state it
 * handles, does its work and writes the next record and state in one completion. Embedded, every stage runs
 * in one process (`runUntilIdle` for replays and tests, `start`/`stop` for live runs); deployed, each service
 * runs the stages named in `options.stages` against a shared database.
 * @example
 * const pipeline = createPipeline({ pipelineId: 'demo', store, features, model, validator, risk, executor });
 * await pipeline.runUntilIdle();
 */
export class Pipeline {
  /** The stages this process runs. */
  readonly stages: readonly StageName[];
  private readonly runtime: PipelineRuntime;
  private readonly workers = new Map<WorkerStage, WorkerSpec>();
  private readonly signalStage: SignalStage | undefined;
  private abortController = new AbortController();
  private running: Promise<void>[] = [];
  private stopping = false;
  private readonly crashedWorkers = new Set<string>();
  private prepared: Promise<void> | undefined;

  constructor(private readonly options: PipelineOptions) {
    this.stages = validateSlots(options);
    const logger: Logger = childLogger(options.logger ?? silentLogger, { pipelineId: options.pipelineId });
    const validators = [...(options.validator === undefined ? [] : [options.validator]), ...(options.plugins ?? []).flatMap((plugin) => plugin.validators ?? [])];
    this.runtime = {
      options,
      tuning: parseWith(PipelineTuningSchema, options.tuning ?? {}, 'pipeline tuning'),
      clock: options.clock ?? systemClock,
      logger,
      bus: new PipelineEventBus(logger),
      policy: options.policy ?? createDefaultRecommendationPolicy(),
      validators,
      random: options.random ?? Math.random,
    };
    for (const plugin of options.plugins ?? []) {
      for (const [event, listener] of Object.entries(plugin.listeners ?? {})) {
        this.runtime.bus.on(event as keyof PipelineEvents, listener as PipelineListener<keyof PipelineEvents>);
      }
    }
    this.signalStage = options.features === undefined ? undefined : new SignalStage(this.runtime, options.features);
    this.defineWorkers();
    // Hook for the replays (replay-access.ts): the batched replay drives the signal stage and the bridge's code itself.
    registerReplayAccess(this, { runtime: this.runtime, signalStage: this.signalStage, context: () => this.context(), prepare: () => this.prepare() });
  }

  private defineWorkers(): void {
    const runtime = this.runtime;
    const specs: Record<WorkerStage, WorkerSpec | undefined> = {
      signal: this.signalStage && {
        kind: 'candle', state: 'PENDING', ordered: true, exhaustedState: 'DEAD_LETTER', permanentState: 'DEAD_LETTER',
        process: (claim, context) => this.signalStage!.process(claim as Claim<'candle'>, context),
      },
      bridge: {
        kind: 'signal', state: 'PENDING', ordered: true, exhaustedState: 'DEAD_LETTER', permanentState: 'DEAD_LETTER',
        process: (claim, context) => processSignal(runtime, claim as Claim<'signal'>, context),
      },
      validation: {
        kind: 'recommendation', state: 'PENDING_VALIDATION', ordered: false, exhaustedState: 'REJECTED', permanentState: 'REJECTED',
        process: (claim, context) => processValidation(runtime, claim as Claim<'recommendation'>, context),
      },
      risk: {
        kind: 'recommendation', state: 'PENDING_RISK', ordered: false, exhaustedState: 'DEAD_LETTER', permanentState: 'REJECTED',
        process: (claim, context) => processRisk(runtime, claim as Claim<'recommendation'>, context),
      },
      execution: {
        kind: 'recommendation', state: 'PENDING_EXECUTION', ordered: false, exhaustedState: 'DEAD_LETTER', permanentState: 'FAILED',
        process: (claim, context) => processExecution(runtime, claim as Claim<'recommendation'>, context),
      },
      fills: {
        kind: 'recommendation', state: 'SUBMITTED', ordered: false, exhaustedState: 'DEAD_LETTER', permanentState: 'DEAD_LETTER',
        process: (claim, context) => processFills(runtime, claim as Claim<'recommendation'>, context),
      },
    };
    for (const stage of this.stages) {
      if (stage !== 'ingest' && specs[stage] !== undefined) this.workers.set(stage, specs[stage]);
    }
  }

  /**
   * Subscribes to a pipeline event; returns a function that unsubscribes. Listeners run after the event's
   * record is persisted; a listener that throws is isolated.
   */
  on<E extends keyof PipelineEvents>(event: E, listener: PipelineListener<E>): () => void {
    return this.runtime.bus.on(event, listener);
  }

  private context(): StageContext {
    return {
      pipelineId: this.options.pipelineId,
      clock: this.runtime.clock,
      logger: this.runtime.logger,
      signal: this.abortController.signal,
      store: this.options.store,
    };
  }

  /**
   * Runs every stage of this process until no stage can claim anything (items waiting on a backoff or a
   * poll delay count as idle). For replays, backtests and tests.
   * @returns the number of items processed.
   */
  async runUntilIdle(options: { maxPasses?: number } = {}): Promise<number> {
    await this.prepare();
    let processed = 0;
    for (let pass = 0; pass < (options.maxPasses ?? 10_000); pass += 1) {
      let progressed = 0;
      for (const [stage, spec] of this.workers) {
        for (;;) {
          const claims = await this.claim(stage, spec, `${this.options.pipelineId}-idle`);
          if (claims.length === 0) break;
          await Promise.all(claims.map((claim) => this.processOne(stage, spec, claim)));
          progressed += claims.length;
        }
      }
      processed += progressed;
      if (progressed === 0) break;
    }
    // Feature checkpoints follow `checkpointEveryCandles`; `stop()` and the replays save the rest.
    return processed;
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
      if (executor?.start !== undefined && (this.workers.has('execution') || this.workers.has('fills'))) await executor.start(this.context());
    })();
    return this.prepared;
  }

  private claim(stage: WorkerStage, spec: WorkerSpec, workerId: string, limit = this.runtime.tuning.claimBatchSize): Promise<Claim[]> {
    return this.options.store.claim({
      kind: spec.kind,
      state: spec.state as WorkStates[WorkKind],
      workerId: `${workerId}-${stage}`,
      leaseMs: this.runtime.tuning.leaseMs,
      limit,
      ordered: spec.ordered,
    });
  }

  private async processOne(stage: WorkerStage, spec: WorkerSpec, claim: Claim): Promise<void> {
    const context = this.context();
    const heartbeat = this.keepLease(claim);
    try {
      await spec.process(claim, context);
    } catch (error) {
      await this.handleFailure(stage, spec, claim, error, context);
    } finally {
      heartbeat.stop();
    }
  }

  /** Renews the claim's lease every third of its length while the item is in hand, so a slow stage keeps it. */
  private keepLease(claim: Claim): { stop(): void } {
    const { leaseMs } = this.runtime.tuning;
    let stopped = false;
    const timer = setInterval(() => {
      this.options.store.renewLease(claim, leaseMs).catch((error: unknown) => {
        if (!stopped) this.runtime.logger.warn('could not renew a work item lease', { kind: claim.kind, id: claim.id, error });
      });
    }, Math.max(20, Math.floor(leaseMs / 3)));
    timer.unref();
    return {
      stop() {
        stopped = true;
        clearInterval(timer);
      },
    };
  }

  private async handleFailure(stage: WorkerStage, spec: WorkerSpec, claim: Claim, error: unknown, context: StageContext): Promise<void> {
    const store = this.options.store;
    const failure = toTradepipeError(error instanceof ValidatorRetry ? error.original : error);
    const logFields = { stage, kind: claim.kind, id: claim.id, code: failure.code, error: failure };
    try {
      if (context.signal.aborted) {
        await store.release(claim);
        return;
      }
      if (failure.code === 'lease_lost') {
        this.runtime.logger.warn('work item lease lost; another worker owns it', logFields);
        return;
      }
      const workError = { code: failure.code, message: failure.message };
      const terminalWrites: RecordWrite[] = error instanceof ValidatorRetry ? retriesExhaustedWrites(claim as Claim<'recommendation'>, error, context.clock.nowMs()) : [];
      const terminalState = failure.retryable ? spec.exhaustedState : spec.permanentState;
      const result = await store.fail(claim, {
        error: workError,
        retryable: failure.retryable,
        maxAttempts: this.runtime.tuning.maxAttempts,
        backoffMs: backoffMs(this.runtime, claim.attempt + 1),
        terminalState: terminalState as WorkStates[WorkKind],
        terminalReason: `${failure.retryable ? 'retries_exhausted' : 'failed'}: ${failure.code}: ${failure.message}`.slice(0, 1000),
        terminalWrites,
      });
      if (result.kind === 'retry_scheduled') {
        this.runtime.logger.info('work item will be retried', { ...logFields, availableAtMs: result.availableAtMs });
        this.runtime.bus.emit('item:retried', { kind: claim.kind, id: claim.id, stage, error: workError, availableAtMs: result.availableAtMs });
      } else {
        this.runtime.logger.warn('work item ended after a failure', { ...logFields, state: terminalState });
        if (terminalState === 'DEAD_LETTER') this.runtime.bus.emit('item:deadLettered', { kind: claim.kind, id: claim.id, stage, error: workError });
        if (claim.kind === 'recommendation') await this.emitFinished(claim.id);
      }
    } catch (secondary) {
      this.runtime.logger.error('could not record a work item failure', { ...logFields, secondary });
    }
  }

  private async emitFinished(recommendationId: string): Promise<void> {
    const stored = await this.options.store.getRecommendation(recommendationId);
    if (stored === undefined) return;
    const { state, reason } = stored.status;
    this.runtime.bus.emit('recommendation:finished', { recommendation: stored.record, state, ...(reason === undefined ? {} : { reason }) });
  }

  /** Starts every stage's worker loop (and market data ingestion, if configured). Resolves once started. */
  async start(): Promise<void> {
    if (this.running.length > 0) throw new TradepipeError('pipeline_invalid', 'The pipeline is already running');
    this.stopping = false;
    this.abortController = new AbortController();
    await this.prepare();
    for (const [stage, spec] of this.workers) this.running.push(this.workerLoop(stage, spec));
    if (this.stages.includes('ingest') && this.options.marketData !== undefined) {
      this.running.push(this.guard('ingest', () => runIngest(this.options.marketData!, this.context())));
    }
  }

  /**
   * Stops claiming, lets in-flight items finish for up to `drainTimeoutMs`, then aborts the rest (an aborted
   * item is released untouched, except that an order intent once recorded stays, to be reconciled) and
   * saves feature checkpoints.
   */
  async stop(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    this.stopping = true;
    const drained = Promise.all(this.running);
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, options.drainTimeoutMs ?? 10_000).unref());
    await Promise.race([drained, timeout]);
    this.abortController.abort(new TradepipeError('aborted', 'The pipeline is stopping'));
    await drained;
    this.running = [];
    if (this.signalStage !== undefined) await this.signalStage.checkpointAll({ ...this.context(), signal: new AbortController().signal });
  }

  private async guard(stage: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (this.abortController.signal.aborted) return;
      const failure = toTradepipeError(error);
      this.crashedWorkers.add(stage);
      this.runtime.logger.error('pipeline worker stopped', { stage, error: failure });
      this.runtime.bus.emit('worker:failed', { stage, error: { code: failure.code, message: failure.message } });
    }
  }

  private workerLoop(stage: WorkerStage, spec: WorkerSpec): Promise<void> {
    return this.guard(stage, async () => {
      const inFlight = new Set<Promise<void>>();
      const { concurrency, pollIntervalMs } = this.runtime.tuning;
      while (!this.stopping) {
        if (inFlight.size >= concurrency) {
          await Promise.race(inFlight);
          continue;
        }
        let claims: Claim[] = [];
        try {
          claims = await this.claim(stage, spec, this.options.pipelineId, concurrency - inFlight.size);
        } catch (error) {
          this.runtime.logger.warn('claim failed; will poll again', { stage, error });
        }
        if (claims.length === 0) {
          await this.options.store.waitForWork(spec.kind, { timeoutMs: pollIntervalMs, signal: this.abortController.signal });
          continue;
        }
        for (const claim of claims) {
          const task: Promise<void> = this.processOne(stage, spec, claim).finally(() => inFlight.delete(task));
          inFlight.add(task);
        }
      }
      await Promise.all(inFlight);
    });
  }

  /**
   * Checks this pipeline's health: the store answers, no dead letters, no order in UNKNOWN state, the kill
   * switch, workers alive, market data fresh. Records the report in the store.
   */
  async health(service = this.options.pipelineId): Promise<HealthReport> {
    const report = await checkStoreHealth({
      service,
      store: this.options.store,
      nowMs: this.runtime.clock.nowMs(),
      crashedWorkers: [...this.crashedWorkers],
      series: this.options.marketData?.series ?? [],
    });
    await this.options.store.recordHealth(report).catch((error: unknown) => this.runtime.logger.warn('could not record health', { error }));
    return report;
  }
}

/**
 * Builds a {@link Pipeline}, checking its slots against the stages it will run.
 * @throws TradepipeError `pipeline_invalid` naming a missing slot or a model/feature-set mismatch.
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  return new Pipeline(options);
}

