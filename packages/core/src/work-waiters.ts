import type { WorkKind } from './store.js';

/**
 * Workers waiting for work of a kind, for store implementations: `wait` resolves on `wake(kind)`, after the
 * timeout, or on abort, and removes everything it added.
 * @internal Shared by store implementations.
 */
export class WorkWaiterSet {
  private readonly waiters = new Map<WorkKind, Set<() => void>>();

  /**
   * Waits for work of `kind`.
   * @param timeoutMs the longest wait, ms
   * @returns a promise that resolves (never rejects) on `wake(kind)`, after `timeoutMs`, or when `signal` aborts (at
   * once if it already has)
   */
  wait(kind: WorkKind, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const set = this.waiters.get(kind) ?? new Set<() => void>();
      this.waiters.set(kind, set);
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  /** Resolves every current wait for `kind`. */
  wake(kind: WorkKind): void {
    const set = this.waiters.get(kind);
    if (set === undefined || set.size === 0) return;
    for (const waiter of [...set]) waiter();
  }

  /** Resolves every current wait of every kind (e.g. when the store closes). */
  wakeAll(): void {
    for (const kind of this.waiters.keys()) this.wake(kind);
  }
}
