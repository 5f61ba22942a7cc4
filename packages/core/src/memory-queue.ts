import { TradepipeError } from './errors.js';
import { WorkWaiterSet } from './work-waiters.js';
import { QueueIndex, compareEntries, newEntry, type Entry } from './memory-queue-index.js';
import { SettledColumns, candlePlaceOf, type IdHandles, type PlaceOf } from './memory-settled.js';
import type { Claim, ClaimRequest, WorkError, WorkKind, WorkRecords, WorkStates, WorkStatus } from './store.js';

export type { Entry } from './memory-queue-index.js';

/** The stored record of a queued item, for a claim to carry (`undefined` if the store has none at hand). @internal */
export type ClaimedRecordOf = (kind: WorkKind, entry: Entry) => WorkRecords[WorkKind] | undefined;

/** A status available and updated at `nowMs`, with `reason` and `lastError` only when given (one literal, no spreads). */
function statusOf(state: string, attempt: number, nowMs: number, reason: string | undefined, lastError: WorkError | undefined): WorkStatus {
  if (reason === undefined) {
    return lastError === undefined ? { state, attempt, availableAtMs: nowMs, updatedAtMs: nowMs } : { state, attempt, availableAtMs: nowMs, updatedAtMs: nowMs, lastError };
  }
  return lastError === undefined ? { state, attempt, availableAtMs: nowMs, updatedAtMs: nowMs, reason } : { state, attempt, availableAtMs: nowMs, updatedAtMs: nowMs, reason, lastError };
}

/**
 * The work-queue half of the in-memory store: states, leases, fencing tokens, backoff, waiters.
 * Every method is synchronous, so each is atomic under JavaScript's single thread. Entries are indexed by
 * (kind, state, partition), oldest first, with the leased entries by partition: a claim reads only the items
 * in the state it asks for, never every stored item. Items a bulk write stores settled may sit in
 * {@link SettledColumns} instead (no entry object each) until something needs them as entries.
 * @internal
 */
export class MemoryQueue {
  private readonly entries: Record<WorkKind, Map<string, Entry>> = { candle: new Map(), signal: new Map(), recommendation: new Map() };
  private readonly index = new QueueIndex();
  private readonly waiters = new WorkWaiterSet();
  private readonly settled: SettledColumns;
  private fencingCounter = 0;
  /** One string per partition key: the entries of a partition share it (a record's key is a fresh string each time). */
  private readonly partitionKeys = new InternedKeys();

  /**
   * @param nowMs the store's clock
   * @param placeOf where a signal or recommendation of an id sits (from its stored record): lets bulk writes keep
   *   settled items of that kind in columns (candles need none: their id names their place)
   * @param handles the numbers a kind's ids are kept as in those columns (then {@link addSettled} takes handles for it)
   */
  constructor(
    private readonly nowMs: () => number,
    placeOf: { readonly signal?: PlaceOf; readonly recommendation?: PlaceOf } = {},
    handles: { readonly signal?: IdHandles } = {},
  ) {
    this.settled = new SettledColumns({ candle: candlePlaceOf, ...placeOf }, handles);
  }

  /** Adds an item unless stored, waking the state's waiters unless `wake` is false (an item leased at once). */
  add(kind: WorkKind, id: string, partitionKey: string, orderKey: number, state: string, reason?: string, wake = true): void {
    const entries = this.entries[kind];
    if (entries.has(id) || this.settled.find(kind, id) !== undefined) return;
    const nowMs = this.nowMs();
    const status: WorkStatus =
      reason === undefined ? { state, attempt: 0, availableAtMs: nowMs, updatedAtMs: nowMs } : { state, reason, attempt: 0, availableAtMs: nowMs, updatedAtMs: nowMs };
    const entry = newEntry(kind, id, this.partitionKeys.of(partitionKey), orderKey, status);
    entries.set(id, entry);
    this.index.add(entry);
    if (wake) this.notify(kind, state);
  }

  /**
   * Adds items of one kind and state that the caller has checked are not stored yet (a bulk write): one
   * frozen status object shared by all (statuses are replaced, never changed in place), one wake-up.
   */
  addFresh(kind: WorkKind, state: string, items: readonly { readonly id: string; readonly partitionKey: string; readonly orderKey: number; readonly reason?: string }[]): void {
    if (items.length === 0) return;
    const entries = this.entries[kind];
    const nowMs = this.nowMs();
    const shared: WorkStatus = Object.freeze({ state, attempt: 0, availableAtMs: nowMs, updatedAtMs: nowMs });
    for (const { id, partitionKey, orderKey, reason } of items) {
      const status = reason === undefined ? shared : Object.freeze({ state, reason, attempt: 0, availableAtMs: nowMs, updatedAtMs: nowMs });
      const entry = newEntry(kind, id, this.partitionKeys.of(partitionKey), orderKey, status);
      entries.set(id, entry);
      this.index.add(entry);
    }
    this.notify(kind, state);
  }

  /**
   * Adds one partition's items of one kind and state that the caller has checked are not stored yet, order
   * keys non-decreasing (a bulk write's settled items): kept in columns when they follow on from the ones kept
   * there (else as {@link addFresh} adds them), statuses shared as there, one per distinct reason.
   * @param ids the items' ids, or their handles for a kind the queue was given handles for; omitted for candles
   *   (`partitionKey/orderKey`, as `candleWorkId` names them)
   * @param reasons each item's reason (`undefined` for none); omitted when no item has one
   */
  addSettled(kind: WorkKind, state: string, partitionKey: string, orderKeys: readonly number[], ids?: readonly string[] | readonly number[], reasons?: readonly (string | undefined)[]): void {
    if (orderKeys.length === 0) return;
    const nowMs = this.nowMs();
    const shared: WorkStatus = Object.freeze({ state, attempt: 0, availableAtMs: nowMs, updatedAtMs: nowMs });
    const byReason = new Map<string, WorkStatus>();
    const statusAt = (index: number): WorkStatus => {
      const reason = reasons?.[index];
      if (reason === undefined) return shared;
      let status = byReason.get(reason);
      if (status === undefined) byReason.set(reason, (status = Object.freeze({ state, reason, attempt: 0, availableAtMs: nowMs, updatedAtMs: nowMs })));
      return status;
    };
    // The state's place among the index's states (the order countByState lists them in) is where an entry would put it.
    this.index.touch(kind, state);
    if (!this.settled.append(kind, state, partitionKey, orderKeys, ids, statusAt)) {
      const entries = this.entries[kind];
      for (let index = 0; index < orderKeys.length; index += 1) {
        const orderKey = orderKeys[index]!;
        const key = ids?.[index];
        const entry = newEntry(kind, key === undefined ? `${partitionKey}/${orderKey}` : this.settled.idOf(kind, key), this.partitionKeys.of(partitionKey), orderKey, statusAt(index));
        entries.set(entry.id, entry);
        this.index.add(entry);
      }
    }
    this.notify(kind, state);
  }

  status(kind: WorkKind, id: string): WorkStatus | undefined {
    return this.entries[kind].get(id)?.status ?? this.settled.find(kind, id)?.status;
  }

  /** The stored entry of an item (read it; change it only through {@link transition}). */
  entry(kind: WorkKind, id: string): Entry | undefined {
    const entry = this.entries[kind].get(id);
    if (entry !== undefined) return entry;
    const settled = this.settled.find(kind, id);
    if (settled === undefined) return undefined;
    this.unsettle(kind, settled.state);
    return this.entries[kind].get(id);
  }

  /** Moves the items of `kind` in `state` held in columns to entries: what claims and listings of the state read. */
  private unsettle(kind: WorkKind, state: string): void {
    if (this.settled.count(kind, state) === 0) return;
    const entries = this.entries[kind];
    for (const { id, partitionKey, orderKey, status } of this.settled.drain(kind, state)) {
      const entry = newEntry(kind, id, this.partitionKeys.of(partitionKey), orderKey, status);
      entries.set(id, entry);
      this.index.add(entry);
    }
  }

  /** Every entry of a kind in a state, in no particular order. */
  entriesInState(kind: WorkKind, state: string): Entry[] {
    this.unsettle(kind, state);
    const entries: Entry[] = [];
    for (const list of this.index.partitions(kind, state).values()) entries.push(...list);
    return entries;
  }

  countByState(kind: WorkKind): Record<string, number> {
    return this.index.counts(kind, (state) => this.settled.count(kind, state));
  }

  idsInState(kind: WorkKind, state: string): string[] {
    this.unsettle(kind, state);
    const entries: Entry[] = [];
    for (const list of this.index.partitions(kind, state).values()) entries.push(...list);
    return entries.sort(compareEntries).map((entry) => entry.id);
  }

  /**
   * Leases up to `request.limit` items of a kind in a state (see {@link ClaimRequest}).
   * @param recordOf when given, each claim carries its item's record (`Claim.record`, so a stage loads nothing),
   *   and an ordered claim says whether items in the state were left (`Claim.moreWaiting`)
   */
  claim<K extends WorkKind>(request: ClaimRequest<K>, recordOf?: ClaimedRecordOf): Claim<K>[] {
    const nowMs = this.nowMs();
    this.unsettle(request.kind, request.state);
    const candidates = request.ordered ? this.orderedCandidates(request, nowMs) : this.unorderedCandidates(request, nowMs);
    const taken = candidates.length > request.limit ? candidates.slice(0, request.limit) : candidates;
    // Ordered: items left in the state beside the ones taken (behind them, leased, not yet due), as the SQL stores tell.
    const moreWaiting = recordOf !== undefined && request.ordered === true ? this.index.size(request.kind, request.state) > taken.length : undefined;
    const claims: Claim<K>[] = [];
    for (const entry of taken) {
      this.fencingCounter += 1;
      const fencingToken = this.fencingCounter;
      const leaseExpiresAtMs = nowMs + request.leaseMs;
      entry.lease = { workerId: request.workerId, fencingToken, expiresAtMs: leaseExpiresAtMs };
      this.index.leased(entry);
      const { kind } = request;
      const state = entry.status.state as WorkStates[K];
      const { id, partitionKey } = entry;
      const { attempt } = entry.status;
      const { workerId } = request;
      const record = recordOf?.(kind, entry) as WorkRecords[K] | undefined;
      // One literal per shape (no spread of the optional fields).
      if (record === undefined) claims.push({ kind, id, state, partitionKey, workerId, fencingToken, attempt, leaseExpiresAtMs });
      else if (moreWaiting === undefined) claims.push({ kind, id, state, partitionKey, workerId, fencingToken, attempt, leaseExpiresAtMs, record });
      else claims.push({ kind, id, state, partitionKey, workerId, fencingToken, attempt, leaseExpiresAtMs, record, moreWaiting });
    }
    return claims;
  }

  /** The oldest item of each partition in the state, if no item of that partition and kind is leased and it is available. */
  private orderedCandidates(request: ClaimRequest, nowMs: number): Entry[] {
    const candidates: Entry[] = [];
    for (const [partitionKey, list] of this.index.partitions(request.kind, request.state)) {
      if (this.index.isPartitionBusy(request.kind, partitionKey, nowMs)) continue;
      const oldest = list.at(0);
      if (oldest !== undefined && oldest.status.availableAtMs <= nowMs) candidates.push(oldest);
    }
    return candidates.sort(compareEntries);
  }

  /** The oldest unleased, available items in the state across partitions (each partition gives at most `limit`). */
  private unorderedCandidates(request: ClaimRequest, nowMs: number): Entry[] {
    const candidates: Entry[] = [];
    for (const list of this.index.partitions(request.kind, request.state).values()) {
      let taken = 0;
      for (const entry of list) {
        if (taken >= request.limit) break;
        const leased = entry.lease !== undefined && entry.lease.expiresAtMs > nowMs;
        if (leased || entry.status.availableAtMs > nowMs) continue;
        candidates.push(entry);
        taken += 1;
      }
    }
    return candidates.sort(compareEntries);
  }

  /** Throws `lease_lost` unless the claim still holds the item; returns the entry. */
  checkLease(claim: Claim): Entry {
    const entry = this.entries[claim.kind].get(claim.id);
    if (entry === undefined || entry.lease?.fencingToken !== claim.fencingToken || entry.status.state !== claim.state) {
      throw new TradepipeError('lease_lost', 'The claim no longer holds this work item', {
        details: { kind: claim.kind, id: claim.id, fencingToken: claim.fencingToken },
      });
    }
    return entry;
  }

  /**
   * Moves a checked entry to a state (not `DEAD_LETTER`) and leases it there at once to `workerId` with a fresh
   * token, waking nobody (it is not claimable): {@link PipelineStore.completeAndClaim}.
   */
  transitionAndLease<K extends WorkKind>(entry: Entry, state: WorkStates[K], reason: string | undefined, workerId: string, leaseMs: number, record: WorkRecords[K] | undefined): Claim<K> {
    this.transition(entry, state, reason, undefined, undefined, false);
    return this.lease(entry, workerId, leaseMs, record);
  }

  /** Leases a free entry to `workerId` with a fresh token, as a claim does; its claim. */
  lease<K extends WorkKind>(entry: Entry, workerId: string, leaseMs: number, record: WorkRecords[K] | undefined): Claim<K> {
    const { state } = entry.status as { state: WorkStates[K] };
    const nowMs = this.nowMs();
    this.fencingCounter += 1;
    const fencingToken = this.fencingCounter;
    const leaseExpiresAtMs = nowMs + leaseMs;
    entry.lease = { workerId, fencingToken, expiresAtMs: leaseExpiresAtMs };
    this.index.leased(entry);
    const kind = entry.kind as K;
    const { id, partitionKey } = entry;
    const { attempt } = entry.status;
    return record === undefined
      ? { kind, id, state, partitionKey, workerId, fencingToken, attempt, leaseExpiresAtMs }
      : { kind, id, state, partitionKey, workerId, fencingToken, attempt, leaseExpiresAtMs, record };
  }

  /** Moves a checked entry to a state and frees it (waking the state's waiters unless `wake` is false). */
  transition(entry: Entry, state: string, reason: string | undefined, lastError?: WorkError, attempt?: number, wake = true): void {
    const nowMs = this.nowMs();
    this.index.remove(entry);
    // A dead letter completed dead-lettered again (a sweep) keeps the state it first failed in.
    if (state === 'DEAD_LETTER') entry.deadLetteredFrom = entry.status.state === 'DEAD_LETTER' ? entry.deadLetteredFrom : entry.status.state;
    else entry.deadLetteredFrom = undefined;
    entry.status = statusOf(state, attempt ?? entry.status.attempt, nowMs, reason, lastError ?? entry.status.lastError);
    this.index.add(entry);
    this.dropLease(entry);
    if (wake) this.notify(entry.kind, state);
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
    this.dropLease(entry);
    if (delayMs <= 0) this.notify(entry.kind, entry.status.state);
  }

  /** Puts a checked entry back in its state after a failed attempt, claimable at `availableAtMs`. */
  scheduleRetry(entry: Entry, attempt: number, error: WorkError, availableAtMs: number): void {
    entry.status = { ...entry.status, attempt, lastError: error, availableAtMs, updatedAtMs: this.nowMs() };
    this.dropLease(entry);
  }

  private dropLease(entry: Entry): void {
    entry.lease = undefined;
    this.index.unleased(entry);
  }

  /** Waits for work of `kind` (in `state`, if given; a wake for another state leaves the wait running). */
  wait(kind: WorkKind, timeoutMs: number, signal?: AbortSignal, state?: string): Promise<void> {
    return this.waiters.wait(kind, timeoutMs, signal, state);
  }

  /** Wakes the workers waiting for work of `kind` in `state` (every worker of the kind when no state is given). */
  notify(kind: WorkKind, state?: string): void {
    this.waiters.wake(kind, state);
  }
}

/** One copy of each partition key string. */
class InternedKeys {
  private readonly keys = new Map<string, string>();

  /** The kept copy of `key` (kept on first sight). */
  of(key: string): string {
    const kept = this.keys.get(key);
    if (kept !== undefined) return kept;
    this.keys.set(key, key);
    return key;
  }
}
