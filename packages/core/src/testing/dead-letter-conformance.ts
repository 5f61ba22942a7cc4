import { expect, it } from 'vitest';
import { isTradepipeError } from '../errors.js';
import type { FailureOutcome, PipelineStore, WorkKind } from '../store.js';
import { candleWorkId } from '../store.js';
import { testApproval, testAssessment, testCandle, testOrderIntent, testRecommendation, testSignal } from './fixtures.js';

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  return isTradepipeError(error) ? error.code : error;
}

const permanent = (message: string): FailureOutcome => ({
  error: { code: 'model_failed', message },
  retryable: false,
  maxAttempts: 3,
  backoffMs: 0,
  terminalState: 'DEAD_LETTER',
});

/** Claims the one item of `kind` in `state` and dead-letters it with a permanent failure; returns its id. */
async function deadLetter(store: PipelineStore, kind: WorkKind, state: string, leaseMs: number, message = 'boom'): Promise<string> {
  const [claim] = await store.claim({ kind, state: state as never, workerId: 'w', leaseMs, limit: 1 });
  expect(claim).toBeDefined();
  expect((await store.fail(claim!, permanent(message) as FailureOutcome<typeof kind>)).kind).toBe('terminal');
  return claim!.id;
}

/**
 * The dead-letter cases of the store conformance suite: listing (oldest first, paged, by kind), re-queueing to
 * the state the item was dead-lettered from with attempts reset and the error kept, discarding to `DISCARDED`,
 * and the refusals (not a dead letter, unknown item, a recommendation with an order, an unknown origin).
 * @param store the store of the running test (a new, empty one per test)
 * @param advanceTimeMs moves the store's clock forward
 * @param leaseMs the suite's lease length
 * @internal Registered by `describeStoreConformance`.
 */
export function describeDeadLetterConformance(store: () => PipelineStore, advanceTimeMs: (durationMs: number) => Promise<void>, leaseMs: number): void {
  it('lists dead letters of every kind, oldest first, with reason, last error, attempts and origin; paged and by kind', async () => {
    await store().putCandles([testCandle({ index: 0 })]);
    const candleId = await deadLetter(store(), 'candle', 'PENDING', leaseMs, 'candle failed');
    await advanceTimeMs(5);
    await store().insertRecommendation(testRecommendation(), 'PENDING_RISK');
    const recommendationId = await deadLetter(store(), 'recommendation', 'PENDING_RISK', leaseMs, 'risk failed');
    await advanceTimeMs(5);
    await store().writeBulk({ signals: [{ record: testSignal(), state: 'PENDING' }] });
    const signalId = await deadLetter(store(), 'signal', 'PENDING', leaseMs, 'bridge failed');

    const all = await store().listDeadLetters();
    expect(all.map((letter) => letter.id)).toEqual([candleId, recommendationId, signalId]);
    expect(all[1]).toMatchObject({ kind: 'recommendation', partitionKey: 'BTC-USD/ONE_HOUR', reason: 'risk failed', lastError: { code: 'model_failed', message: 'risk failed' }, attempt: 1, fromState: 'PENDING_RISK' });
    expect(all[0]!.updatedAtMs).toBeLessThan(all[1]!.updatedAtMs);
    const first = await store().listDeadLetters({ limit: 2 });
    expect(first.map((letter) => letter.id)).toEqual([candleId, recommendationId]);
    expect((await store().listDeadLetters({ limit: 2, after: first[1]! })).map((letter) => letter.id)).toEqual([signalId]);
    expect((await store().listDeadLetters({ kind: 'signal' })).map((letter) => letter.id)).toEqual([signalId]);
    for (const limit of [0, 1001, 1.5]) expect(await codeOf(store().listDeadLetters({ limit }))).toBe('validation_failed');
  });

  it('re-queues a dead letter to the state it came from, claimable at once, attempts reset, the error kept', async () => {
    await store().putCandles([testCandle({ index: 0 })]);
    const id = await deadLetter(store(), 'candle', 'PENDING', leaseMs, 'engine crashed');
    const status = await store().requeueDeadLetter('candle', id, { reason: 'engine fixed in 1.2.3' });
    expect(status).toMatchObject({ state: 'PENDING', attempt: 0, lastError: { code: 'model_failed', message: 'engine crashed' } });
    expect(status.reason).toContain('engine fixed in 1.2.3');
    expect(status.reason).toContain('engine crashed');
    expect(await store().getWorkStatus('candle', id)).toEqual(status);
    expect(await store().countByState('candle')).toEqual({ PENDING: 1 });
    expect(await store().listDeadLetters()).toEqual([]);
    const [claim] = await store().claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs, limit: 1, ordered: true });
    expect(claim).toMatchObject({ id, attempt: 0 });

    await store().insertRecommendation(testRecommendation(), 'PENDING_EXECUTION');
    const recommendationId = await deadLetter(store(), 'recommendation', 'PENDING_EXECUTION', leaseMs);
    expect((await store().requeueDeadLetter('recommendation', recommendationId, { reason: 'venue back' })).state).toBe('PENDING_EXECUTION');
    expect((await store().getRecommendation(recommendationId))?.status.state).toBe('PENDING_EXECUTION');
  });

  it('keeps a dead letter\'s origin when a sweep claims and releases it, or completes it dead-lettered again', async () => {
    await store().insertRecommendation(testRecommendation(), 'PENDING_RISK');
    const id = await deadLetter(store(), 'recommendation', 'PENDING_RISK', leaseMs);
    // The order reconciler's orphan sweep claims DEAD_LETTER recommendations and releases the ones it leaves.
    const [swept] = await store().claim({ kind: 'recommendation', state: 'DEAD_LETTER', workerId: 'sweep', leaseMs, limit: 1 });
    await store().release(swept!);
    const [again] = await store().claim({ kind: 'recommendation', state: 'DEAD_LETTER', workerId: 'sweep', leaseMs, limit: 1 });
    await store().complete(again!, { state: 'DEAD_LETTER', reason: 'still no order' });
    expect((await store().listDeadLetters())[0]).toMatchObject({ id, fromState: 'PENDING_RISK' });
    expect((await store().requeueDeadLetter('recommendation', id, { reason: 'risk fixed' })).state).toBe('PENDING_RISK');
  });

  // A missed wake-up would leave the wait running for its whole minute: the test's own timeout fails it.
  it('wakes a worker waiting for the state a dead letter is re-queued to', async () => {
    await store().insertRecommendation(testRecommendation(), 'PENDING_RISK');
    // Once this wait ends, the store hears its notifications (a server store subscribes on the first wait).
    const subscribed = store().waitForWork('recommendation', { timeoutMs: 60_000 });
    const id = await deadLetter(store(), 'recommendation', 'PENDING_RISK', leaseMs);
    await subscribed;
    const forRisk = store().waitForWork('recommendation', { timeoutMs: 60_000, state: 'PENDING_RISK' });
    await store().requeueDeadLetter('recommendation', id, { reason: 'store back' });
    await forRisk;
  }, 30_000);

  it('never re-runs a recommendation that has an order (order_recorded), but lets it be discarded', async () => {
    const recommendation = testRecommendation();
    await store().insertRecommendation(recommendation, 'PENDING_EXECUTION');
    const nowMs = await store().nowMs();
    const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
    await store().recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
    await store().consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs));
    await deadLetter(store(), 'recommendation', 'PENDING_EXECUTION', leaseMs);
    expect(await codeOf(store().requeueDeadLetter('recommendation', recommendation.id, { reason: 'retry' }))).toBe('order_recorded');
    expect((await store().getWorkStatus('recommendation', recommendation.id))?.state).toBe('DEAD_LETTER');
    expect((await store().discardDeadLetter('recommendation', recommendation.id, { reason: 'order followed by the reconciler' })).state).toBe('DISCARDED');
  });

  it('discards a dead letter: DISCARDED, counted apart, no longer listed, never claimed', async () => {
    await store().putCandles([testCandle({ index: 0 }), testCandle({ index: 1 })]);
    const id = await deadLetter(store(), 'candle', 'PENDING', leaseMs, 'bad data');
    const status = await store().discardDeadLetter('candle', id, { reason: 'exchange sent a bad candle' });
    expect(status).toMatchObject({ state: 'DISCARDED', attempt: 1, lastError: { message: 'bad data' } });
    expect(status.reason).toContain('exchange sent a bad candle');
    expect(await store().countByState('candle')).toEqual({ PENDING: 1, DISCARDED: 1 });
    expect(await store().listDeadLetters()).toEqual([]);
    expect(await codeOf(store().requeueDeadLetter('candle', id, { reason: 'again' }))).toBe('invalid_state_transition');
    expect(await codeOf(store().discardDeadLetter('candle', id, { reason: 'again' }))).toBe('invalid_state_transition');
  });

  it('refuses what is not a dead letter, an unknown item, an empty reason and a recommendation of unknown origin', async () => {
    const candle = testCandle({ index: 0 });
    await store().putCandles([candle]);
    const pending = candleWorkId(candle);
    expect(await codeOf(store().requeueDeadLetter('candle', pending, { reason: 'x' }))).toBe('invalid_state_transition');
    expect(await codeOf(store().discardDeadLetter('candle', pending, { reason: 'x' }))).toBe('invalid_state_transition');
    expect(await codeOf(store().requeueDeadLetter('candle', 'BTC-USD/ONE_HOUR/1', { reason: 'x' }))).toBe('not_found');
    expect(await codeOf(store().requeueDeadLetter('candle', 'not an id', { reason: 'x' }))).toBe('not_found');
    expect(await codeOf(store().requeueDeadLetter('signal', 'sig_missing', { reason: 'x' }))).toBe('not_found');
    const id = await deadLetter(store(), 'candle', 'PENDING', leaseMs);
    expect(await codeOf(store().requeueDeadLetter('candle', id, { reason: '  ' }))).toBe('validation_failed');
    expect((await store().getWorkStatus('candle', id))?.state).toBe('DEAD_LETTER');
    const recommendation = testRecommendation({ index: 3 });
    await store().insertRecommendation(recommendation, 'DEAD_LETTER', 'imported');
    expect(await codeOf(store().requeueDeadLetter('recommendation', recommendation.id, { reason: 'x' }))).toBe('invalid_state_transition');
    expect((await store().listDeadLetters({ kind: 'recommendation' }))[0]).not.toHaveProperty('fromState');
    expect((await store().discardDeadLetter('recommendation', recommendation.id, { reason: 'imported by mistake' })).state).toBe('DISCARDED');
  });
}
