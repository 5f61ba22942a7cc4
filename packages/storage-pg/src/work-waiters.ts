import { WorkWaiterSet, type Logger, type WorkKind } from '@tradepipe/core';
import { workChannel } from './context.js';
import type { SqlDriver } from './sql-driver.js';
import { WORK_TABLES } from './work-tables.js';

/**
 * Workers waiting for work, woken by the queue tables' notifications (LISTEN/NOTIFY on a server, PGlite's
 * in-process notifications when embedded). One subscription serves every waiter of a store. A notification
 * names a table only; where the driver tells which states the sending statement moved work into (PGlite, for
 * the store's own one-statement completions), only the waiters for those states wake.
 * @internal
 */
export class WorkWaiters {
  private readonly waiters = new WorkWaiterSet();
  private subscription: Promise<(() => Promise<void>) | undefined> | undefined;
  private closed = false;

  constructor(
    private readonly driver: SqlDriver,
    private readonly schema: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Resolves on a notification for `kind` (in `state`, when the notification says which states its work
   * arrived in), after `timeoutMs`, on abort, or when the store closes.
   */
  wait(kind: WorkKind, timeoutMs: number, signal?: AbortSignal, state?: string): Promise<void> {
    if (signal?.aborted || this.closed) return Promise.resolve();
    this.subscribe();
    return this.waiters.wait(kind, timeoutMs, signal, state);
  }

  private subscribe(): void {
    if (this.subscription !== undefined) return;
    const tables = new Map(Object.entries(WORK_TABLES).map(([kind, table]) => [table.table, kind as WorkKind]));
    this.subscription = this.driver
      .listen(workChannel(this.schema), (payload, arrivals) => {
        const kind = tables.get(payload);
        if (kind === undefined) return;
        // Known states (the store's own statement on PGlite) wake only their waiters; unknown ones wake every waiter of the kind.
        const states = arrivals?.get(payload);
        if (states === undefined) this.waiters.wake(kind);
        else for (const state of states) this.waiters.wake(kind, state);
      })
      .then((unsubscribe) => {
        // Work that arrived before LISTEN took effect sent no notification we heard: wake everyone once
        // so they claim again (a spurious wake-up is allowed; a missed one would wait a whole timeout).
        this.waiters.wakeAll();
        return unsubscribe;
      })
      .catch((error: unknown) => {
        // Waiters still wake on their timeout; the next wait tries to subscribe again.
        this.logger.warn('storage could not listen for work notifications', { error });
        this.subscription = undefined;
        return undefined;
      });
  }

  /** Wakes every waiter and drops the subscription. */
  async close(): Promise<void> {
    this.closed = true;
    this.waiters.wakeAll();
    const unsubscribe = await this.subscription;
    this.subscription = undefined;
    await unsubscribe?.().catch(() => undefined);
  }
}
