import type { StageContext } from '../../interfaces.js';
import type { Logger } from '../../logger.js';
import type { TradeRecommendation } from '../../records/trading.js';
import type { PipelineStore } from '../../store.js';
import type { Clock } from '../../time.js';
import type { StageRunContext } from '../stage.js';
import { abortsWith } from '../runner.js';
import { expiredError, expiryOf } from './recommendation-input.js';

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
  readonly pipelineId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: PipelineStore;
  declare readonly signal: AbortSignal;
  readonly #recommendation: TradeRecommendation;
  readonly #runContext: StageRunContext<unknown>;
  #deadline: { readonly signal: AbortSignal; dispose(): void } | undefined;
  #disposed = false;

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

  /** Stops the expiry wait and detaches the signal, if it was made; a read after this gets a signal already disposed. */
  dispose(): void {
    this.#disposed = true;
    this.#deadline?.dispose();
  }

  #made(): AbortSignal {
    this.#deadline ??= this.#deadlineNow();
    return this.#deadline.signal;
  }

  /**
   * The deadline as it stands at the first read: waiting for the expiry; aborted at once if the recommendation
   * has expired (a wait made at the call would have fired by now); detached at once if the call has ended.
   */
  #deadlineNow(): { readonly signal: AbortSignal; dispose(): void } {
    const controller = abortsWith(this.#runContext);
    const settled = { signal: controller.signal, dispose: () => controller.detach() };
    if (this.#disposed) {
      controller.detach();
      return settled;
    }
    if (this.#recommendation.expiresAtMs > this.clock.nowMs()) return expiryOf(this.#recommendation, this.clock, controller);
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
