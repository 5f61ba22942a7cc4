import { EventEmitter } from 'eventemitter3';
import type { Logger } from '../logger.js';
import type { Candle, FeatureVector } from '../records/market.js';
import type { Order } from '../records/execution.js';
import type { RiskAssessment } from '../records/risk.js';
import type { LlmValidation, RecommendationState, Signal, TradeRecommendation } from '../records/trading.js';
import type { WorkError, WorkKind } from '../store.js';
import { TradepipeError } from '../errors.js';

/**
 * The typed events of a pipeline, named `noun:pastTenseVerb`. Each is emitted only after what it reports
 * has been persisted. Listeners are isolated: one that throws or rejects is reported through
 * `listener:failed` and the logger, never breaking the stage.
 */
export interface PipelineEvents {
  /**
   * The signal stage finished a candle: the candle's move to `DONE` is committed together with the signal and the exit
   * recommendation it made, if any (one transaction), and the feature checkpoint is saved when due. Emitted before
   * `signal:generated` and `recommendation:created` of the same candle.
   * - `candle`: the closed candle processed.
   * - `vector`: the feature vector at that candle; `undefined` while the feature engine is still warming up (no signal
   *   then).
   */
  'candle:processed': { readonly candle: Candle; readonly vector: FeatureVector | undefined };
  /**
   * The model made a new signal for a candle and it is stored (in the same transaction as the candle's `DONE`). Every
   * action is reported, `HOLD` included; a candle processed again whose signal already exists emits none.
   * - `signal`: the stored signal: `action`, `confidence`, `probabilities`, the feature vector,
   *   `modelId`/`modelVersion`, `closePrice`, `generatedAtMs`.
   */
  'signal:generated': { readonly signal: Signal };
  /**
   * A recommendation was recorded: by the bridge from a signal (state `PENDING_VALIDATION`, or `REJECTED` at once when
   * the policy refuses, e.g. a SELL with nothing held; `recommendation:finished` follows), or by the signal stage when
   * an exit rule fired (state `PENDING_RISK`: exits skip validation). Not emitted for one written straight with
   * `store.insertRecommendation`.
   * - `recommendation`: the stored recommendation.
   * - `state`: the state it was recorded in.
   * - `reason`: why the policy refused it; present only with `REJECTED`.
   */
  'recommendation:created': { readonly recommendation: TradeRecommendation; readonly state: RecommendationState; readonly reason?: string };
  /**
   * Every validator answered, and their validations and the recommendation's new state (`PENDING_RISK` if approved,
   * else `REJECTED`) are committed together. Not emitted when the recommendation expired before validation
   * (`recommendation:expired`) or a validator's retries ran out (a fail-closed REJECT is recorded and only
   * `recommendation:finished` is emitted).
   * - `recommendation`: the recommendation validated.
   * - `validations`: one stored validation per validator (the primary first, then the plugins'); a validator that threw
   *   a non-retryable error appears as a fail-closed REJECT with `failure` set.
   * - `approved`: true only when every validation is APPROVE.
   */
  'recommendation:validated': { readonly recommendation: TradeRecommendation; readonly validations: readonly LlmValidation[]; readonly approved: boolean };
  /**
   * The risk manager recorded its assessment (on APPROVE with the signed approval and its exposure reservation, in one
   * transaction) and the recommendation moved to `PENDING_EXECUTION` (approved with an approval) or `REJECTED`.
   * - `recommendation`: the recommendation assessed.
   * - `assessment`: the stored assessment: `decision`, `reasons` (codes and messages), the adjusted amount or size, and
   *   every figure it used.
   */
  'recommendation:assessed': { readonly recommendation: TradeRecommendation; readonly assessment: RiskAssessment };
  /**
   * The validation or risk stage found the recommendation past its `expiresAtMs` and recorded it `EXPIRED`;
   * `recommendation:finished` follows.
   * - `recommendation`: the recommendation that expired.
   * - `stage`: the state it was waiting in: `PENDING_VALIDATION` or `PENDING_RISK`.
   */
  'recommendation:expired': { readonly recommendation: TradeRecommendation; readonly stage: string };
  /**
   * A recommendation reached a terminal state (`EXECUTED`, `REJECTED`, `EXPIRED`, `FAILED` or `DEAD_LETTER`) and it is
   * committed; emitted by the process whose stage ended it, whether it ended normally or after a failure. Once per
   * recommendation, except one that ended (dead-lettered, failed) while its order was still open: when the order
   * ends, the order reconciler's sweep moves it to the order's state and this is emitted again with that state.
   * - `recommendation`: the recommendation.
   * - `state`: the terminal state.
   * - `reason`: why, as stored (a policy, validation or risk refusal, the order's status reason, `expired before …`, or
   *   `retries_exhausted: <code>: …` / `failed: <code>: …` after a failure); absent for `EXECUTED`.
   */
  'recommendation:finished': { readonly recommendation: TradeRecommendation; readonly state: RecommendationState; readonly reason?: string };
  /**
   * An order as stored after the executor acted on it: once when the execution stage's `execute` returns (the intent
   * recorded, the approval consumed, the order submitted or refused) or fails after the venue acknowledged the order,
   * then in the fills stage each time a refresh changes its status or `updatedAtMs`. Emitted before the
   * recommendation's own state moves on.
   * - `order`: the stored order: `status`, `statusReason`, `exchangeOrderId`, filled size and value, average fill
   *   price, total fees, `venue`.
   */
  'order:updated': { readonly order: Order };
  /**
   * A stage failed on a work item with a retryable error and the retry is scheduled (the attempt and error are
   * recorded).
   * - `kind`: `candle`, `signal` or `recommendation`.
   * - `id`: the item's id (`productId/granularity/startMs` for a candle, else the record id).
   * - `stage`: the stage that failed: `signal`, `bridge`, `validation`, `risk`, `execution` or `fills`.
   * - `error`: the failure's code and message.
   * - `availableAtMs`: when the item may be claimed again, on the store's clock, epoch ms.
   */
  'item:retried': { readonly kind: WorkKind; readonly id: string; readonly stage: string; readonly error: WorkError; readonly availableAtMs: number };
  /**
   * A failure moved a work item to `DEAD_LETTER` (committed): retries ran out, or in the signal, bridge and fills
   * stages any non-retryable failure. An item a failure ends `REJECTED` or `FAILED` instead is reported by
   * `recommendation:finished` only.
   * - `kind`, `id`, `stage`, `error`: as in `item:retried`.
   */
  'item:deadLettered': { readonly kind: WorkKind; readonly id: string; readonly stage: string; readonly error: WorkError };
  /**
   * A stage's worker loop (or market data ingestion) stopped on an error while the pipeline was running; that stage
   * processes nothing more in this process until it is restarted, and health reports the `workers` check failing.
   * Nothing is persisted.
   * - `stage`: the stage whose loop stopped, `ingest` included.
   * - `error`: the failure's code and message.
   */
  'worker:failed': { readonly stage: string; readonly error: WorkError };
  /**
   * A listener of another event threw or its promise rejected; the stage went on. A listener of this event that fails
   * is only logged. Nothing is persisted.
   * - `event`: the name of the event whose listener failed.
   * - `error`: the TradepipeError's code (else `listener_error`) and the error's message.
   */
  'listener:failed': { readonly event: string; readonly error: WorkError };
}

/** A listener of one pipeline event. It may be async; its failure is isolated. */
export type PipelineListener<E extends keyof PipelineEvents> = (payload: PipelineEvents[E]) => void | Promise<void>;

/** Listeners by event, as plugins declare them. */
export type PipelineListeners = { readonly [E in keyof PipelineEvents]?: PipelineListener<E> };

/**
 * The pipeline's event bus: eventemitter3 for registration, with isolated delivery.
 * @internal
 */
export class PipelineEventBus {
  private readonly emitter = new EventEmitter();

  constructor(private readonly logger: Logger) {}

  on<E extends keyof PipelineEvents>(event: E, listener: PipelineListener<E>): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  /** Whether any listener is registered for `event` (an emitter of many events can skip building payloads). */
  listens(event: keyof PipelineEvents): boolean {
    return this.emitter.listenerCount(event) > 0;
  }

  /** Events held while a batched replay's records wait in memory for their write (see {@link PipelineEventBus.hold}). */
  private held: [keyof PipelineEvents, unknown][] | undefined;

  /**
   * Holds every event emitted from now on instead of delivering it, until {@link PipelineEventBus.deliverHeld}
   * delivers them (in order) or {@link PipelineEventBus.dropHeld} drops them: a batched replay whose stages write to
   * memory first delivers their events only once their records are committed to the store.
   */
  hold(): void {
    this.held ??= [];
  }

  /** How many events are held. */
  heldCount(): number {
    return this.held?.length ?? 0;
  }

  /** Delivers the first `count` events held (all by default), in order, and keeps holding the next ones. */
  deliverHeld(count = this.heldCount()): void {
    const held = this.held;
    if (held === undefined || count <= 0) return;
    const due = held.splice(0, count);
    this.held = undefined;
    try {
      for (const [event, payload] of due) this.emit(event, payload as PipelineEvents[typeof event]);
    } finally {
      this.held = held;
    }
  }

  /** Stops holding: drops the events held (their records were never committed) and delivers later ones at once. */
  dropHeld(): void {
    this.held = undefined;
  }

  emit<E extends keyof PipelineEvents>(event: E, payload: PipelineEvents[E]): void {
    if (this.emitter.listenerCount(event) === 0) return;
    if (this.held !== undefined) {
      this.held.push([event, payload]);
      return;
    }
    for (const listener of this.emitter.listeners(event) as PipelineListener<E>[]) {
      try {
        const result = listener(payload);
        if (result instanceof Promise) result.catch((error: unknown) => this.reportListenerFailure(event, error));
      } catch (error) {
        this.reportListenerFailure(event, error);
      }
    }
  }

  private reportListenerFailure(event: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.logger.warn('pipeline listener failed', { event, error });
    if (event === 'listener:failed') return;
    this.emit('listener:failed', { event, error: { code: error instanceof TradepipeError ? error.code : 'listener_error', message } });
  }
}
