import { performance } from 'node:perf_hooks';
import { removeFromList } from './small-list.js';
import type { WorkKind } from './store.js';

/** setTimeout's longest delay, ms. */
const MAX_TIMER_MS = 2_147_483_647;

/** One waiting worker: what it waits for, until when, and how to end its wait. */
interface Waiter {
  readonly kind: WorkKind;
  /** The state it claims in, or `undefined` for any state of the kind. */
  readonly state: string | undefined;
  /** When the wait ends at the latest (`performance.now()` time, ms). */
  readonly deadlineMs: number;
  /** The signal that ends it early, if any. */
  readonly signal: AbortSignal | undefined;
  readonly resolve: () => void;
}

/**
 * Workers waiting for work of a kind, for store implementations: `wait` resolves on `wake(kind)`, after the
 * timeout, or on abort, and removes everything it added. A wait may name the state its worker claims in; a
 * wake that names the state the work arrived in then ends only the waits for that state (and those naming
 * none), so that work moving to one stage does not send every worker of the kind to claim. A wake without a
 * state ends every wait of the kind.
 *
 * A live pipeline waits and is woken several times per candle, so a wait allocates little: one timer for the
 * whole set (due at the earliest deadline; it keeps the process alive only while a wait is outstanding) and
 * one abort listener per signal (a pipeline passes the same stop signal to every wait), instead of a timer
 * and a listener per wait.
 * @internal Shared by store implementations.
 */
export class WorkWaiterSet {
  /** The waits per kind, unordered (lists, not sets: nothing is allocated as they empty and fill again). */
  private readonly waiters = new Map<WorkKind, Waiter[]>();
  /** The waits per signal, each signal listened to once (the listener stays until it aborts). */
  private readonly bySignal = new WeakMap<AbortSignal, Waiter[]>();
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (`performance.now()` time, ms). */
  private timerDueMs = Number.POSITIVE_INFINITY;

  /**
   * Waits for work of `kind` (in `state`, if given).
   * @param timeoutMs the longest wait, ms
   * @param state the state the waiting worker claims in; `undefined` waits for any
   * @returns a promise that resolves (never rejects) on a matching `wake`, after `timeoutMs`, or when `signal`
   * aborts (at once if it already has)
   */
  wait(kind: WorkKind, timeoutMs: number, signal?: AbortSignal, state?: string): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const waiter: Waiter = { kind, state, deadlineMs: performance.now() + Math.max(0, timeoutMs), signal, resolve };
      let list = this.waiters.get(kind);
      if (list === undefined) this.waiters.set(kind, (list = []));
      list.push(waiter);
      this.count += 1;
      if (signal !== undefined) this.listen(signal).push(waiter);
      this.armTimer(waiter.deadlineMs);
    });
  }

  /**
   * Resolves the current waits for `kind`: those for `state` and those naming no state when `state` is given
   * (work arrived in that state), every one otherwise.
   */
  wake(kind: WorkKind, state?: string): void {
    const list = this.waiters.get(kind);
    if (list === undefined) return;
    // In the order they waited; ending a wait takes it out of the list (the next moves into its place).
    for (let index = 0; index < list.length; ) {
      const waiter = list[index]!;
      if (state === undefined || waiter.state === undefined || waiter.state === state) this.end(waiter);
      if (list[index] === waiter) index += 1; // still there: not ended (or not ending), go on
    }
  }

  /** Resolves every current wait of every kind (e.g. when the store closes). */
  wakeAll(): void {
    for (const kind of this.waiters.keys()) this.wake(kind);
  }

  /** The waits ending with `signal`; its one listener is added the first time it is seen. */
  private listen(signal: AbortSignal): Waiter[] {
    let waiting = this.bySignal.get(signal);
    if (waiting === undefined) {
      const forSignal: Waiter[] = [];
      waiting = forSignal;
      this.bySignal.set(signal, forSignal);
      signal.addEventListener('abort', () => {
        // Ending a wait takes it out of this list.
        while (forSignal.length > 0) {
          const waiter = forSignal[0]!;
          this.end(waiter);
          if (forSignal[0] === waiter) forSignal.shift(); // not a current wait any more: drop it all the same
        }
      }, { once: true });
    }
    return waiting;
  }

  /** Ends one wait (once), removing it everywhere. */
  private end(waiter: Waiter): void {
    const list = this.waiters.get(waiter.kind);
    if (list === undefined || !removeFromList(list, waiter)) return;
    this.count -= 1;
    const bySignal = waiter.signal === undefined ? undefined : this.bySignal.get(waiter.signal);
    if (bySignal !== undefined) removeFromList(bySignal, waiter);
    if (this.count === 0) this.timer?.unref();
    waiter.resolve();
  }

  /** Makes sure the timer fires by `deadlineMs` and keeps the process alive while waits are outstanding. */
  private armTimer(deadlineMs: number): void {
    if (this.timer !== undefined && this.timerDueMs <= deadlineMs) {
      this.timer.ref();
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDueMs = deadlineMs;
    // Capped at setTimeout's longest delay (a longer one fires at once); an unexpired wait re-arms it.
    this.timer = setTimeout(() => this.expire(), Math.min(MAX_TIMER_MS, Math.max(0, deadlineMs - performance.now())));
  }

  /** The timer fired: ends the waits whose deadline passed and re-arms for the earliest one left. */
  private expire(): void {
    this.timer = undefined;
    this.timerDueMs = Number.POSITIVE_INFINITY;
    const nowMs = performance.now();
    let nextMs = Number.POSITIVE_INFINITY;
    for (const list of this.waiters.values()) {
      for (let index = 0; index < list.length; ) {
        const waiter = list[index]!;
        if (waiter.deadlineMs <= nowMs) this.end(waiter);
        else nextMs = Math.min(nextMs, waiter.deadlineMs);
        if (list[index] === waiter) index += 1; // still waiting
      }
    }
    if (nextMs !== Number.POSITIVE_INFINITY) this.armTimer(nextMs);
  }
}
