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
  const lost = new AbortController();
  const signal = AbortSignal.any([input.parent, lost.signal]);
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
    },
  };
}

/** Whether a signal was aborted because its lease was lost. @internal */
export function isLeaseLost(signal: AbortSignal): boolean {
  return signal.aborted && isTradepipeError(signal.reason, 'lease_lost');
}
