import { performance } from 'node:perf_hooks';
import { removeFromList } from '../small-list.js';
import { TradepipeError, isTradepipeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Claim, PipelineStore } from '../store.js';

/** What keeping a lease needs from the store. @internal */
export type LeaseStore = Pick<PipelineStore, 'renewLease'>;

/**
 * A held lease. Its signal aborts when the pipeline stops or the lease is lost; it is made on first read: most
 * claims end within milliseconds and never read it (a Node AbortSignal costs ≈ 1 kB, gets a hidden class of
 * its own and outlives young-generation collections until a full one), so the runner checks {@link aborted}
 * instead.
 * @internal
 */
export interface HeldLease {
  /** Aborted with the pipeline's reason, or with a `lease_lost` TradepipeError (whichever came first); made on first read. */
  readonly signal: AbortSignal;
  /** Whether the work must stop: the pipeline's signal aborted or the lease was lost (reads no signal). */
  readonly aborted: boolean;
  /** Whether the lease was lost (another worker took the item over) before the pipeline stopped. */
  readonly lost: boolean;
  /** Throws what {@link signal} would abort with, if it would be aborted. */
  throwIfAborted(): void;
  /**
   * A controller that aborts as {@link signal} would (pipeline stop, lease loss) without making that signal: one
   * AbortSignal where a child of `signal` would cost two. `detach` it when done.
   */
  child(): ChildAbortController;
  /** Stops renewing. */
  stop(): void;
}

/**
 * One held lease, as the keeper renews it: the claim, when it was last renewed, and its signal once asked
 * for (one object per claim: no timer, no controller, no closures until something needs them).
 */
class Held implements HeldLease {
  /** When it was last claimed or renewed (`performance.now()` time, ms). */
  renewedAtMs = performance.now();
  stopped = false;
  /** Why the lease was lost, once it was (the `lease_lost` error). */
  private lostReason: TradepipeError | undefined;
  /** The signal's controller, once read. */
  private controller: ChildAbortController | undefined;
  /** The controllers of {@link child} not detached yet. */
  private dependents: ChildAbortController[] | undefined;

  constructor(
    readonly store: LeaseStore,
    readonly claim: Claim,
    readonly leaseMs: number,
    readonly logger: Logger,
    private readonly parent: AbortSignal,
  ) {}

  get signal(): AbortSignal {
    this.controller ??= this.follower();
    return this.controller.signal;
  }

  /**
   * A controller aborting as the lease's work must: already aborted with the `lease_lost` reason if the lease was
   * lost (even if the pipeline stopped since: the first reason wins), detached and settled once the lease is
   * stopped (a read after the claim ended attaches nothing to the pipeline's signal), else a child of it.
   */
  private follower(): ChildAbortController {
    if (this.lostReason !== undefined) return settledController(this.lostReason);
    if (this.stopped) return settledController(this.parent.aborted ? this.parent.reason : undefined);
    return childAbortController(this.parent);
  }

  get aborted(): boolean {
    return this.lostReason !== undefined || this.parent.aborted;
  }

  get lost(): boolean {
    return this.lostReason !== undefined;
  }

  throwIfAborted(): void {
    if (this.controller !== undefined) this.controller.signal.throwIfAborted();
    else if (this.lostReason !== undefined) throw this.lostReason;
    else this.parent.throwIfAborted();
  }

  child(): ChildAbortController {
    const controller = this.follower();
    const dependents = (this.dependents ??= []);
    dependents.push(controller);
    return {
      signal: controller.signal,
      abort: (reason) => controller.abort(reason),
      detach: () => {
        controller.detach();
        removeFromList(dependents, controller);
      },
    };
  }

  /** The store answered `lease_lost`: aborts the work (unless the pipeline's abort came first). */
  lose(reason: TradepipeError): void {
    if (this.aborted) return;
    this.lostReason = reason;
    this.controller?.abort(reason);
    // A copy: a dependent's abort listener may detach it from the list meanwhile.
    if (this.dependents !== undefined) for (const dependent of [...this.dependents]) dependent.abort(reason);
  }

  stop(): void {
    this.stopped = true;
    keeperOf(this.leaseMs).remove(this);
    this.controller?.detach();
  }
}

/**
 * Renews the held leases of one lease length: one timer for all of them (a claim held for a few milliseconds,
 * the usual case in a live pipeline, costs no timer of its own). It ticks every sixth of the lease and renews
 * each lease held a sixth or more since its last renewal, so a lease is renewed less than a third of its
 * length after the last one; it stops when a tick finds nothing held.
 */
class LeaseKeeper {
  /** The held leases, unordered (a list: a set that empties allocates a new table each time it fills again). */
  private readonly held: Held[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly tickMs: number;

  constructor(leaseMs: number) {
    this.tickMs = Math.max(10, Math.floor(leaseMs / 6));
  }

  add(held: Held): void {
    this.held.push(held);
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  remove(held: Held): void {
    removeFromList(this.held, held);
  }

  private tick(): void {
    if (this.held.length === 0) {
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
  const { store, claim, leaseMs, logger } = held;
  held.renewedAtMs = nowMs;
  store.renewLease(claim, leaseMs).catch((error: unknown) => {
    if (held.stopped) return;
    if (isTradepipeError(error, 'lease_lost')) {
      logger.warn('work item lease lost; aborting its work', { kind: claim.kind, id: claim.id });
      held.lose(new TradepipeError('lease_lost', 'Another worker took this work item over', { details: { kind: claim.kind, id: claim.id } }));
      return;
    }
    logger.warn('could not renew a work item lease', { kind: claim.kind, id: claim.id, error });
  });
}

/** The keepers by lease length (a pipeline has one; tests use short ones). */
const keepers = new Map<number, LeaseKeeper>();

function keeperOf(leaseMs: number): LeaseKeeper {
  let keeper = keepers.get(leaseMs);
  if (keeper === undefined) keepers.set(leaseMs, (keeper = new LeaseKeeper(leaseMs)));
  return keeper;
}

/**
 * Renews a claim's lease while the item is in hand, less than a third of its length (real time) after the last
 * renewal (one shared timer per lease length). When the store answers `lease_lost` (another worker took the
 * item over), the work is aborted through the returned signal, so a paused or slow worker stops instead of
 * racing the one that took over. Other renewal failures are logged and tried again at the next beat.
 * @internal
 */
export function holdLease(input: { readonly store: LeaseStore; readonly claim: Claim; readonly leaseMs: number; readonly parent: AbortSignal; readonly logger: Logger }): HeldLease {
  const held = new Held(input.store, input.claim, input.leaseMs, input.logger, input.parent);
  keeperOf(input.leaseMs).add(held);
  return held;
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

/** A controller following nothing: aborted with `reason` now if one is given, else only by its own `abort`. */
function settledController(reason: unknown): ChildAbortController {
  const controller = new AbortController();
  if (reason !== undefined) controller.abort(reason);
  return { signal: controller.signal, abort: (abortReason) => controller.abort(abortReason), detach: () => undefined };
}

/**
 * The live children of each parent signal: one listener on a parent, however many children come and go (unordered
 * lists: a set that empties allocates a new table each time it fills again).
 */
const childrenOf = new WeakMap<AbortSignal, AbortController[]>();

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
    const live: AbortController[] = [];
    children = live;
    childrenOf.set(parent, live);
    parent.addEventListener(
      'abort',
      () => {
        // Taken out first: a child's abort listener that detaches (or adds) changes only the emptied list.
        const aborted = live.splice(0);
        for (const child of aborted) child.abort(parent.reason);
      },
      { once: true },
    );
  }
  const siblings = children;
  siblings.push(controller);
  return { signal: controller.signal, abort: (reason) => controller.abort(reason), detach: () => void removeFromList(siblings, controller) };
}
