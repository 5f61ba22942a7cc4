import { TradepipeError } from './errors.js';
import { WorkWaiterSet } from './work-waiters.js';
import type { Claim, ClaimRequest, WorkError, WorkKind, WorkStates, WorkStatus } from './store.js';

/** One work item in the in-memory queue. @internal */
export interface Entry {
  readonly kind: WorkKind;
  readonly id: string;
  readonly partitionKey: string;
  readonly orderKey: number;
  status: WorkStatus;
  lease?: { workerId: string; fencingToken: number; expiresAtMs: number };
}

/**
 * The work-queue half of the in-memory store: states, leases, fencing tokens, backoff, waiters.
 * Every method is synchronous, so each is atomic under JavaScript's single thread.
 * @internal
 */
export class MemoryQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly waiters = new WorkWaiterSet();
  private fencingCounter = 0;

  constructor(private readonly nowMs: () => number) {}

  add(kind: WorkKind, id: string, partitionKey: string, orderKey: number, state: string, reason?: string): void {
    const key = `${kind}:${id}`;
    if (this.entries.has(key)) return;
    const nowMs = this.nowMs();
    this.entries.set(key, {
      kind,
      id,
      partitionKey,
      orderKey,
      status: { state, attempt: 0, availableAtMs: nowMs, updatedAtMs: nowMs, ...(reason === undefined ? {} : { reason }) },
    });
    this.notify(kind);
  }

  status(kind: WorkKind, id: string): WorkStatus | undefined {
    return this.entries.get(`${kind}:${id}`)?.status;
  }

  countByState(kind: WorkKind): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const entry of this.entries.values()) {
      if (entry.kind === kind) counts[entry.status.state] = (counts[entry.status.state] ?? 0) + 1;
    }
    return counts;
  }

  idsInState(kind: WorkKind, state: string): string[] {
    return [...this.entries.values()].filter((entry) => entry.kind === kind && entry.status.state === state).map((entry) => entry.id);
  }

  claim<K extends WorkKind>(request: ClaimRequest<K>): Claim<K>[] {
    const nowMs = this.nowMs();
    const leased = (entry: Entry): boolean => entry.lease !== undefined && entry.lease.expiresAtMs > nowMs;
    const inState = [...this.entries.values()]
      .filter((entry) => entry.kind === request.kind && entry.status.state === request.state && !leased(entry))
      .sort((a, b) => a.orderKey - b.orderKey || (a.id < b.id ? -1 : 1));
    let candidates: Entry[];
    if (request.ordered) {
      const busy = new Set([...this.entries.values()].filter((entry) => entry.kind === request.kind && leased(entry)).map((entry) => entry.partitionKey));
      const oldest = new Map<string, Entry>();
      for (const entry of inState) if (!oldest.has(entry.partitionKey)) oldest.set(entry.partitionKey, entry);
      candidates = [...oldest.values()].filter((entry) => !busy.has(entry.partitionKey) && entry.status.availableAtMs <= nowMs);
    } else {
      candidates = inState.filter((entry) => entry.status.availableAtMs <= nowMs);
    }
    return candidates.slice(0, request.limit).map((entry) => {
      this.fencingCounter += 1;
      entry.lease = { workerId: request.workerId, fencingToken: this.fencingCounter, expiresAtMs: nowMs + request.leaseMs };
      return {
        kind: request.kind,
        id: entry.id,
        state: entry.status.state as WorkStates[K],
        partitionKey: entry.partitionKey,
        workerId: request.workerId,
        fencingToken: this.fencingCounter,
        attempt: entry.status.attempt,
        leaseExpiresAtMs: entry.lease.expiresAtMs,
      };
    });
  }

  /** Throws `lease_lost` unless the claim still holds the item; returns the entry. */
  checkLease(claim: Claim): Entry {
    const entry = this.entries.get(`${claim.kind}:${claim.id}`);
    if (entry === undefined || entry.lease?.fencingToken !== claim.fencingToken || entry.status.state !== claim.state) {
      throw new TradepipeError('lease_lost', 'The claim no longer holds this work item', {
        details: { kind: claim.kind, id: claim.id, fencingToken: claim.fencingToken },
      });
    }
    return entry;
  }

  /** Moves a checked entry to a state and frees it. */
  transition(entry: Entry, state: string, reason: string | undefined, lastError?: WorkError, attempt?: number): void {
    const nowMs = this.nowMs();
    entry.status = {
      state,
      attempt: attempt ?? entry.status.attempt,
      availableAtMs: nowMs,
      updatedAtMs: nowMs,
      ...(reason === undefined ? {} : { reason }),
      ...(lastError === undefined ? (entry.status.lastError === undefined ? {} : { lastError: entry.status.lastError }) : { lastError }),
    };
    delete entry.lease;
    this.notify(entry.kind);
  }

  renew<K extends WorkKind>(claim: Claim<K>, leaseMs: number): Claim<K> {
    const entry = this.checkLease(claim);
    const leaseExpiresAtMs = this.nowMs() + leaseMs;
    entry.lease = { workerId: claim.workerId, fencingToken: claim.fencingToken, expiresAtMs: leaseExpiresAtMs };
    return { ...claim, leaseExpiresAtMs };
  }

  release(claim: Claim, delayMs: number): void {
    const entry = this.checkLease(claim);
    const nowMs = this.nowMs();
    entry.status = { ...entry.status, availableAtMs: nowMs + Math.max(0, delayMs), updatedAtMs: nowMs };
    delete entry.lease;
    if (delayMs <= 0) this.notify(entry.kind);
  }

  /** Puts a checked entry back in its state after a failed attempt, claimable at `availableAtMs`. */
  scheduleRetry(entry: Entry, attempt: number, error: WorkError, availableAtMs: number): void {
    entry.status = { ...entry.status, attempt, lastError: error, availableAtMs, updatedAtMs: this.nowMs() };
    delete entry.lease;
  }

  wait(kind: WorkKind, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.waiters.wait(kind, timeoutMs, signal);
  }

  notify(kind: WorkKind): void {
    this.waiters.wake(kind);
  }
}
