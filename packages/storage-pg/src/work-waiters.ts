import { WorkWaiterSet, type Logger, type WorkKind } from '@tradepipe/core';
import { workChannel } from './context.js';
import type { SqlDriver } from './sql-driver.js';
import { WORK_TABLES } from './work-tables.js';

/**
 * Workers waiting for work, woken by the queue tables' notifications (LISTEN/NOTIFY on a server, PGlite's
 * in-process notifications when embedded). One subscription serves every waiter of a store.
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

  /** Resolves on a notification for `kind`, after `timeoutMs`, on abort, or when the store closes. */
  wait(kind: WorkKind, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || this.closed) return Promise.resolve();
    this.subscribe();
    return this.waiters.wait(kind, timeoutMs, signal);
  }

  private subscribe(): void {
    if (this.subscription !== undefined) return;
    const tables = new Map(Object.entries(WORK_TABLES).map(([kind, table]) => [table.table, kind as WorkKind]));
    this.subscription = this.driver
      .listen(workChannel(this.schema), (payload) => {
        const kind = tables.get(payload);
        if (kind !== undefined) this.waiters.wake(kind);
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
