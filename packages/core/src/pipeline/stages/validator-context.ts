import { TradepipeError } from '../../errors.js';
import type { StageContext } from '../../interfaces.js';
import type { Logger } from '../../logger.js';
import type { TradeRecommendation } from '../../records/trading.js';
import type { PipelineStore } from '../../store.js';
import type { Clock } from '../../time.js';
import type { StageRunContext } from '../stage.js';
import { abortsWith } from '../runner.js';
import { expiredError, expiryOf } from './recommendation-input.js';

/** The reason a signal first read after the validator's call ended is aborted with (the recommendation not expired). */
const CALL_ENDED = new TradepipeError('aborted', 'The validator call has ended');

/**
 * The context a validator is called with: the claim's slot context (pipeline id, clock, logger, store) and a
 * `signal` that aborts at the recommendation's expiry, when the pipeline stops or when the lease is lost. The
 * signal (an AbortController, its expiry timer, its place among the lease's dependents: ≈ 3 kB allocated, a
 * third of it kept until a full GC) is made on first read: a validator that never reads it (a rule validator)
 * pays none of it, and a signal it never reads cannot change what it does. Read after its recommendation
 * expired, it is aborted at once. `signal` is an own, enumerable property, so that a spread copies it.
 * @internal
 */
export class ValidatorContext implements StageContext {
  /** The pipeline's id. */
  readonly pipelineId: string;
  /** The pipeline's clock. */
  readonly clock: Clock;
  /** The pipeline's logger. */
  readonly logger: Logger;
  /** The pipeline's store. */
  readonly store: PipelineStore;
  /** Aborts at the recommendation's expiry, at pipeline stop or at lease loss; made on first read. */
  declare readonly signal: AbortSignal;
  readonly #recommendation: TradeRecommendation;
  readonly #runContext: StageRunContext<unknown>;
  #deadline: { readonly signal: AbortSignal; dispose(): void } | undefined;
  #disposed = false;

  /** The context of one validator call for `recommendation`, within the claim's `runContext`. */
  constructor(recommendation: TradeRecommendation, runContext: StageRunContext<unknown>) {
    const { pipelineId, clock, logger, store } = runContext.slotContext;
    this.pipelineId = pipelineId;
    this.clock = clock;
    this.logger = logger;
    this.store = store;
    this.#recommendation = recommendation;
    this.#runContext = runContext;
    Object.defineProperty(this, 'signal', ValidatorContext.#signal);
  }

  /**
   * Ends the call: stops the expiry wait and detaches the signal, if it was made (as the eager signal was, it is
   * not aborted); a first read after this gets a signal already aborted.
   */
  dispose(): void {
    this.#disposed = true;
    this.#deadline?.dispose();
  }

  /** The signal, made at the first call. */
  #made(): AbortSignal {
    this.#deadline ??= this.#deadlineNow();
    return this.#deadline.signal;
  }

  /**
   * The deadline as it stands at the first read: waiting for the expiry; aborted at once if the recommendation
   * has expired (a wait made at the call would have fired by now) or if the call has ended.
   */
  #deadlineNow(): { readonly signal: AbortSignal; dispose(): void } {
    const expired = this.#recommendation.expiresAtMs <= this.clock.nowMs();
    if (this.#disposed) {
      // The call has ended: whatever still holds the context must stop, so the signal comes aborted.
      const ended = new AbortController();
      ended.abort(expired ? expiredError(this.#recommendation) : CALL_ENDED);
      return { signal: ended.signal, dispose: () => undefined };
    }
    const controller = abortsWith(this.#runContext);
    const settled = { signal: controller.signal, dispose: () => controller.detach() };
    if (!expired) return expiryOf(this.#recommendation, this.clock, controller);
    controller.abort(expiredError(this.#recommendation));
    return settled;
  }

  /** One descriptor for every instance: the objects keep one hidden class. */
  static readonly #signal: PropertyDescriptor = {
    enumerable: true,
    get(this: ValidatorContext): AbortSignal {
      return this.#made();
    },
  };
}
