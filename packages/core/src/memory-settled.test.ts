import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TradepipeError } from './errors.js';
import { MemoryQueue } from './memory-queue.js';
import { candlePlaceOf, type ItemPlace } from './memory-settled.js';
import type { Claim, ClaimRequest, WorkKind } from './store.js';

fc.configureGlobal({ seed: 20261206, numRuns: 300 });

const KINDS = ['candle', 'signal'] as const;
const STATES = ['DONE', 'PENDING', 'DEAD_LETTER'] as const;
const PARTITIONS = ['BTC-USD/ONE_MINUTE', 'ETH-USD/ONE_MINUTE'] as const;

const operation = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('bulk' as const),
      kind: fc.constantFrom(...KINDS),
      state: fc.constantFrom(...STATES),
      partition: fc.constantFrom(...PARTITIONS),
      items: fc.array(fc.record({ orderKey: fc.integer({ min: 0, max: 30 }), id: fc.integer({ min: 0, max: 60 }), reason: fc.option(fc.constantFrom('hold', 'stale'), { nil: undefined }) }), { minLength: 1, maxLength: 8 }),
      sorted: fc.boolean(),
    }),
  },
  fc.record({ type: fc.constant('add' as const), kind: fc.constantFrom(...KINDS), partition: fc.constantFrom(...PARTITIONS), orderKey: fc.integer({ min: 0, max: 30 }), id: fc.integer({ min: 0, max: 60 }), state: fc.constantFrom(...STATES) }),
  fc.record({ type: fc.constant('claim' as const), kind: fc.constantFrom(...KINDS), state: fc.constantFrom(...STATES), limit: fc.integer({ min: 1, max: 4 }), ordered: fc.boolean() }),
  fc.record({ type: fc.constant('complete' as const), pick: fc.nat(), state: fc.constantFrom(...STATES) }),
  fc.record({ type: fc.constantFrom('ids' as const, 'entries' as const), kind: fc.constantFrom(...KINDS), state: fc.constantFrom(...STATES) }),
  fc.record({ type: fc.constant('entry' as const), kind: fc.constantFrom(...KINDS), partition: fc.constantFrom(...PARTITIONS), orderKey: fc.integer({ min: 0, max: 30 }), id: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40 }) }),
);

/** Runs an action on both queues: both throw the same code, or both return equal results. */
function both<T>(settled: () => T, reference: () => T): T | undefined {
  const run = (action: () => T): { result?: T; code?: string } => {
    try {
      return { result: action() };
    } catch (error) {
      return { code: (error as TradepipeError).code };
    }
  };
  const a = run(settled);
  const b = run(reference);
  expect(a).toEqual(b);
  return a.result;
}

describe('SettledColumns in the memory queue', () => {
  it('answers statuses, counts, claims, completions, listings and entries exactly like per-item entries over random bulk writes', () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 1, maxLength: 60 }), (operations) => {
        let nowMs = 1_000;
        const places = new Map<string, ItemPlace>();
        const settled = new MemoryQueue(() => nowMs, { signal: (id) => places.get(id) });
        const reference = new MemoryQueue(() => nowMs);
        const held: Claim[] = [];
        const known = new Set<string>();
        const idOf = (kind: WorkKind, partition: string, orderKey: number, id: number): string => (kind === 'candle' ? `${partition}/${orderKey}` : `sig_${id}`);
        for (const op of operations) {
          if (op.type === 'bulk') {
            // Fresh items only (what a bulk write hands the queue), each id once.
            const items = (op.sorted ? [...op.items].sort((a, b) => a.orderKey - b.orderKey) : op.items)
              .map((item) => ({ ...item, key: idOf(op.kind, op.partition, item.orderKey, item.id) }))
              .filter((item, index, all) => !known.has(`${op.kind}:${item.key}`) && all.findIndex((other) => other.key === item.key) === index);
            if (items.length === 0) continue;
            for (const item of items) {
              known.add(`${op.kind}:${item.key}`);
              if (op.kind === 'signal') places.set(item.key, { partitionKey: op.partition, orderKey: item.orderKey });
            }
            const reasons = items.map((item) => item.reason);
            settled.addSettled(op.kind, op.state, op.partition, items.map((item) => item.orderKey), op.kind === 'candle' ? undefined : items.map((item) => item.key), reasons);
            reference.addFresh(op.kind, op.state, items.map((item) => ({ id: item.key, partitionKey: op.partition, orderKey: item.orderKey, ...(item.reason === undefined ? {} : { reason: item.reason }) })));
          } else if (op.type === 'add') {
            const id = idOf(op.kind, op.partition, op.orderKey, op.id);
            if (op.kind === 'signal' && !places.has(id)) places.set(id, { partitionKey: op.partition, orderKey: op.orderKey });
            const place = op.kind === 'signal' ? places.get(id)! : { partitionKey: op.partition, orderKey: op.orderKey };
            known.add(`${op.kind}:${id}`);
            settled.add(op.kind, id, place.partitionKey, place.orderKey, op.state);
            reference.add(op.kind, id, place.partitionKey, place.orderKey, op.state);
          } else if (op.type === 'claim') {
            const request: ClaimRequest = { kind: op.kind, state: op.state as never, workerId: 'w', leaseMs: 25, limit: op.limit, ordered: op.ordered };
            held.push(...(both(() => settled.claim(request), () => reference.claim(request)) ?? []));
          } else if (op.type === 'complete') {
            const claim = held[op.pick % Math.max(1, held.length)];
            if (claim !== undefined) both(() => settled.transition(settled.checkLease(claim), op.state, 'done'), () => reference.transition(reference.checkLease(claim), op.state, 'done'));
          } else if (op.type === 'ids') {
            both(() => settled.idsInState(op.kind, op.state), () => reference.idsInState(op.kind, op.state));
          } else if (op.type === 'entries') {
            const sortedIds = (queue: MemoryQueue): string[] => queue.entriesInState(op.kind, op.state).map((entry) => entry.id).sort();
            both(() => sortedIds(settled), () => sortedIds(reference));
          } else if (op.type === 'entry') {
            const id = idOf(op.kind, op.partition, op.orderKey, op.id);
            both(() => settled.entry(op.kind, id), () => reference.entry(op.kind, id));
          } else if (op.type === 'advance') {
            nowMs += op.ms;
          }
          for (const kind of KINDS) {
            expect(Object.entries(settled.countByState(kind))).toEqual(Object.entries(reference.countByState(kind)));
            for (const key of known) {
              const [itemKind, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
              if (itemKind === kind) expect(settled.status(kind, id)).toEqual(reference.status(kind, id));
            }
            expect(settled.status(kind, 'BTC-USD/ONE_MINUTE/31')).toBeUndefined();
          }
        }
      }),
    );
  });

  it('keeps a fresh run of settled candles without an entry each, and hands them out as entries when a claim asks for their state', () => {
    const queue = new MemoryQueue(() => 5);
    queue.addSettled('candle', 'PENDING', 'BTC-USD/ONE_MINUTE', [60_000, 120_000, 180_000]);
    expect(queue.status('candle', 'BTC-USD/ONE_MINUTE/120000')).toEqual({ state: 'PENDING', attempt: 0, availableAtMs: 5, updatedAtMs: 5 });
    expect(queue.countByState('candle')).toEqual({ PENDING: 3 });
    const claims = queue.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs: 10, limit: 2, ordered: false });
    expect(claims.map((claim) => claim.id)).toEqual(['BTC-USD/ONE_MINUTE/60000', 'BTC-USD/ONE_MINUTE/120000']);
    expect(queue.countByState('candle')).toEqual({ PENDING: 3 });
  });

  it('answers every item of columns many segments long, signals kept by handle, exactly like per-item entries', () => {
    let nowMs = 1_000;
    // Handles stand for ids `sig_<handle>`: what a store that keeps its signals in columns hands the queue.
    const handles = { handleOf: (id: string) => (id.startsWith('sig_') ? Number(id.slice(4)) : -1), idOf: (handle: number) => `sig_${handle}` };
    const places = new Map<string, ItemPlace>();
    const settled = new MemoryQueue(() => nowMs, { signal: (id) => places.get(id) }, { signal: handles });
    const reference = new MemoryQueue(() => nowMs);
    let next = 0;
    for (const size of [5_000, 20_000, 1, 9_000]) {
      const orderKeys = Array.from({ length: size }, (_, index) => 60_000 * (next + index));
      const handleList = orderKeys.map((_, index) => next + index);
      const reasons = orderKeys.map((_, index) => (index % 3 === 0 ? undefined : index % 3 === 1 ? 'hold' : 'stale'));
      for (const [index, handle] of handleList.entries()) places.set(`sig_${handle}`, { partitionKey: 'BTC-USD/ONE_MINUTE', orderKey: orderKeys[index]! });
      settled.addSettled('candle', 'DONE', 'BTC-USD/ONE_MINUTE', orderKeys);
      settled.addSettled('signal', 'DONE', 'BTC-USD/ONE_MINUTE', orderKeys, handleList, reasons);
      reference.addFresh('candle', 'DONE', orderKeys.map((orderKey) => ({ id: `BTC-USD/ONE_MINUTE/${orderKey}`, partitionKey: 'BTC-USD/ONE_MINUTE', orderKey })));
      reference.addFresh('signal', 'DONE', handleList.map((handle, index) => ({ id: `sig_${handle}`, partitionKey: 'BTC-USD/ONE_MINUTE', orderKey: orderKeys[index]!, ...(reasons[index] === undefined ? {} : { reason: reasons[index] }) })));
      next += size;
      nowMs += 7;
    }
    // Every 101st item, and those around the segment and write boundaries.
    const sample = [...Array.from({ length: Math.ceil(next / 101) }, (_, index) => 101 * index), 4_999, 5_000, 8_191, 8_192, 8_193, 16_383, 16_384, 24_999, 25_000, 25_001, next - 1];
    for (const item of sample) {
      expect(settled.status('candle', `BTC-USD/ONE_MINUTE/${60_000 * item}`)).toEqual(reference.status('candle', `BTC-USD/ONE_MINUTE/${60_000 * item}`));
      expect(settled.status('signal', `sig_${item}`)).toEqual(reference.status('signal', `sig_${item}`));
    }
    expect(settled.status('signal', `sig_${next}`)).toBeUndefined();
    expect(settled.countByState('signal')).toEqual(reference.countByState('signal'));
    expect(settled.idsInState('signal', 'DONE')).toEqual(reference.idsInState('signal', 'DONE'));
    expect(settled.idsInState('candle', 'DONE')).toEqual(reference.idsInState('candle', 'DONE'));
  });

  it('reads a candle place only from an id that names it exactly', () => {
    expect(candlePlaceOf('BTC-USD/ONE_MINUTE/60000')).toEqual({ partitionKey: 'BTC-USD/ONE_MINUTE', orderKey: 60_000 });
    expect(candlePlaceOf('BTC-USD/ONE_MINUTE/060000')).toBeUndefined();
    expect(candlePlaceOf('BTC-USD/ONE_MINUTE/')).toBeUndefined();
    expect(candlePlaceOf('60000')).toBeUndefined();
    expect(candlePlaceOf('BTC-USD/ONE_MINUTE/6e4')).toBeUndefined();
  });
});
