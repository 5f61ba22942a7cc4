import type { WorkKind } from './store.js';

/** One waiting worker: what it waits for and how to end its wait. */
interface Waiter {
  /** The state it claims in, or `undefined` for any state of the kind. */
  readonly state: string | undefined;
  readonly done: () => void;
}

/**
 * Workers waiting for work of a kind, for store implementations: `wait` resolves on `wake(kind)`, after the
 * timeout, or on abort, and removes everything it added. A wait may name the state its worker claims in; a
 * wake that names the state the work arrived in then ends only the waits for that state (and those naming
 * none), so that work moving to one stage does not send every worker of the kind to claim. A wake without a
 * state ends every wait of the kind.
 * @internal Shared by store implementations.
 */
export class WorkWaiterSet {
  private readonly waiters = new Map<WorkKind, Set<Waiter>>();

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
      let set = this.waiters.get(kind);
      if (set === undefined) {
        set = new Set<Waiter>();
        this.waiters.set(kind, set);
      }
      const waiters = set;
      const waiter: Waiter = {
        state,
        done: () => {
          clearTimeout(timer);
          waiters.delete(waiter);
          signal?.removeEventListener('abort', waiter.done);
          resolve();
        },
      };
      const timer = setTimeout(waiter.done, Math.max(0, timeoutMs));
      signal?.addEventListener('abort', waiter.done, { once: true });
      waiters.add(waiter);
    });
  }

  /**
   * Resolves the current waits for `kind`: those for `state` and those naming no state when `state` is given
   * (work arrived in that state), every one otherwise.
   */
  wake(kind: WorkKind, state?: string): void {
    const set = this.waiters.get(kind);
    if (set === undefined || set.size === 0) return;
    for (const waiter of [...set]) {
      if (state === undefined || waiter.state === undefined || waiter.state === state) waiter.done();
    }
  }

  /** Resolves every current wait of every kind (e.g. when the store closes). */
  wakeAll(): void {
    for (const kind of this.waiters.keys()) this.wake(kind);
  }
}
