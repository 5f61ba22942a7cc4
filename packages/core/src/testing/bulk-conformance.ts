import { expect, it } from 'vitest';
import { decimal } from '../decimal.js';
import { isTradepipeError } from '../errors.js';
import { candleWorkId, type PipelineStore } from '../store.js';
import { testCandle, testRecommendation, testSignal } from './fixtures.js';

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  return isTradepipeError(error) ? error.code : error;
}

/**
 * The `writeBulk` cases of the store conformance suite: states and reasons as given, claimable work only in
 * the given states, duplicates as no-ops, and a conflicting or invalid record writing nothing.
 * @param store the store of the running test (a new, empty one per test)
 * @param leaseMs the suite's lease length
 * @internal Registered by `describeStoreConformance`.
 */
export function describeBulkWriteConformance(store: () => PipelineStore, leaseMs: number): void {
  const candles = [0, 1, 2].map((index) => testCandle({ index }));
  const hold = testSignal({ candleStartMs: candles[0]!.startMs, action: 'HOLD' });
  const sell = testSignal({ candleStartMs: candles[1]!.startMs, action: 'SELL' });
  const rejected = testRecommendation({ index: 1, side: 'SELL', baseSize: decimal('0') });

  it('writes candles, signals and settled recommendations in bulk with the states and reasons given', async () => {
    await store().writeBulk({
      candles,
      signals: [
        { record: hold, state: 'DONE', reason: 'hold' },
        { record: sell, state: 'DONE' },
      ],
      recommendations: [{ record: rejected, state: 'REJECTED', reason: 'nothing_held: SELL with no position (no shorting)' }],
    });
    expect(await store().getCandles({ productId: 'BTC-USD', granularity: 'ONE_HOUR', asOfMs: candles[2]!.startMs + 3_600_000 })).toEqual(candles);
    expect((await store().getWorkStatus('candle', candleWorkId(candles[1]!)))?.state).toBe('DONE');
    expect(await store().getSignal(hold.id)).toEqual(hold);
    expect(await store().getWorkStatus('signal', hold.id)).toMatchObject({ state: 'DONE', reason: 'hold', attempt: 0 });
    expect((await store().getWorkStatus('signal', sell.id))?.reason).toBeUndefined();
    const stored = await store().getRecommendation(rejected.id);
    expect(stored?.record).toEqual(rejected);
    expect(stored?.status).toMatchObject({ state: 'REJECTED', reason: 'nothing_held: SELL with no position (no shorting)' });
    expect(await store().countByState('candle')).toEqual({ DONE: 3 });
    for (const kind of ['candle', 'signal'] as const) {
      expect(await store().claim({ kind, state: 'PENDING', workerId: 'w', leaseMs, limit: 10 })).toEqual([]);
    }
  });

  it('makes work claimable only in the states given', async () => {
    await store().writeBulk({
      candles: [candles[0]!],
      candleState: 'PENDING',
      signals: [{ record: sell, state: 'PENDING' }],
      recommendations: [{ record: testRecommendation({ index: 2 }), state: 'PENDING_VALIDATION' }],
    });
    const claim = (kind: 'candle' | 'signal') => store().claim({ kind, state: 'PENDING', workerId: 'w', leaseMs, limit: 10, ordered: true });
    expect((await claim('candle')).map((item) => item.id)).toEqual([candleWorkId(candles[0]!)]);
    expect((await claim('signal')).map((item) => item.id)).toEqual([sell.id]);
    expect(await store().claim({ kind: 'recommendation', state: 'PENDING_RISK', workerId: 'w', leaseMs, limit: 10 })).toEqual([]);
    expect(await store().claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'w', leaseMs, limit: 10 })).toHaveLength(1);
  });

  it('treats records stored before, or twice in the batch, with the same content as no-ops', async () => {
    await store().putCandles([candles[0]!]);
    await store().writeBulk({ candles: [candles[0]!, candles[1]!, candles[1]!], signals: [{ record: hold, state: 'DONE', reason: 'hold' }] });
    await store().writeBulk({ candles: [candles[1]!], signals: [{ record: hold, state: 'PENDING' }, { record: hold, state: 'PENDING' }] });
    // The first write stands, state included: the candle stored PENDING stays PENDING, the signal stays DONE.
    expect((await store().getWorkStatus('candle', candleWorkId(candles[0]!)))?.state).toBe('PENDING');
    expect(await store().getWorkStatus('signal', hold.id)).toMatchObject({ state: 'DONE', reason: 'hold' });
    expect(await store().countByState('candle')).toEqual({ PENDING: 1, DONE: 1 });
  });

  it('writes nothing when one record conflicts with a stored one or another in the batch', async () => {
    await store().insertRecommendation(rejected, 'REJECTED', 'nothing_held');
    const conflicting = { ...rejected, referencePrice: rejected.referencePrice + 1 };
    const batch = { candles, signals: [{ record: hold, state: 'DONE' as const }] };
    expect(await codeOf(store().writeBulk({ ...batch, recommendations: [{ record: conflicting, state: 'REJECTED' }] }))).toBe('record_conflict');
    await store().putCandles([candles[2]!]);
    expect(await codeOf(store().writeBulk({ candles: [candles[0]!, { ...candles[2]!, close: candles[2]!.close + 0.25 }] }))).toBe('record_conflict');
    expect(await codeOf(store().writeBulk({ signals: [{ record: hold, state: 'DONE' }, { record: { ...hold, confidence: 0.1 }, state: 'DONE' }] }))).toBe('record_conflict');
    expect(await store().getCandle('BTC-USD', 'ONE_HOUR', candles[0]!.startMs)).toBeUndefined();
    expect(await store().getSignal(hold.id)).toBeUndefined();
    expect((await store().getRecommendation(rejected.id))?.record).toEqual(rejected);
  });

  it('refuses a bulk write holding a candle not closed at the store clock (candle_not_closed), writing nothing', async () => {
    const hourMs = 3_600_000;
    const nowMs = await store().nowMs();
    const lastClosed = testCandle({ productId: 'SOL-USD', startMs: Math.floor(nowMs / hourMs) * hourMs - hourMs });
    const inProgress = testCandle({ productId: 'SOL-USD', startMs: lastClosed.startMs + hourMs }); // closes after now
    const signal = testSignal({ productId: 'SOL-USD', candleStartMs: lastClosed.startMs, action: 'HOLD' });
    const error = await store()
      .writeBulk({ candles: [lastClosed, inProgress], signals: [{ record: signal, state: 'DONE' }] })
      .then(() => undefined, (thrown: unknown) => thrown);
    expect(isTradepipeError(error, 'candle_not_closed') && !error.retryable && error.details.startMs === inProgress.startMs).toBe(true);
    expect(await store().getLatestCandle('SOL-USD', 'ONE_HOUR')).toBeUndefined();
    expect(await store().getSignal(signal.id)).toBeUndefined();
    await store().writeBulk({ candles: [lastClosed], signals: [{ record: signal, state: 'DONE' }] });
    expect(await store().getLatestCandle('SOL-USD', 'ONE_HOUR')).toEqual(lastClosed);
  });

  it('refuses an invalid candle in a bulk write before writing anything', async () => {
    const invalid = { ...candles[1]!, high: 1, low: 2 };
    expect(await codeOf(store().writeBulk({ candles: [candles[0]!, invalid], signals: [{ record: hold, state: 'DONE' }] }))).toBe('validation_failed');
    expect(await store().getLatestCandle('BTC-USD', 'ONE_HOUR')).toBeUndefined();
    expect(await store().getSignal(hold.id)).toBeUndefined();
  });
}
