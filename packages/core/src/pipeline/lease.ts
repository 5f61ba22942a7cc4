import { TradepipeError, isTradepipeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Claim, PipelineStore } from '../store.js';

/** What keeping a lease needs from the store. @internal */
export type LeaseStore = Pick<PipelineStore, 'renewLease'>;

/** A held lease: its signal aborts when the pipeline stops or the lease is lost. @internal */
export interface HeldLease {
  /** Aborted with the pipeline's reason, or with a `lease_lost` TradepipeError. */
  readonly signal: AbortSignal;
  /** Stops renewing. */
  stop(): void;
}

/**
 * Renews a claim's lease every third of its length (real time) while the item is in hand. When the store
 * answers `lease_lost` (another worker took the item over), the work is aborted through the returned signal,
 * so a paused or slow worker stops instead of racing the one that took over. Other renewal failures are logged
 * and tried again at the next beat.
 * @internal
 */
export function holdLease(input: { readonly store: LeaseStore; readonly claim: Claim; readonly leaseMs: number; readonly parent: AbortSignal; readonly logger: Logger }): HeldLease {
  const lost = childAbortController(input.parent);
  const signal = lost.signal;
  let stopped = false;
  const timer = setInterval(() => {
    input.store.renewLease(input.claim, input.leaseMs).catch((error: unknown) => {
      if (stopped) return;
      if (isTradepipeError(error, 'lease_lost')) {
        input.logger.warn('work item lease lost; aborting its work', { kind: input.claim.kind, id: input.claim.id });
        lost.abort(new TradepipeError('lease_lost', 'Another worker took this work item over', { details: { kind: input.claim.kind, id: input.claim.id } }));
        return;
      }
      input.logger.warn('could not renew a work item lease', { kind: input.claim.kind, id: input.claim.id, error });
    });
  }, Math.max(20, Math.floor(input.leaseMs / 3)));
  timer.unref();
  return {
    signal,
    stop() {
      stopped = true;
      clearInterval(timer);
      lost.detach();
    },
  };
}

/** Whether a signal was aborted because its lease was lost. @internal */
export function isLeaseLost(signal: AbortSignal): boolean {
  return signal.aborted && isTradepipeError(signal.reason, 'lease_lost');
}

/** An AbortController that also aborts when `parent` does; `detach` stops listening to the parent. @internal */
export interface ChildAbortController {
  /** Aborts with the parent's reason, or with the reason given to `abort`. */
  readonly signal: AbortSignal;
  /** Aborts the child only. */
  abort(reason: unknown): void;
  /** Stops following the parent (call when done, so a long-lived parent keeps no listener). */
  detach(): void;
}

/**
 * A child of a long-lived signal, cheaper than `AbortSignal.any` (no weak references to collect): one
 * listener on the parent, removed by `detach`.
 * @internal
 */
export function childAbortController(parent: AbortSignal): ChildAbortController {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    detach: () => parent.removeEventListener('abort', onAbort),
  };
}
