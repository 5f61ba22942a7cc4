import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimal } from '../decimal.js';
import { createMemoryStore } from '../memory-store.js';
import type { Candle } from '../records/market.js';
import type { PipelineStore, WorkKind } from '../store.js';
import { testCandle, testProduct, testSignal } from '../testing/fixtures.js';
import { createManualClock, GRANULARITIES } from '../time.js';
import { ReplayStore } from './replay-store.js';

fc.configureGlobal({ seed: 20261206, numRuns: 25 });

const HOUR = GRANULARITIES.ONE_HOUR;

/** A memory store that counts the calls reaching it, by method (instrumentation: every call still runs). */
function countedStore(clockMs: number): { store: PipelineStore; calls: Map<string, number>; clock: ReturnType<typeof createManualClock> } {
  const clock = createManualClock(clockMs);
  const target = createMemoryStore({ clock });
  const calls = new Map<string, number>();
  const store = new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return (value as (...inner: unknown[]) => unknown).apply(object, args);
      };
    },
  });
  return { store, calls, clock };
}

const candles = (from: number, count: number): Candle[] => Array.from({ length: count }, (_, offset) => testCandle({ index: from + offset }));

describe('ReplayStore', () => {
  it("answers every candle read as the store does, whatever the window, the history and the candles written since", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 30 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3 }), count: fc.integer({ min: 1, max: 30 }), bulk: fc.boolean() }), { maxLength: 8 }),
        fc.array(fc.record({ asOf: fc.integer({ min: -2, max: 80 }), from: fc.option(fc.integer({ min: -2, max: 80 })), limit: fc.option(fc.integer({ min: 0, max: 40 })) }), { minLength: 1, maxLength: 12 }),
        async (windowCandles, historyCount, writes, queries) => {
          const { store, clock } = countedStore(testCandle({ index: 200 }).startMs);
          await store.putCandles(candles(0, historyCount), { state: 'DONE' });
          const view = new ReplayStore(store, windowCandles);
          await view.resync();
          const first = testCandle({ index: 0 }).startMs;
          const ask = async (): Promise<void> => {
            for (const query of queries) {
              const request = {
                productId: 'BTC-USD',
                granularity: 'ONE_HOUR' as const,
                asOfMs: first + query.asOf * HOUR,
                ...(query.from === null ? {} : { fromStartMs: first + query.from * HOUR }),
                ...(query.limit === null ? {} : { limit: query.limit }),
              };
              expect(await view.store.getCandles(request)).toEqual(await store.getCandles(request));
              expect(await view.store.getCandle('BTC-USD', 'ONE_HOUR', first + query.asOf * HOUR)).toEqual(await store.getCandle('BTC-USD', 'ONE_HOUR', first + query.asOf * HOUR));
            }
          };
          await ask();
          let next = historyCount;
          for (const write of writes) {
            next += write.gap;
            const batch = candles(next, write.count);
            next += write.count;
            if (write.bulk) await view.store.writeBulk({ candles: batch });
            else await view.store.putCandles(batch);
            await ask();
          }
          expect(clock.nowMs()).toBeGreaterThan(first);
        },
      ),
    );
  });

  it('reads a window once and answers reads within it without the store', async () => {
    const { store, calls } = countedStore(testCandle({ index: 200 }).startMs);
    await store.putCandles(candles(0, 40), { state: 'DONE' });
    const view = new ReplayStore(store, 8);
    await view.store.putCandles(candles(40, 3));
    const asOfMs = testCandle({ index: 43 }).startMs;
    expect(await view.store.getCandles({ productId: 'BTC-USD', granularity: 'ONE_HOUR', asOfMs, limit: 5 })).toEqual(candles(38, 5));
    expect(await view.store.getCandles({ productId: 'BTC-USD', granularity: 'ONE_HOUR', asOfMs, fromStartMs: testCandle({ index: 36 }).startMs })).toEqual(candles(36, 7));
    expect(await view.store.getCandle('BTC-USD', 'ONE_HOUR', testCandle({ index: 42 }).startMs)).toEqual(testCandle({ index: 42 }));
    expect(calls.get('getCandles')).toBe(1);
    expect(calls.get('getCandle')).toBeUndefined();
    // Beyond the window: the store answers.
    expect(await view.store.getCandles({ productId: 'BTC-USD', granularity: 'ONE_HOUR', asOfMs, limit: 30 })).toEqual(candles(13, 30));
    expect(calls.get('getCandles')).toBe(2);
  });

  it('answers a claim empty without the store only when no item is in its state, and counts items through completions', async () => {
    const { store, calls } = countedStore(testCandle({ index: 10 }).startMs);
    await store.putProduct(testProduct());
    const view = new ReplayStore(store, 16);
    await view.resync();
    const claimable = async (kind: WorkKind, state: string): Promise<number> => ((await store.countByState(kind)) as Record<string, number>)[state] ?? 0;
    const request = { kind: 'candle' as const, state: 'PENDING' as const, workerId: 'w', leaseMs: 60_000, limit: 4, ordered: true };
    expect(await view.store.claim(request)).toEqual([]);
    expect(calls.get('claim')).toBeUndefined();
    await view.store.putCandles([testCandle({ index: 3 })]);
    const [claim] = await view.store.claim(request);
    expect(claim?.id).toBe('BTC-USD/ONE_HOUR/' + testCandle({ index: 3 }).startMs);
    expect(calls.get('claim')).toBe(1);
    await view.store.complete(claim!, { state: 'DONE', writes: [{ type: 'signal', record: testSignal({ candleStartMs: testCandle({ index: 3 }).startMs }) }] });
    expect(view.takeCandleState(testCandle({ index: 3 }))).toBe('DONE');
    expect(view.workWaiting(['DONE'])).toBe(true); // the signal waits for the bridge
    expect(await claimable('candle', 'PENDING')).toBe(0);
    expect(await view.store.claim(request)).toEqual([]);
    expect(calls.get('claim')).toBe(1);
    const signals = await view.store.claim({ kind: 'signal', state: 'PENDING', workerId: 'w', leaseMs: 60_000, limit: 4, ordered: true });
    expect(signals).toHaveLength(1);
    await view.store.complete(signals[0]!, { state: 'DONE' });
    expect(view.workWaiting(['DONE'])).toBe(false);
  });

  it('keeps reads until a write that changes them, and stops answering claims after a method it does not know', async () => {
    const { store, calls } = countedStore(testCandle({ index: 10 }).startMs);
    await store.putProduct(testProduct());
    const view = new ReplayStore(store, 16);
    await view.resync();
    expect(await view.store.getProduct('BTC-USD')).toEqual(testProduct());
    expect(await view.store.getProduct('BTC-USD')).toEqual(testProduct());
    expect(calls.get('getProduct')).toBe(1);
    await view.store.putProduct(testProduct({ status: 'disabled' }));
    expect((await view.store.getProduct('BTC-USD'))?.status).toBe('disabled');
    const before = await view.store.getRiskState();
    await view.store.updateRiskState({ cooldownUntilMs: 123, updatedAtMs: 5 });
    expect(await view.store.getRiskState()).toEqual({ ...before, cooldownUntilMs: 123, updatedAtMs: 5 });
    await view.store.putBalances([{ currency: 'USD', available: decimal('10'), hold: decimal('0'), updatedAtMs: 5 }]);
    expect(await view.store.listBalances()).toEqual(await store.listBalances());
    // A method it does not know: counts unknown, every claim goes to the store.
    await view.store.requeueDeadLetter('candle', 'none', { reason: 'x', actor: 'test' } as never).catch(() => undefined);
    const claims = calls.get('claim') ?? 0;
    expect(await view.store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs: 60_000, limit: 4, ordered: true })).toEqual([]);
    expect(calls.get('claim')).toBe(claims + 1);
    expect(view.workWaiting(['DONE'])).toBeUndefined();
  });
});
