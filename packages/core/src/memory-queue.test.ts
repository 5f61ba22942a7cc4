import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TradepipeError } from './errors.js';
import { MemoryQueue } from './memory-queue.js';
import type { Claim, ClaimRequest, WorkError, WorkKind, WorkStatus } from './store.js';

fc.configureGlobal({ seed: 20261126, numRuns: 300 });

interface ReferenceEntry {
  kind: WorkKind;
  id: string;
  partitionKey: string;
  orderKey: number;
  status: WorkStatus;
  lease?: { workerId: string; fencingToken: number; expiresAtMs: number };
}

/** The straightforward queue the indexed one replaced: every claim scans and sorts every stored item. */
class ReferenceQueue {
  private readonly entries = new Map<string, ReferenceEntry>();
  private fencingCounter = 0;
  constructor(private readonly nowMs: () => number) {}

  add(kind: WorkKind, id: string, partitionKey: string, orderKey: number, state: string): void {
    if (this.entries.has(`${kind}:${id}`)) return;
    const nowMs = this.nowMs();
    this.entries.set(`${kind}:${id}`, { kind, id, partitionKey, orderKey, status: { state, attempt: 0, availableAtMs: nowMs, updatedAtMs: nowMs } });
  }

  status(kind: WorkKind, id: string): WorkStatus | undefined {
    return this.entries.get(`${kind}:${id}`)?.status;
  }

  countByState(kind: WorkKind): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const entry of this.entries.values()) if (entry.kind === kind) counts[entry.status.state] = (counts[entry.status.state] ?? 0) + 1;
    return counts;
  }

  claim(request: ClaimRequest): Claim[] {
    const nowMs = this.nowMs();
    const leased = (entry: ReferenceEntry): boolean => entry.lease !== undefined && entry.lease.expiresAtMs > nowMs;
    const inState = [...this.entries.values()]
      .filter((entry) => entry.kind === request.kind && entry.status.state === request.state && !leased(entry))
      .sort((a, b) => a.orderKey - b.orderKey || (a.id < b.id ? -1 : 1));
    let candidates: ReferenceEntry[];
    if (request.ordered) {
      const busy = new Set([...this.entries.values()].filter((entry) => entry.kind === request.kind && leased(entry)).map((entry) => entry.partitionKey));
      const oldest = new Map<string, ReferenceEntry>();
      for (const entry of inState) if (!oldest.has(entry.partitionKey)) oldest.set(entry.partitionKey, entry);
      candidates = [...oldest.values()].filter((entry) => !busy.has(entry.partitionKey) && entry.status.availableAtMs <= nowMs);
    } else {
      candidates = inState.filter((entry) => entry.status.availableAtMs <= nowMs);
    }
    return candidates.slice(0, request.limit).map((entry) => {
      this.fencingCounter += 1;
      entry.lease = { workerId: request.workerId, fencingToken: this.fencingCounter, expiresAtMs: nowMs + request.leaseMs };
      return { kind: request.kind, id: entry.id, state: entry.status.state, partitionKey: entry.partitionKey, workerId: request.workerId, fencingToken: this.fencingCounter, attempt: entry.status.attempt, leaseExpiresAtMs: entry.lease.expiresAtMs } as Claim;
    });
  }

  checkLease(claim: Claim): ReferenceEntry {
    const entry = this.entries.get(`${claim.kind}:${claim.id}`);
    if (entry === undefined || entry.lease?.fencingToken !== claim.fencingToken || entry.status.state !== claim.state) {
      throw new TradepipeError('lease_lost', 'lost');
    }
    return entry;
  }

  transition(entry: ReferenceEntry, state: string): void {
    const nowMs = this.nowMs();
    entry.status = { state, attempt: entry.status.attempt, availableAtMs: nowMs, updatedAtMs: nowMs, ...(entry.status.lastError === undefined ? {} : { lastError: entry.status.lastError }) };
    delete entry.lease;
  }

  renew(claim: Claim, leaseMs: number): Claim {
    const entry = this.checkLease(claim);
    entry.lease = { workerId: claim.workerId, fencingToken: claim.fencingToken, expiresAtMs: this.nowMs() + leaseMs };
    return { ...claim, leaseExpiresAtMs: entry.lease.expiresAtMs };
  }

  release(claim: Claim, delayMs: number): void {
    const entry = this.checkLease(claim);
    const nowMs = this.nowMs();
    entry.status = { ...entry.status, availableAtMs: nowMs + Math.max(0, delayMs), updatedAtMs: nowMs };
    delete entry.lease;
  }

  scheduleRetry(entry: ReferenceEntry, attempt: number, error: WorkError, availableAtMs: number): void {
    entry.status = { ...entry.status, attempt, lastError: error, availableAtMs, updatedAtMs: this.nowMs() };
    delete entry.lease;
  }
}

const KINDS = ['candle', 'signal'] as const;
const STATES = ['A', 'B', 'C'] as const;
const PARTITIONS = ['p1', 'p2', 'p3'] as const;

const operation = fc.oneof(
  fc.record({ type: fc.constant('add' as const), kind: fc.constantFrom(...KINDS), id: fc.integer({ min: 0, max: 40 }), partition: fc.constantFrom(...PARTITIONS), orderKey: fc.integer({ min: 0, max: 8 }), state: fc.constantFrom(...STATES) }),
  fc.record({ type: fc.constant('claim' as const), kind: fc.constantFrom(...KINDS), state: fc.constantFrom(...STATES), limit: fc.integer({ min: 1, max: 5 }), ordered: fc.boolean(), leaseMs: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ type: fc.constantFrom('complete' as const, 'release' as const, 'retry' as const, 'renew' as const), pick: fc.nat(), state: fc.constantFrom(...STATES), delayMs: fc.integer({ min: -5, max: 30 }) }),
  fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40 }) }),
);

/** Runs an action on both queues: both throw the same code, or both return equal results. */
function both<T>(indexed: () => T, reference: () => T): T | undefined {
  let indexedError: unknown;
  let referenceError: unknown;
  let indexedResult: T | undefined;
  let referenceResult: T | undefined;
  try {
    indexedResult = indexed();
  } catch (error) {
    indexedError = error;
  }
  try {
    referenceResult = reference();
  } catch (error) {
    referenceError = error;
  }
  expect((indexedError as TradepipeError | undefined)?.code).toBe((referenceError as TradepipeError | undefined)?.code);
  expect(indexedResult).toEqual(referenceResult);
  return indexedResult;
}

describe('MemoryQueue (indexed)', () => {
  it('hands out the same claims, states and counts as a scan-everything reference over random operations', () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 1, maxLength: 120 }), (operations) => {
        let nowMs = 1_000;
        const indexed = new MemoryQueue(() => nowMs);
        const reference = new ReferenceQueue(() => nowMs);
        const held: Claim[] = [];
        for (const op of operations) {
          if (op.type === 'add') {
            indexed.add(op.kind, `i${op.id}`, op.partition, op.orderKey, op.state);
            reference.add(op.kind, `i${op.id}`, op.partition, op.orderKey, op.state);
          } else if (op.type === 'claim') {
            const request: ClaimRequest = { kind: op.kind, state: op.state as never, workerId: 'w', leaseMs: op.leaseMs, limit: op.limit, ordered: op.ordered };
            held.push(...(both(() => indexed.claim(request), () => reference.claim(request)) ?? []));
          } else if (op.type === 'advance') {
            nowMs += op.ms;
          } else if (held.length > 0) {
            // A claim picked at random may be stale (expired and reclaimed, or already ended): both must agree.
            const claim = held[op.pick % held.length]!;
            if (op.type === 'complete') both(() => indexed.transition(indexed.checkLease(claim), op.state, undefined), () => reference.transition(reference.checkLease(claim), op.state));
            if (op.type === 'release') both(() => indexed.release(claim, op.delayMs), () => reference.release(claim, op.delayMs));
            if (op.type === 'renew') held.push(both(() => indexed.renew(claim, 20), () => reference.renew(claim, 20))!);
            if (op.type === 'retry') {
              const error = { code: 'x', message: 'x' };
              both(() => indexed.scheduleRetry(indexed.checkLease(claim), claim.attempt + 1, error, nowMs + op.delayMs), () => reference.scheduleRetry(reference.checkLease(claim), claim.attempt + 1, error, nowMs + op.delayMs));
            }
          }
          for (const kind of KINDS) {
            expect(indexed.countByState(kind)).toEqual(reference.countByState(kind));
            for (let id = 0; id <= 40; id += 1) expect(indexed.status(kind, `i${id}`)).toEqual(reference.status(kind, `i${id}`));
          }
        }
      }),
    );
  });

  it('lists the ids in a state oldest first', () => {
    const queue = new MemoryQueue(() => 0);
    queue.add('candle', 'b', 'p', 2, 'PENDING');
    queue.add('candle', 'a', 'q', 1, 'PENDING');
    queue.add('candle', 'c', 'p', 0, 'DONE');
    expect(queue.idsInState('candle', 'PENDING')).toEqual(['a', 'b']);
  });

  it('claims the one pending item among 200,000 finished ones and counts both', () => {
    const queue = new MemoryQueue(() => 0);
    for (let index = 0; index < 200_000; index += 1) queue.add('candle', `done-${index}`, 'p', index, 'DONE');
    queue.add('candle', 'next', 'p', 200_000, 'PENDING');
    const claims = queue.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs: 10, limit: 5, ordered: true });
    expect(claims.map((claim) => claim.id)).toEqual(['next']);
    expect(queue.countByState('candle')).toEqual({ DONE: 200_000, PENDING: 1 });
  });

  it('adds fresh items in bulk with one shared frozen status that a later transition of one item never changes', () => {
    let nowMs = 1_000;
    const queue = new MemoryQueue(() => nowMs);
    queue.addFresh('signal', 'PENDING', [
      { id: 'b', partitionKey: 'p', orderKey: 2 },
      { id: 'a', partitionKey: 'p', orderKey: 1 },
      { id: 'c', partitionKey: 'q', orderKey: 3, reason: 'why' },
    ]);
    expect(queue.status('signal', 'a')).toBe(queue.status('signal', 'b'));
    expect(Object.isFrozen(queue.status('signal', 'a'))).toBe(true);
    expect(queue.status('signal', 'c')).toEqual({ state: 'PENDING', reason: 'why', attempt: 0, availableAtMs: 1_000, updatedAtMs: 1_000 });
    expect(queue.countByState('signal')).toEqual({ PENDING: 3 });
    nowMs = 2_000;
    const [claim] = queue.claim({ kind: 'signal', state: 'PENDING', workerId: 'w', leaseMs: 1_000, limit: 1, ordered: true });
    expect(claim?.id).toBe('a');
    queue.transition(queue.checkLease(claim!), 'DONE', undefined);
    expect(queue.status('signal', 'a')).toMatchObject({ state: 'DONE', updatedAtMs: 2_000 });
    expect(queue.status('signal', 'b')).toEqual({ state: 'PENDING', attempt: 0, availableAtMs: 1_000, updatedAtMs: 1_000 });
    expect(queue.countByState('signal')).toEqual({ PENDING: 2, DONE: 1 });
  });
});
