import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { decimal } from '../decimal.js';
import { isTradepipeError, type ErrorCode } from '../errors.js';
import { recordId } from '../ids.js';
import type { OrderUpdate, PipelineStore } from '../store.js';
import { createValidation } from '../validation-records.js';
import { candleWorkId } from '../store.js';
import { describeBulkWriteConformance } from './bulk-conformance.js';
import { describeDeadLetterConformance } from './dead-letter-conformance.js';
import {
  testApproval,
  testAssessment,
  testCandle,
  testFill,
  testOrderIntent,
  testProduct,
  testRecommendation,
  testSignal,
} from './fixtures.js';

/** How the conformance suite drives one store implementation. */
export interface StoreConformanceHarness {
  /**
   * A new, empty store. Its clock must start at or after 2026-01-01 (the fixture candles, from 2025-01-01, must
   * have closed: a store refuses candles that have not) and may run on its own.
   */
  createStore(): Promise<PipelineStore>;
  /** Moves the store's clock forward by at least `durationMs` (advance a manual clock, or wait real time). */
  advanceTimeMs(store: PipelineStore, durationMs: number): Promise<void>;
  /** Closes a store made by `createStore` (default: `store.close()`). */
  closeStore?(store: PipelineStore): Promise<void>;
  /** Lease length used by lease tests; keep it short when time is real (default 300 ms). */
  leaseMs?: number;
  /**
   * Whether the store's `completeAndClaim` claims whenever the item can be claimed (the shipped stores do): its
   * tests then require the claim, where `undefined` (a store that completes without handing on) is allowed otherwise.
   */
  handsOn?: boolean;
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(isTradepipeError(error) ? error.code : error).toBe(code);
}

/**
 * Registers the `PipelineStore` conformance suite with vitest. Every store implementation runs it
 * unchanged: inserts, candles, claims with leases and fencing, ordered claims, retries and dead letters
 * (listed, re-queued, discarded), atomic completions, concurrent claims, exposure reservation, single-use approvals, orders, fills,
 * positions, balances, risk state, checkpoints and health.
 * @example
 * describeStoreConformance('memory', {
 *   createStore: async () => createMemoryStore({ clock }),
 *   advanceTimeMs: async (_store, ms) => clock.advance(ms),
 * });
 */
export function describeStoreConformance(name: string, harness: StoreConformanceHarness): void {
  const leaseMs = harness.leaseMs ?? 300;
  describe(`PipelineStore conformance: ${name}`, () => {
    let store: PipelineStore;
    const opened: PipelineStore[] = [];
    beforeEach(async () => {
      store = await harness.createStore();
      opened.push(store);
    });
    afterAll(async () => {
      for (const each of opened) await (harness.closeStore?.(each) ?? each.close());
    });

    const seedCandles = async (count: number, productId = 'BTC-USD'): Promise<void> => {
      const candles = Array.from({ length: count }, (_, index) => testCandle({ index, productId }));
      await store.putCandles(candles);
    };

    it('refuses a batch holding a candle that has not closed at the store clock (candle_not_closed), storing none of it', async () => {
      const hourMs = 3_600_000;
      const nowMs = await store.nowMs();
      const lastClosed = testCandle({ productId: 'SOL-USD', startMs: Math.floor(nowMs / hourMs) * hourMs - hourMs });
      const inProgress = testCandle({ productId: 'SOL-USD', startMs: lastClosed.startMs + hourMs }); // closes after now
      const future = testCandle({ productId: 'SOL-USD', startMs: Date.UTC(2099, 0, 1) }); // closed long after now, but before MAX_CANDLE_START_MS
      for (const batch of [[lastClosed, inProgress], [future], [inProgress, lastClosed, future]]) {
        const error = await store.putCandles(batch).then(() => undefined, (thrown: unknown) => thrown);
        expect(isTradepipeError(error, 'candle_not_closed') && !error.retryable && error.details.startMs === batch.find((candle) => candle !== lastClosed)!.startMs).toBe(true);
      }
      expect(await store.getLatestCandle('SOL-USD', 'ONE_HOUR')).toBeUndefined();
      expect(await store.countByState('candle')).toEqual({});
      expect(await store.putCandles([lastClosed])).toEqual({ inserted: 1, duplicates: 0, conflicts: [] });
    });

    it('stores candles once, reports conflicts, and never returns a candle that closes after asOf', async () => {
      const candles = [0, 1, 2, 3].map((index) => testCandle({ index }));
      expect(await store.putCandles(candles)).toEqual({ inserted: 4, duplicates: 0, conflicts: [] });
      const again = await store.putCandles([candles[1]!, { ...candles[2]!, close: 999, high: 1000 }]);
      expect(again.inserted).toBe(0);
      expect(again.duplicates).toBe(1);
      expect(again.conflicts).toEqual([{ productId: 'BTC-USD', granularity: 'ONE_HOUR', startMs: candles[2]!.startMs }]);
      expect((await store.getCandle('BTC-USD', 'ONE_HOUR', candles[2]!.startMs))?.close).toBe(candles[2]!.close);
      const asOfMs = candles[2]!.startMs + 3_600_000 - 1;
      const visible = await store.getCandles({ productId: 'BTC-USD', granularity: 'ONE_HOUR', asOfMs });
      expect(visible.map((candle) => candle.startMs)).toEqual([candles[0]!.startMs, candles[1]!.startMs]);
      const lastTwo = await store.getCandles({ productId: 'BTC-USD', granularity: 'ONE_HOUR', asOfMs: candles[3]!.startMs + 3_600_000, limit: 2 });
      expect(lastTwo.map((candle) => candle.startMs)).toEqual([candles[2]!.startMs, candles[3]!.startMs]);
      expect((await store.getLatestCandle('BTC-USD', 'ONE_HOUR'))?.startMs).toBe(candles[3]!.startMs);
    });

    it('refuses a candle query it cannot answer (validation_failed), alike on every store; a limit of 0 gives none', async () => {
      await store.putCandles([0, 1, 2].map((index) => testCandle({ index })));
      const asOfMs = testCandle({ index: 3 }).startMs;
      const query = { productId: 'BTC-USD', granularity: 'ONE_HOUR', asOfMs } as const;
      for (const limit of [2.5, -1, Number.NaN, Number.POSITIVE_INFINITY]) await expectCode(store.getCandles({ ...query, limit }), 'validation_failed');
      await expectCode(store.getCandles({ ...query, asOfMs: Number.NaN }), 'validation_failed');
      await expectCode(store.getCandles({ ...query, fromStartMs: Number.NaN }), 'validation_failed');
      await expectCode(store.getCandles({ ...query, granularity: 'TEN_MINUTES' as never }), 'validation_failed');
      await expectCode(store.getCandles({ ...query, productId: 7 as never }), 'validation_failed');
      expect(await store.getCandles({ ...query, limit: 0 })).toEqual([]);
      expect((await store.getCandles({ ...query, limit: 2 })).map((candle) => candle.startMs)).toEqual([1, 2].map((index) => testCandle({ index }).startMs));
    });

    it('counts a large batch exactly (a store may take another path for it): inserted, then duplicates', async () => {
      const candles = Array.from({ length: 2_500 }, (_, index) => testCandle({ index, productId: 'BULK-USD', granularity: 'ONE_MINUTE' }));
      expect(await store.putCandles(candles)).toEqual({ inserted: 2_500, duplicates: 0, conflicts: [] });
      expect(await store.putCandles(candles)).toEqual({ inserted: 0, duplicates: 2_500, conflicts: [] });
    });

    it('refuses an invalid candle before writing anything', async () => {
      await expectCode(store.putCandles([testCandle({ index: 0 }), { ...testCandle({ index: 1 }), high: 1, low: 2 }]), 'validation_failed');
      await expectCode(store.putCandles([{ ...testCandle({ index: 0 }), close: Number.NaN }]), 'validation_failed');
      expect(await store.getLatestCandle('BTC-USD', 'ONE_HOUR')).toBeUndefined();
    });

    it('inserts records first-write-wins: duplicate is a no-op, other content is a conflict', async () => {
      const recommendation = testRecommendation();
      expect(await store.insertRecommendation(recommendation, 'PENDING_VALIDATION')).toEqual({ status: 'inserted' });
      expect(await store.insertRecommendation(recommendation, 'PENDING_VALIDATION')).toEqual({ status: 'duplicate' });
      await expectCode(store.insertRecommendation({ ...recommendation, quoteAmount: decimal('250') }, 'PENDING_VALIDATION'), 'record_conflict');
      const stored = await store.getRecommendation(recommendation.id);
      expect(stored?.record.quoteAmount).toBe('100');
      expect(stored?.status.state).toBe('PENDING_VALIDATION');
      expect(await store.listRecommendations({ state: 'PENDING_VALIDATION' })).toHaveLength(1);
    });

    it('claims with a lease, completes with writes atomically, and moves the item on', async () => {
      await seedCandles(1);
      const [claim] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w1', leaseMs, limit: 5, ordered: true });
      expect(claim?.id).toBe(candleWorkId(testCandle({ index: 0 })));
      const signal = testSignal();
      await store.complete(claim!, { state: 'DONE', writes: [{ type: 'signal', record: signal }] });
      expect((await store.getWorkStatus('candle', claim!.id))?.state).toBe('DONE');
      expect(await store.getSignal(signal.id)).toEqual(signal);
      expect((await store.getWorkStatus('signal', signal.id))?.state).toBe('PENDING');
      expect(await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w1', leaseMs, limit: 5 })).toEqual([]);
    });

    it('applies nothing when one write of a completion conflicts', async () => {
      const recommendation = testRecommendation();
      await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
      await seedCandles(1);
      const [claim] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w1', leaseMs, limit: 1 });
      const signal = testSignal();
      const conflicting = { ...recommendation, quoteAmount: decimal('5') };
      await expectCode(
        store.complete(claim!, {
          state: 'DONE',
          writes: [
            { type: 'signal', record: signal },
            { type: 'recommendation', record: conflicting, state: 'PENDING_VALIDATION' },
          ],
        }),
        'record_conflict',
      );
      expect(await store.getSignal(signal.id)).toBeUndefined();
      expect((await store.getWorkStatus('candle', claim!.id))?.state).toBe('PENDING');
    });

    it('fences a worker whose lease expired and was reclaimed', async () => {
      await seedCandles(1);
      const [stale] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'slow', leaseMs, limit: 1 });
      expect(await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'fast', leaseMs, limit: 1 })).toEqual([]);
      await harness.advanceTimeMs(store, leaseMs + 100);
      const [fresh] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'fast', leaseMs: 60_000, limit: 1 });
      expect(fresh?.id).toBe(stale!.id);
      expect(fresh!.fencingToken).not.toBe(stale!.fencingToken);
      await expectCode(store.complete(stale!, { state: 'DONE' }), 'lease_lost');
      await expectCode(store.release(stale!), 'lease_lost');
      await store.complete(fresh!, { state: 'DONE' });
      await expectCode(store.complete(fresh!, { state: 'DONE' }), 'lease_lost');
    });

    it('renews a held lease so a slow worker keeps its item, and refuses a stale renewal', async () => {
      await seedCandles(1);
      const [held] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'slow', leaseMs, limit: 1 });
      await harness.advanceTimeMs(store, Math.round(leaseMs * 0.6));
      const renewed = await store.renewLease(held!, leaseMs);
      expect(renewed.fencingToken).toBe(held!.fencingToken);
      expect(renewed.leaseExpiresAtMs).toBeGreaterThan(held!.leaseExpiresAtMs);
      await harness.advanceTimeMs(store, Math.round(leaseMs * 0.6));
      expect(await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'other', leaseMs, limit: 1 })).toEqual([]);
      await harness.advanceTimeMs(store, leaseMs + 100);
      const [taken] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'other', leaseMs: 60_000, limit: 1 });
      expect(taken?.id).toBe(held!.id);
      await expectCode(store.renewLease(renewed, leaseMs), 'lease_lost');
      await store.complete(taken!, { state: 'DONE' });
    });

    it('claims ordered partitions oldest first, one leased item per partition', async () => {
      await seedCandles(3, 'BTC-USD');
      await seedCandles(2, 'ETH-USD');
      const first = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w1', leaseMs: 60_000, limit: 10, ordered: true });
      expect(first.map((claim) => claim.id).sort()).toEqual(
        [candleWorkId(testCandle({ index: 0 })), candleWorkId(testCandle({ index: 0, productId: 'ETH-USD' }))].sort(),
      );
      expect(await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w2', leaseMs: 60_000, limit: 10, ordered: true })).toEqual([]);
      const btc = first.find((claim) => claim.partitionKey === 'BTC-USD/ONE_HOUR')!;
      await store.complete(btc, { state: 'DONE' });
      const next = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w2', leaseMs: 60_000, limit: 10, ordered: true });
      expect(next.map((claim) => claim.id)).toEqual([candleWorkId(testCandle({ index: 1 }))]);
    });

    it('tells an ordered claim whether items in its state were left (moreWaiting), when it tells', async () => {
      const request = { kind: 'candle', state: 'PENDING', leaseMs: 60_000, limit: 10, ordered: true } as const;
      const moreWaiting = (claims: readonly { readonly moreWaiting?: boolean }[]): (boolean | undefined)[] => claims.map((claim) => claim.moreWaiting);
      await seedCandles(2, 'BTC-USD');
      const first = await store.claim({ ...request, workerId: 'w1' });
      expect(first).toHaveLength(1);
      if (first[0]!.moreWaiting === undefined) return; // this store does not tell
      expect(moreWaiting(first)).toEqual([true]); // the second candle waits behind the first
      await store.complete(first[0]!, { state: 'DONE' });
      const second = await store.claim({ ...request, workerId: 'w1' });
      expect(moreWaiting(second)).toEqual([false]);
      await seedCandles(1, 'ETH-USD');
      const eth = await store.claim({ ...request, workerId: 'w2', limit: 1 });
      expect(eth.map((claim) => claim.partitionKey)).toEqual(['ETH-USD/ONE_HOUR']);
      expect(moreWaiting(eth)).toEqual([true]); // the leased BTC candle is still in the state
    });

    it('claims ordered signals oldest first per partition', async () => {
      await seedCandles(1);
      const [claim] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs: 60_000, limit: 1 });
      const signals = [
        testSignal({ candleStartMs: testCandle({ index: 1 }).startMs }),
        testSignal({ candleStartMs: testCandle({ index: 0 }).startMs }),
        testSignal({ productId: 'ETH-USD', candleStartMs: testCandle({ index: 2 }).startMs }),
      ];
      await store.complete(claim!, { state: 'DONE', writes: signals.map((record) => ({ type: 'signal' as const, record })) });
      const first = await store.claim({ kind: 'signal', state: 'PENDING', workerId: 'w', leaseMs: 60_000, limit: 10, ordered: true });
      expect(first.map((item) => item.id).sort()).toEqual([signals[1]!.id, signals[2]!.id].sort());
      expect(await store.claim({ kind: 'signal', state: 'PENDING', workerId: 'w2', leaseMs: 60_000, limit: 10, ordered: true })).toEqual([]);
      expect(await store.countSignalsByAction({})).toEqual({ BUY: 3 });
      expect(await store.countSignalsByAction({ productId: 'ETH-USD' })).toEqual({ BUY: 1 });
      expect(await store.countSignalsByAction({ productId: 'SOL-USD' })).toEqual({});
      const secondStartMs = testCandle({ index: 1 }).startMs;
      expect(await store.countSignalsByAction({ fromCandleStartMs: secondStartMs })).toEqual({ BUY: 2 });
      expect(await store.countSignalsByAction({ toCandleStartMs: secondStartMs })).toEqual({ BUY: 2 });
      expect(await store.countSignalsByAction({ productId: 'BTC-USD', fromCandleStartMs: secondStartMs, toCandleStartMs: secondStartMs })).toEqual({ BUY: 1 });
      await store.complete(first.find((item) => item.id === signals[1]!.id)!, { state: 'DONE' });
      const next = await store.claim({ kind: 'signal', state: 'PENDING', workerId: 'w2', leaseMs: 60_000, limit: 10, ordered: true });
      expect(next.map((item) => item.id)).toEqual([signals[0]!.id]);
    });

    it('gives a claim the record stored for its item, when it carries one', async () => {
      await seedCandles(1);
      const [candle] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs: 60_000, limit: 1, ordered: true });
      if (candle?.record !== undefined) expect(candle.record).toEqual(await store.getCandle('BTC-USD', 'ONE_HOUR', testCandle({ index: 0 }).startMs));
      const signal = testSignal({ candleStartMs: testCandle({ index: 0 }).startMs });
      await store.complete(candle!, { state: 'DONE', writes: [{ type: 'signal', record: signal }] });
      const [claimedSignal] = await store.claim({ kind: 'signal', state: 'PENDING', workerId: 'w', leaseMs: 60_000, limit: 1, ordered: true });
      expect(claimedSignal?.id).toBe(signal.id);
      if (claimedSignal?.record !== undefined) expect(claimedSignal.record).toEqual(await store.getSignal(signal.id));
      const recommendation = testRecommendation();
      await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
      const [claimedRecommendation] = await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'w', leaseMs: 60_000, limit: 1 });
      expect(claimedRecommendation?.id).toBe(recommendation.id);
      if (claimedRecommendation?.record !== undefined) expect(claimedRecommendation.record).toEqual((await store.getRecommendation(recommendation.id))?.record);
    });

    it('never hands one item to two concurrent claimers', async () => {
      for (let index = 0; index < 12; index += 1) await store.insertRecommendation(testRecommendation({ index }), 'PENDING_VALIDATION');
      const batches = await Promise.all(
        Array.from({ length: 6 }, (_, worker) =>
          store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: `w${worker}`, leaseMs: 60_000, limit: 3 }),
        ),
      );
      const ids = batches.flat().map((claim) => claim.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(12);
    });

    it('releases with a delay without counting an attempt', async () => {
      await store.insertRecommendation(testRecommendation(), 'SUBMITTED');
      const [claim] = await store.claim({ kind: 'recommendation', state: 'SUBMITTED', workerId: 'w', leaseMs, limit: 1 });
      await store.release(claim!, { delayMs: leaseMs });
      expect(await store.claim({ kind: 'recommendation', state: 'SUBMITTED', workerId: 'w', leaseMs, limit: 1 })).toEqual([]);
      await harness.advanceTimeMs(store, leaseMs + 100);
      const [again] = await store.claim({ kind: 'recommendation', state: 'SUBMITTED', workerId: 'w', leaseMs, limit: 1 });
      expect(again?.attempt).toBe(0);
    });

    // A missed wake-up would leave a wait running for its whole minute: the test's own timeout fails it.
    it('wakes a worker waiting for a state when work arrives in it: a completion, a written record, a release', async () => {
      const wait = (state?: string): Promise<void> => store.waitForWork('recommendation', { timeoutMs: 60_000, ...(state === undefined ? {} : { state }) });
      const first = testRecommendation({ index: 0 });
      // Once this wait ends, the store hears its notifications (a server store subscribes on the first wait).
      const subscribed = wait();
      await store.insertRecommendation(first, 'PENDING_VALIDATION');
      await subscribed;
      const [validating] = await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'w', leaseMs: 60_000, limit: 1 });
      const forRisk = wait('PENDING_RISK');
      const forAny = wait();
      await store.complete(validating!, { state: 'PENDING_RISK' });
      await Promise.all([forRisk, forAny]);
      await seedCandles(1);
      const [candle] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs: 60_000, limit: 1, ordered: true });
      const second = testRecommendation({ index: 1 });
      const forValidation = wait('PENDING_VALIDATION');
      await store.complete(candle!, { state: 'DONE', writes: [{ type: 'recommendation', record: second, state: 'PENDING_VALIDATION' }] });
      await forValidation;
      const [risking] = await store.claim({ kind: 'recommendation', state: 'PENDING_RISK', workerId: 'w', leaseMs: 60_000, limit: 1 });
      const forReleased = wait('PENDING_RISK');
      await store.release(risking!);
      await forReleased;
    }, 30_000);

    it('completes and claims an item for its next holder in one step (completeAndClaim), fenced like a claim', async () => {
      if (store.completeAndClaim === undefined) return; // optional: a store without it is completed, then claimed
      const recommendation = testRecommendation();
      await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
      const [validating] = await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'validation', leaseMs: 60_000, limit: 1 });
      const validation = createValidation({ recommendation, validator: 'hand-on', decision: 'APPROVE', reasons: ['ok'], nowMs: recommendation.createdAtMs });
      const nowMs = await store.nowMs();
      const handed = await store.completeAndClaim(validating!, { state: 'PENDING_RISK', writes: [{ type: 'validation', record: validation }] }, { workerId: 'risk', leaseMs: 60_000 });
      expect(await store.listValidations(recommendation.id)).toEqual([validation]);
      expect((await store.getWorkStatus('recommendation', recommendation.id))?.state).toBe('PENDING_RISK');
      if (handed === undefined) {
        expect(harness.handsOn ?? false).toBe(false);
        // A store that claims nothing leaves the item claimable, as a completion does.
        expect(await store.claim({ kind: 'recommendation', state: 'PENDING_RISK', workerId: 'risk', leaseMs: 60_000, limit: 1 })).toHaveLength(1);
        return;
      }
      expect(handed).toMatchObject({ kind: 'recommendation', id: recommendation.id, state: 'PENDING_RISK', partitionKey: validating!.partitionKey, workerId: 'risk', attempt: 0 });
      expect(handed.fencingToken).toBeGreaterThan(validating!.fencingToken);
      expect(handed.leaseExpiresAtMs).toBeGreaterThanOrEqual(nowMs + 60_000);
      if (handed.record !== undefined) expect(handed.record).toEqual(recommendation);
      // Held by the new claim: nobody else claims it, the completed claim is fenced, the new one completes it.
      expect(await store.claim({ kind: 'recommendation', state: 'PENDING_RISK', workerId: 'other', leaseMs: 60_000, limit: 1 })).toEqual([]);
      await expectCode(store.complete(validating!, { state: 'PENDING_RISK' }), 'lease_lost');
      await expectCode(store.completeAndClaim(validating!, { state: 'PENDING_RISK' }, { workerId: 'risk', leaseMs: 60_000 }), 'lease_lost');
      const renewed = await store.renewLease(handed, 60_000);
      expect(renewed.fencingToken).toBe(handed.fencingToken);
      await store.complete(handed, { state: 'PENDING_EXECUTION' });
      expect((await store.getWorkStatus('recommendation', recommendation.id))?.state).toBe('PENDING_EXECUTION');
    });

    it('hands a dead letter to nobody: completeAndClaim into DEAD_LETTER completes and claims nothing', async () => {
      if (store.completeAndClaim === undefined) return;
      const recommendation = testRecommendation();
      await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
      const [validating] = await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'validation', leaseMs: 60_000, limit: 1 });
      expect(await store.completeAndClaim(validating!, { state: 'DEAD_LETTER', reason: 'poison' }, { workerId: 'other', leaseMs: 60_000 })).toBeUndefined();
      expect((await store.getWorkStatus('recommendation', recommendation.id))?.state).toBe('DEAD_LETTER');
      expect((await store.listDeadLetters({})).map((letter) => letter.id)).toContain(recommendation.id);
    });

    it('applies nothing and claims nothing when completeAndClaim conflicts; a handed-on lease expires like a claim\'s', async () => {
      if (store.completeAndClaim === undefined) return;
      const recommendation = testRecommendation();
      await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
      const [validating] = await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'validation', leaseMs: 60_000, limit: 1 });
      const approval = createValidation({ recommendation, validator: 'hand-on', decision: 'APPROVE', reasons: ['ok'], nowMs: recommendation.createdAtMs });
      await expectCode(
        store.completeAndClaim(validating!, { state: 'PENDING_RISK', writes: [{ type: 'validation', record: approval }, { type: 'validation', record: { ...approval, reasons: ['other'] } }] }, { workerId: 'risk', leaseMs: 60_000 }),
        'record_conflict',
      );
      expect(await store.listValidations(recommendation.id)).toEqual([]);
      expect((await store.getWorkStatus('recommendation', recommendation.id))?.state).toBe('PENDING_VALIDATION');
      // Still the first claim's: the failed hand-on took nothing from it.
      const handed = await store.completeAndClaim(validating!, { state: 'PENDING_RISK' }, { workerId: 'risk', leaseMs });
      if (handed === undefined) {
        expect(harness.handsOn ?? false).toBe(false);
        return;
      }
      await harness.advanceTimeMs(store, leaseMs + 100);
      const [reclaimed] = await store.claim({ kind: 'recommendation', state: 'PENDING_RISK', workerId: 'other', leaseMs: 60_000, limit: 1 });
      expect(reclaimed?.id).toBe(recommendation.id);
      expect(reclaimed!.fencingToken).not.toBe(handed.fencingToken);
      await expectCode(store.complete(handed, { state: 'PENDING_EXECUTION' }), 'lease_lost');
      await store.complete(reclaimed!, { state: 'PENDING_EXECUTION' });
    });

    it('completes and claims the work item a write makes (completeAndClaim with a write), only when the completion inserted it', async () => {
      if (store.completeAndClaim === undefined) return;
      await seedCandles(3);
      const signal = testSignal();
      const recommendation = testRecommendation();
      const [candle] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'signal', leaseMs: 60_000, limit: 1, ordered: true });
      const nowMs = await store.nowMs();
      const writes = [{ type: 'signal' as const, record: signal }, { type: 'recommendation' as const, record: recommendation, state: 'PENDING_VALIDATION' as const }];
      const handed = await store.completeAndClaim(candle!, { state: 'DONE', writes }, { workerId: 'validation', leaseMs: 60_000, write: 1 });
      expect((await store.getWorkStatus('candle', candle!.id))?.state).toBe('DONE');
      expect(await store.getSignal(signal.id)).toEqual(signal);
      expect((await store.getWorkStatus('recommendation', recommendation.id))?.state).toBe('PENDING_VALIDATION');
      // The completed item was freed: the next candle of its partition is claimable.
      expect(await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'signal', leaseMs: 60_000, limit: 1, ordered: true })).toHaveLength(1);
      if (handed === undefined) {
        expect(harness.handsOn ?? false).toBe(false);
        expect(await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'validation', leaseMs: 60_000, limit: 1 })).toHaveLength(1);
        return;
      }
      expect(handed).toMatchObject({ kind: 'recommendation', id: recommendation.id, state: 'PENDING_VALIDATION', partitionKey: 'BTC-USD/ONE_HOUR', workerId: 'validation', attempt: 0 });
      expect(handed.fencingToken).toBeGreaterThan(candle!.fencingToken);
      expect(handed.leaseExpiresAtMs).toBeGreaterThanOrEqual(nowMs + 60_000);
      if (handed.record !== undefined) expect(handed.record).toEqual(recommendation);
      expect(await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'other', leaseMs: 60_000, limit: 1 })).toEqual([]);
      await store.complete(handed, { state: 'PENDING_RISK' });
      // A duplicate write claims nothing and leaves the stored item as it is; a write of no queue claims nothing.
      const [another] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'signal', leaseMs: 60_000, limit: 5 });
      expect(await store.completeAndClaim(another!, { state: 'DONE', writes }, { workerId: 'validation', leaseMs: 60_000, write: 1 })).toBeUndefined();
      expect((await store.getWorkStatus('recommendation', recommendation.id))?.state).toBe('PENDING_RISK');
      expect(await store.claim({ kind: 'recommendation', state: 'PENDING_RISK', workerId: 'risk', leaseMs: 60_000, limit: 1 })).toHaveLength(1);
      const [validating] = await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'validation', leaseMs: 60_000, limit: 1 });
      expect(validating).toBeUndefined();
    });

    it('retries a retryable failure after backoff, then ends it in the terminal state with its writes', async () => {
      const recommendation = testRecommendation();
      await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
      const claimOne = async () => (await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'w', leaseMs, limit: 1 }))[0];
      const outcome = {
        error: { code: 'llm_unavailable', message: 'connection refused' },
        retryable: true,
        maxAttempts: 2,
        backoffMs: leaseMs,
        terminalState: 'REJECTED' as const,
        terminalReason: 'retries_exhausted',
      };
      const first = await claimOne();
      expect((await store.fail(first!, outcome)).kind).toBe('retry_scheduled');
      expect(await claimOne()).toBeUndefined();
      await harness.advanceTimeMs(store, leaseMs + 100);
      const second = await claimOne();
      expect(second?.attempt).toBe(1);
      const rejection = {
        id: recordId('validation', [recommendation.id, 'test']),
        recommendationId: recommendation.id,
        validator: 'test',
        decision: 'REJECT' as const,
        reasons: ['retries exhausted'],
        riskFlags: [],
        failure: { kind: 'retries_exhausted' as const, message: 'connection refused' },
        validatedAtMs: recommendation.createdAtMs,
      };
      expect((await store.fail(second!, { ...outcome, terminalWrites: [{ type: 'validation', record: rejection }] })).kind).toBe('terminal');
      const status = await store.getWorkStatus('recommendation', recommendation.id);
      expect(status).toMatchObject({ state: 'REJECTED', reason: 'retries_exhausted', attempt: 2, lastError: { code: 'llm_unavailable' } });
      expect(await store.listValidations(recommendation.id)).toEqual([rejection]);
    });

    it('takes a record repeated within one completion once, and refuses a repeat with other content', async () => {
      const recommendation = testRecommendation();
      await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
      const claimOne = async () => (await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'w', leaseMs, limit: 1 }))[0];
      const approval = createValidation({ recommendation, validator: 'twice', decision: 'APPROVE', reasons: ['ok'], nowMs: recommendation.createdAtMs });
      const claim = await claimOne();
      await expectCode(
        store.complete(claim!, { state: 'PENDING_RISK', writes: [{ type: 'validation', record: approval }, { type: 'validation', record: { ...approval, reasons: ['other'] } }] }),
        'record_conflict',
      );
      expect(await store.listValidations(recommendation.id)).toEqual([]);
      await store.complete(claim!, { state: 'PENDING_RISK', writes: [{ type: 'validation', record: approval }, { type: 'validation', record: approval }] });
      expect(await store.listValidations(recommendation.id)).toEqual([approval]);
      expect((await store.getWorkStatus('recommendation', recommendation.id))?.state).toBe('PENDING_RISK');
    });

    it('dead-letters a permanent failure at once', async () => {
      await seedCandles(1);
      const [claim] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs, limit: 1 });
      const result = await store.fail(claim!, {
        error: { code: 'internal', message: 'bug' },
        retryable: false,
        maxAttempts: 5,
        backoffMs: 0,
        terminalState: 'DEAD_LETTER',
      });
      expect(result.kind).toBe('terminal');
      expect(await store.getWorkStatus('candle', claim!.id)).toMatchObject({ state: 'DEAD_LETTER', lastError: { message: 'bug' } });
      expect(await store.countByState('candle')).toMatchObject({ DEAD_LETTER: 1 });
    });

    it('reserves exposure atomically: concurrent approvals never exceed the limit', async () => {
      const recommendations = [0, 1, 2].map((index) => testRecommendation({ index }));
      const nowMs = await store.nowMs();
      const results = await Promise.allSettled(
        recommendations.map((recommendation) => {
          const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
          return store.recordRiskDecision({
            assessment: testAssessment(recommendation),
            approval,
            reservation,
            limits: { maxTotalExposureQuote: 250 },
            markPrices: { 'BTC-USD': 100_000 },
          });
        }),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(2);
      const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
      expect(isTradepipeError(refused.reason, 'exposure_limit_exceeded')).toBe(true);
      expect(await store.listActiveReservations()).toHaveLength(2);
      const first = recommendations.find((_, index) => results[index]!.status === 'fulfilled')!;
      const again = await store.recordRiskDecision({ assessment: { ...testAssessment(first), riskScore: 0.9 } });
      expect(again.status).toBe('existing');
      expect(again.assessment.riskScore).toBe(0.3);
    });

    it('checks portfolio heat and the order count inside the reservation', async () => {
      const nowMs = await store.nowMs();
      const decide = (index: number, limits: Parameters<PipelineStore['recordRiskDecision']>[0]['limits']) => {
        const recommendation = testRecommendation({ index });
        const pair = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
        return store.recordRiskDecision({ assessment: testAssessment(recommendation), ...pair, limits, markPrices: { 'BTC-USD': 100_000 } });
      };
      const limitOf = async (promise: Promise<unknown>) =>
        promise.then(
          () => 'recorded',
          (error: unknown) => (isTradepipeError(error, 'exposure_limit_exceeded') ? String(error.details.limit) : String(error)),
        );
      // Heat: 100 of a product with volatility 1.0 on 10,000 of equity is 0.01; the limit 0.02 holds two.
      const heat = { maxPortfolioHeat: { limit: 0.02, equityQuote: 10_000, volatilities: { 'BTC-USD': 1 }, fallbackVolatility: 2 } };
      expect(await limitOf(decide(0, heat))).toBe('recorded');
      expect(await limitOf(decide(1, heat))).toBe('recorded');
      expect(await limitOf(decide(2, heat))).toBe('max_portfolio_heat');
      // Orders: the two unconsumed approvals already count against a limit of three.
      const orders = { maxOrders: { limit: 3, sinceMs: nowMs - 3_600_000 } };
      expect(await limitOf(decide(3, orders))).toBe('recorded');
      expect(await limitOf(decide(4, orders))).toBe('max_orders_per_hour');
    });

    it('consumes an approval exactly once, together with the order intent', async () => {
      const recommendation = testRecommendation();
      const nowMs = await store.nowMs();
      const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
      await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
      const intent = testOrderIntent(approval, nowMs);
      await expectCode(store.consumeApprovalAndRecordOrderIntent({ ...approval, maxQuoteAmount: decimal('1000') }, intent), 'approval_invalid');
      await expectCode(store.consumeApprovalAndRecordOrderIntent(approval, { ...intent, quoteSize: decimal('100.01') }), 'approval_invalid');
      const results = await Promise.allSettled([
        store.consumeApprovalAndRecordOrderIntent(approval, intent),
        store.consumeApprovalAndRecordOrderIntent(approval, intent),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      await expectCode(store.consumeApprovalAndRecordOrderIntent(approval, intent), 'approval_consumed');
      expect((await store.getOrderByClientOrderId(approval.clientOrderId))?.status).toBe('INTENT_RECORDED');
    });

    it('refuses to place an approved BUY once the kill switch is engaged, but lets a SELL through', async () => {
      const nowMs = await store.nowMs();
      const buy = testRecommendation();
      const first = testApproval(buy, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
      await store.recordRiskDecision({ assessment: testAssessment(buy), ...first });
      const { order } = await store.consumeApprovalAndRecordOrderIntent(first.approval, testOrderIntent(first.approval, nowMs));
      await store.recordFill(testFill(order, { sizeBase: decimal('0.002') }), { quoteCurrency: 'USD', baseCurrency: 'BTC' });
      const second = testRecommendation({ index: 1 });
      const sell = testRecommendation({ index: 2, side: 'SELL', baseSize: decimal('0.001') });
      const pairs = [second, sell].map((recommendation) => ({ recommendation, ...testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 }) }));
      for (const pair of pairs) await store.recordRiskDecision({ assessment: testAssessment(pair.recommendation), approval: pair.approval, reservation: pair.reservation });
      await store.updateRiskState({ killSwitch: { engaged: true, mode: 'freeze', reason: 'incident' }, updatedAtMs: nowMs });
      await expectCode(store.consumeApprovalAndRecordOrderIntent(pairs[0]!.approval, testOrderIntent(pairs[0]!.approval, nowMs)), 'kill_switch_engaged');
      // The refusal left nothing behind: no order, the approval unused.
      expect(await store.getOrderByClientOrderId(pairs[0]!.approval.clientOrderId)).toBeUndefined();
      expect((await store.consumeApprovalAndRecordOrderIntent(pairs[1]!.approval, testOrderIntent(pairs[1]!.approval, nowMs))).order.side).toBe('SELL');
      await store.updateRiskState({ killSwitch: { engaged: false, mode: 'freeze' }, updatedAtMs: nowMs });
      expect((await store.consumeApprovalAndRecordOrderIntent(pairs[0]!.approval, testOrderIntent(pairs[0]!.approval, nowMs))).order.side).toBe('BUY');
    });

    it('refuses an expired approval', async () => {
      const recommendation = testRecommendation();
      const nowMs = await store.nowMs();
      const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: leaseMs });
      await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
      await harness.advanceTimeMs(store, leaseMs + 100);
      await expectCode(store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs)), 'approval_expired');
      expect(await store.listActiveReservations()).toEqual([]);
    });

    it('checks order transitions and releases the reservation when the order ends', async () => {
      const recommendation = testRecommendation();
      const nowMs = await store.nowMs();
      const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
      await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
      const { order } = await store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs));
      expect(await store.listActiveReservations()).toHaveLength(1);
      await store.updateOrder(order.id, { status: 'SUBMITTED', submittedAtMs: nowMs, updatedAtMs: nowMs });
      await store.updateOrder(order.id, { status: 'ACKNOWLEDGED', exchangeOrderId: 'x-1', updatedAtMs: nowMs });
      await expectCode(store.updateOrder(order.id, { status: 'INTENT_RECORDED', updatedAtMs: nowMs }), 'invalid_state_transition');
      // Compare-and-set: applied only while the stored status and reason are what the caller read.
      await expectCode(store.updateOrder(order.id, { status: 'UNKNOWN', updatedAtMs: nowMs, expected: { status: 'SUBMITTED' } }), 'order_conflict');
      expect((await store.getOrder(order.id))?.status).toBe('ACKNOWLEDGED');
      await expectCode(store.updateOrder(order.id, { status: 'UNKNOWN', updatedAtMs: nowMs, expected: { status: 'ACKNOWLEDGED', statusReason: 'SEND_IN_FLIGHT' } }), 'order_conflict');
      expect((await store.updateOrder(order.id, { updatedAtMs: nowMs, statusReason: 'seen', expected: { status: 'ACKNOWLEDGED' } })).statusReason).toBe('seen');
      await store.updateOrder(order.id, { status: 'EXECUTED', filledBaseSize: decimal('0.002'), updatedAtMs: nowMs, completedAtMs: nowMs });
      await expectCode(store.updateOrder(order.id, { status: 'FAILED', updatedAtMs: nowMs }), 'invalid_state_transition');
      expect(await store.listActiveReservations()).toEqual([]);
      expect(await store.countOrdersSince(nowMs - 1)).toBe(1);
      expect(await store.listOrders({ statuses: ['EXECUTED'] })).toHaveLength(1);
      await expectCode(store.updateOrder('ord_missing', { status: 'FAILED', updatedAtMs: nowMs }), 'not_found');
    });

    it('keeps an order\'s approval and recommendation as stored when an update carries others, and still releases its reservation', async () => {
      const recommendation = testRecommendation();
      const nowMs = await store.nowMs();
      const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
      await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
      const { order } = await store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs));
      // An untyped caller (plain JavaScript, a cast) may pass fields `OrderUpdate` leaves out.
      const foreign = { approvalId: 'apr_someone_else', recommendationId: 'rec_someone_else' } as unknown as OrderUpdate;
      const ended = await store.updateOrder(order.id, { ...foreign, status: 'FAILED', statusReason: 'test', updatedAtMs: nowMs, completedAtMs: nowMs });
      expect({ approvalId: ended.approvalId, recommendationId: ended.recommendationId }).toEqual({ approvalId: order.approvalId, recommendationId: order.recommendationId });
      expect(await store.getOrder(order.id)).toEqual(ended);
      expect(await store.listActiveReservations()).toEqual([]);
    });

    it('takes a second update to the same terminal status as a no-op, and refuses any other move out of it', async () => {
      const recommendation = testRecommendation();
      const nowMs = await store.nowMs();
      const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
      await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
      const { order } = await store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs));
      const executed = await store.updateOrder(order.id, { status: 'EXECUTED', filledBaseSize: decimal('0.002'), updatedAtMs: nowMs, completedAtMs: nowMs });
      const again = await store.updateOrder(order.id, { status: 'EXECUTED', filledBaseSize: decimal('0.003'), updatedAtMs: nowMs + 5, completedAtMs: nowMs + 5 });
      expect(again).toEqual(executed);
      expect(await store.getOrder(order.id)).toEqual(executed);
      await expectCode(store.updateOrder(order.id, { status: 'ACKNOWLEDGED', updatedAtMs: nowMs + 6 }), 'invalid_state_transition');
    });

    it('records a fill once and keeps positions and balances', async () => {
      const recommendation = testRecommendation();
      const nowMs = await store.nowMs();
      const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
      await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
      const { order } = await store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs));
      await store.putBalances([{ currency: 'USD', available: decimal('1000'), hold: decimal('0'), updatedAtMs: nowMs }]);
      const buy = testFill(order);
      const currencies = { quoteCurrency: 'USD', baseCurrency: 'BTC' };
      expect(await store.recordFill(buy, currencies)).toEqual({ status: 'inserted' });
      expect(await store.recordFill(buy, currencies)).toEqual({ status: 'duplicate' });
      await expectCode(store.recordFill({ ...buy, price: decimal('1') }, currencies), 'record_conflict');
      const position = await store.getPosition('BTC-USD');
      expect(position).toMatchObject({ sizeBase: '0.002', costBasisQuote: '101.2', averageEntryPrice: '50600' });
      const balances = Object.fromEntries((await store.listBalances()).map((balance) => [balance.currency, balance.available]));
      expect(balances).toEqual({ USD: '898.8', BTC: '0.002' });
      const sell = testFill(order, { id: 'fill-sell', side: 'SELL', price: decimal('60000'), sizeBase: decimal('0.002'), commission: decimal('1.44') });
      await store.recordFill(sell, currencies);
      expect(await store.getPosition('BTC-USD')).toMatchObject({ sizeBase: '0', realizedPnlQuote: '17.36' });
      expect(await store.listPositions()).toEqual([]);
      expect(await store.listFills(order.id)).toHaveLength(2);
    });

    it('ends an order only with the fills counted (expected.fillCount), and books a fill only onto the order as read (expectedOrder)', async () => {
      const recommendation = testRecommendation({ index: 7 });
      const nowMs = await store.nowMs();
      const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
      await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
      const { order } = await store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs));
      await store.putBalances([{ currency: 'USD', available: decimal('1000'), hold: decimal('0'), updatedAtMs: nowMs }]);
      await store.updateOrder(order.id, { status: 'SUBMITTED', submittedAtMs: nowMs, updatedAtMs: nowMs });
      const held = await store.updateOrder(order.id, { status: 'ACKNOWLEDGED', exchangeOrderId: 'x-7', statusReason: 'HELD_TEST', updatedAtMs: nowMs });
      const currencies = { quoteCurrency: 'USD', baseCurrency: 'BTC' };
      const asRead = { status: held.status, statusReason: held.statusReason };
      // A fill onto the order as read is booked; a second one while it is still so, too.
      expect(await store.recordFill(testFill(order, { id: 'fill-cas-1' }), { ...currencies, expectedOrder: asRead })).toEqual({ status: 'inserted' });
      // The order's end counted one fill: a second recorded since makes the store refuse, changing nothing.
      await store.recordFill(testFill(order, { id: 'fill-cas-2', filledAtMs: order.createdAtMs + 1_001 }), { ...currencies, expectedOrder: asRead });
      const end = { status: 'EXECUTED' as const, filledBaseSize: decimal('0.004'), updatedAtMs: nowMs, completedAtMs: nowMs };
      await expectCode(store.updateOrder(order.id, { ...end, expected: { ...asRead, fillCount: 1 } }), 'order_conflict');
      expect(await store.getOrder(order.id)).toMatchObject({ status: 'ACKNOWLEDGED', statusReason: 'HELD_TEST' });
      expect(await store.listActiveReservations()).toHaveLength(1);
      await expectCode(store.updateOrder(order.id, { ...end, expected: { ...asRead, fillCount: -1 } }), 'validation_failed');
      // Figures expected as read (expected.filledBaseSize / filledQuoteValue): a figure raised since makes the store
      // refuse; one that is not a decimal is invalid; the figures as read let the end through.
      const raised = await store.updateOrder(order.id, { filledBaseSize: decimal('0.004'), filledQuoteValue: decimal('120.5'), updatedAtMs: nowMs, expected: asRead });
      await expectCode(store.updateOrder(order.id, { ...end, expected: { ...asRead, fillCount: 2, filledBaseSize: held.filledBaseSize } }), 'order_conflict');
      await expectCode(store.updateOrder(order.id, { ...end, expected: { ...asRead, fillCount: 2, filledQuoteValue: decimal('120.4') } }), 'order_conflict');
      expect(await store.getOrder(order.id)).toMatchObject({ status: 'ACKNOWLEDGED', filledBaseSize: '0.004' });
      await expectCode(store.updateOrder(order.id, { ...end, expected: { ...asRead, filledBaseSize: 'lots' as never } }), 'validation_failed');
      await expectCode(store.updateOrder(order.id, { ...end, expected: { ...asRead, filledQuoteValue: '-1' as never } }), 'validation_failed');
      const ended = await store.updateOrder(order.id, {
        ...end,
        statusReason: 'SETTLED',
        expected: { ...asRead, fillCount: 2, filledBaseSize: raised.filledBaseSize, filledQuoteValue: raised.filledQuoteValue },
      });
      expect(ended).toMatchObject({ status: 'EXECUTED', statusReason: 'SETTLED' });
      // A fill read while the order was held is not booked onto the ended order: nothing recorded, the ledger untouched.
      const balancesBefore = await store.listBalances();
      const positionBefore = await store.getPosition('BTC-USD');
      await expectCode(store.recordFill(testFill(order, { id: 'fill-cas-3', filledAtMs: order.createdAtMs + 1_002 }), { ...currencies, expectedOrder: asRead }), 'order_conflict');
      expect((await store.listFills(order.id)).map((fill) => fill.id)).toEqual(['fill-cas-1', 'fill-cas-2']);
      expect(await store.listBalances()).toEqual(balancesBefore);
      expect(await store.getPosition('BTC-USD')).toEqual(positionBefore);
      await expectCode(store.recordFill(testFill(order, { id: 'fill-cas-4', orderId: 'ord_missing' }), { ...currencies, expectedOrder: asRead }), 'not_found');
      // A fill recorded already is a duplicate, however its order changed since: a repeat is never refused for the order.
      expect(await store.recordFill(testFill(order, { id: 'fill-cas-1' }), { ...currencies, expectedOrder: asRead })).toEqual({ status: 'duplicate' });
      await expectCode(store.recordFill(testFill(order, { id: 'fill-cas-1', price: decimal('1') }), { ...currencies, expectedOrder: asRead }), 'record_conflict');
      await expectCode(store.recordFill(testFill(order, { id: 'fill-cas-6' }), { ...currencies, expectedOrder: null as never }), 'validation_failed');
      // Without expectedOrder a fill is booked whatever the order's state (a venue's late fill of an ended order).
      expect(await store.recordFill(testFill(order, { id: 'fill-cas-5', filledAtMs: order.createdAtMs + 1_003 }), currencies)).toEqual({ status: 'inserted' });
    });

    it('limits a SELL reservation to what is held', async () => {
      const nowMs = await store.nowMs();
      const buy = testRecommendation();
      const { approval, reservation } = testApproval(buy, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
      await store.recordRiskDecision({ assessment: testAssessment(buy), approval, reservation });
      const { order } = await store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs));
      await store.recordFill(testFill(order, { sizeBase: decimal('0.001') }), { quoteCurrency: 'USD', baseCurrency: 'BTC' });
      const sells = [1, 2].map((index) => testRecommendation({ index, side: 'SELL', baseSize: decimal('0.0006') }));
      const decide = (recommendation: (typeof sells)[number]) => {
        const pair = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
        return store.recordRiskDecision({ assessment: testAssessment(recommendation), ...pair });
      };
      await decide(sells[0]!);
      await expectCode(decide(sells[1]!), 'exposure_limit_exceeded');
    });

    it('keeps risk state, equity, checkpoints, products and health', async () => {
      const nowMs = await store.nowMs();
      expect((await store.getRiskState()).killSwitch.engaged).toBe(false);
      await store.updateRiskState({ killSwitch: { engaged: true, mode: 'flatten', reason: 'operator' }, updatedAtMs: nowMs });
      expect((await store.getRiskState()).killSwitch).toMatchObject({ engaged: true, mode: 'flatten' });
      const dayStartMs = Date.UTC(2025, 0, 2);
      await store.recordEquity({ atMs: dayStartMs + 5, equityQuote: 1000 });
      await store.recordEquity({ atMs: dayStartMs + 10, equityQuote: 900 });
      expect(await store.getDayStartEquity(dayStartMs)).toEqual({ atMs: dayStartMs + 5, equityQuote: 1000 });
      expect(await store.getDayStartEquity(dayStartMs + 86_400_000)).toBeUndefined();
      await store.saveCheckpoint('features/BTC-USD', { a: [1, 2] }, nowMs);
      await store.saveCheckpoint('features/BTC-USD', { a: [3] }, nowMs + 1);
      expect(await store.loadCheckpoint('features/BTC-USD')).toEqual({ value: { a: [3] }, atMs: nowMs + 1 });
      await store.putProduct(testProduct());
      await store.putProduct(testProduct({ status: 'cancel_only' }));
      expect((await store.getProduct('BTC-USD'))?.status).toBe('cancel_only');
      expect(await store.listProducts()).toHaveLength(1);
      await store.recordHealth({ service: 'risk', status: 'ok', checks: [{ name: 'store', status: 'ok' }], reportedAtMs: nowMs });
      expect((await store.latestHealth('risk'))?.status).toBe('ok');
      await store.ping();
    });

    describeBulkWriteConformance(() => store, leaseMs);
    describeDeadLetterConformance(() => store, (durationMs) => harness.advanceTimeMs(store, durationMs), leaseMs);
  });
}
