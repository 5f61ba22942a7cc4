import { performance } from 'node:perf_hooks';
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

/** One held lease, as the keeper renews it. */
interface Held {
  readonly input: { readonly store: LeaseStore; readonly claim: Claim; readonly leaseMs: number; readonly logger: Logger };
  readonly lost: ChildAbortController;
  /** When it was last claimed or renewed (`performance.now()` time, ms). */
  renewedAtMs: number;
  stopped: boolean;
}

/**
 * Renews the held leases of one lease length: one timer for all of them (a claim held for a few milliseconds,
 * the usual case in a live pipeline, costs no timer of its own). It ticks every sixth of the lease and renews
 * each lease held a sixth or more since its last renewal, so a lease is renewed less than a third of its
 * length after the last one; it stops when a tick finds nothing held.
 */
class LeaseKeeper {
  private readonly held = new Set<Held>();
  private timer: NodeJS.Timeout | undefined;
  private readonly tickMs: number;

  constructor(leaseMs: number) {
    this.tickMs = Math.max(10, Math.floor(leaseMs / 6));
  }

  add(held: Held): void {
    this.held.add(held);
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  remove(held: Held): void {
    this.held.delete(held);
  }

  private tick(): void {
    if (this.held.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const nowMs = performance.now();
    for (const held of this.held) {
      if (nowMs - held.renewedAtMs >= this.tickMs) renew(held, nowMs);
    }
  }
}

function renew(held: Held, nowMs: number): void {
  const { store, claim, leaseMs, logger } = held.input;
  held.renewedAtMs = nowMs;
  store.renewLease(claim, leaseMs).catch((error: unknown) => {
    if (held.stopped) return;
    if (isTradepipeError(error, 'lease_lost')) {
      logger.warn('work item lease lost; aborting its work', { kind: claim.kind, id: claim.id });
      held.lost.abort(new TradepipeError('lease_lost', 'Another worker took this work item over', { details: { kind: claim.kind, id: claim.id } }));
      return;
    }
    logger.warn('could not renew a work item lease', { kind: claim.kind, id: claim.id, error });
  });
}

/** The keepers by lease length (a pipeline has one; tests use short ones). */
const keepers = new Map<number, LeaseKeeper>();

/**
 * Renews a claim's lease while the item is in hand, less than a third of its length (real time) after the last
 * renewal (one shared timer per lease length). When the store answers `lease_lost` (another worker took the
 * item over), the work is aborted through the returned signal, so a paused or slow worker stops instead of
 * racing the one that took over. Other renewal failures are logged and tried again at the next beat.
 * @internal
 */
export function holdLease(input: { readonly store: LeaseStore; readonly claim: Claim; readonly leaseMs: number; readonly parent: AbortSignal; readonly logger: Logger }): HeldLease {
  const lost = childAbortController(input.parent);
  const held: Held = { input, lost, renewedAtMs: performance.now(), stopped: false };
  let keeper = keepers.get(input.leaseMs);
  if (keeper === undefined) keepers.set(input.leaseMs, (keeper = new LeaseKeeper(input.leaseMs)));
  keeper.add(held);
  const owner = keeper;
  return {
    signal: lost.signal,
    stop() {
      held.stopped = true;
      owner.remove(held);
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

/** The live children of each parent signal: one listener on a parent, however many children come and go. */
const childrenOf = new WeakMap<AbortSignal, Set<AbortController>>();

/**
 * A child of a long-lived signal, cheaper than `AbortSignal.any` (no weak references to collect): the parent
 * gets one listener for all its children (a live pipeline makes a child per claim), and `detach` only drops
 * the child from its parent's set.
 * @internal
 */
export function childAbortController(parent: AbortSignal): ChildAbortController {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, abort: (reason) => controller.abort(reason), detach: () => undefined };
  }
  let children = childrenOf.get(parent);
  if (children === undefined) {
    const live = new Set<AbortController>();
    children = live;
    childrenOf.set(parent, live);
    parent.addEventListener(
      'abort',
      () => {
        for (const child of live) child.abort(parent.reason);
        live.clear();
      },
      { once: true },
    );
  }
  const siblings = children;
  siblings.add(controller);
  return { signal: controller.signal, abort: (reason) => controller.abort(reason), detach: () => siblings.delete(controller) };
}
