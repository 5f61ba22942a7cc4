import { createManualClock, createMemoryStore, type Candle } from '@tradepipe/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NOW_MS } from './test-support.js';
import { realizedVolatility } from './volatility.js';
import { createVolatilityReader } from './volatility-reader.js';

const hour = 3_600_000;
const candle = (index: number, close: number): Candle => ({ productId: 'BTC-USD', granularity: 'ONE_HOUR', startMs: NOW_MS + index * hour, open: close, high: close, low: close, close, volume: 1, gapFilled: false });
const series = { productId: 'BTC-USD', granularity: 'ONE_HOUR' } as const;
/** A store whose clock is past every candle these tests store (a store takes only closed candles); reads pass their own asOfMs. */
const storeAfterCandles = () => createMemoryStore({ clock: createManualClock(NOW_MS + 100 * hour) });

describe('createVolatilityReader', () => {
  it('extends a cached window as candles close and agrees with a fresh computation (fast-check, seed 8109)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.double({ min: 10, max: 1000, noNaN: true }), { minLength: 30, maxLength: 80 }), async (closes) => {
        const store = storeAfterCandles();
        await store.putCandles(closes.map((close, index) => candle(index, close)), { state: 'DONE' });
        const windowDays = 1; // 24 returns, 25 closes
        const cached = createVolatilityReader({ windowDays, minReturns: 2, cache: true });
        const fresh = createVolatilityReader({ windowDays, minReturns: 2, cache: false });
        for (let end = 25; end <= closes.length; end += 1 + (end % 3)) {
          const asOfMs = NOW_MS + end * hour;
          const a = await cached.read(store, series, asOfMs);
          const b = await fresh.read(store, series, asOfMs);
          expect(a?.lastCandleStartMs).toBe(NOW_MS + (end - 1) * hour);
          expect(a?.volatility?.annualized).toBeCloseTo(b!.volatility!.annualized, 9);
          expect(b!.volatility!.annualized).toBeCloseTo(realizedVolatility(closes.slice(end - 25, end), 24), 12);
        }
      }),
      { seed: 8109, numRuns: 30 },
    );
  });

  it('gives concurrent reads of a moved series the same figure', async () => {
    const store = storeAfterCandles();
    const closes = Array.from({ length: 40 }, (_, index) => 100 + ((index * 7) % 5));
    await store.putCandles(closes.slice(0, 25).map((close, index) => candle(index, close)), { state: 'DONE' });
    const cached = createVolatilityReader({ windowDays: 1, minReturns: 2, cache: true });
    const fresh = createVolatilityReader({ windowDays: 1, minReturns: 2, cache: false });
    await cached.read(store, series, NOW_MS + 25 * hour);
    await store.putCandles(closes.slice(25, 28).map((close, index) => candle(25 + index, close)), { state: 'DONE' });
    const asOfMs = NOW_MS + 28 * hour;
    // The second read finds the window the first moved to its candle: one extension, no window read again.
    const limits: (number | undefined)[] = [];
    const counting = new Proxy(store, {
      get: (target, property, receiver) =>
        property === 'getCandles' ? (query: Parameters<typeof store.getCandles>[0]) => (limits.push(query.limit), target.getCandles(query)) : Reflect.get(target, property, receiver),
    });
    const [a, b] = await Promise.all([cached.read(counting, series, asOfMs), cached.read(counting, series, asOfMs)]);
    expect(limits.filter((limit) => limit !== undefined && limit > 1)).toEqual([]);
    const expected = (await fresh.read(store, series, asOfMs))!.volatility!.annualized;
    expect(a!.volatility!.annualized).toBeCloseTo(expected, 9);
    expect(b!.volatility!.annualized).toBe(a!.volatility!.annualized);
    expect((await cached.read(store, series, asOfMs))!.volatility!.annualized).toBeCloseTo(expected, 9);
  });

  it('gives no volatility for a window of fewer than 5 candles at the granularity, never a two-candle one', async () => {
    const store = storeAfterCandles();
    const closes = Array.from({ length: 30 }, (_, index) => 100 + (index % 3));
    await store.putCandles(closes.map((close, index) => candle(index, close)), { state: 'DONE' });
    const asOfMs = NOW_MS + 30 * hour;
    for (const windowDays of [1e-300, 0.05, 4 / 24]) {
      for (const cache of [true, false]) {
        const reading = await createVolatilityReader({ windowDays, minReturns: 2, cache }).read(store, series, asOfMs);
        expect(reading, `${windowDays} ${cache}`).toMatchObject({ markPrice: closes[29], lastCandleStartMs: NOW_MS + 29 * hour });
        expect(reading?.volatility, `${windowDays} ${cache}`).toBeUndefined();
      }
    }
    const five = await createVolatilityReader({ windowDays: 5 / 24, minReturns: 2, cache: true }).read(store, series, asOfMs);
    expect(five?.volatility?.returns).toBe(5);
  });

  it('does not cache an incomplete window, so a late candle filling a gap counts', async () => {
    const store = storeAfterCandles();
    const closes = Array.from({ length: 25 }, (_, index) => 100 + (index % 3));
    await store.putCandles(closes.map((close, index) => candle(index, close)).filter((_, index) => index !== 10), { state: 'DONE' });
    const reader = createVolatilityReader({ windowDays: 1, minReturns: 2, cache: true });
    const before = await reader.read(store, series, NOW_MS + 25 * hour);
    expect(before?.volatility?.returns).toBe(23);
    await store.putCandles([candle(10, 150)], { state: 'DONE' });
    const after = await reader.read(store, series, NOW_MS + 25 * hour);
    expect(after?.volatility?.returns).toBe(24);
    expect(after?.volatility?.annualized).not.toBeCloseTo(before!.volatility!.annualized, 3);
  });

  it('reads nothing closed after the decision time, and nothing when no candle has closed', async () => {
    const store = storeAfterCandles();
    await store.putCandles([candle(0, 100), candle(1, 101), candle(2, 102)], { state: 'DONE' });
    const reader = createVolatilityReader({ windowDays: 1, minReturns: 2, cache: true });
    expect(await reader.read(store, series, NOW_MS + hour - 1)).toBeUndefined();
    expect((await reader.read(store, series, NOW_MS + 2 * hour + hour - 1))?.lastCandleStartMs).toBe(NOW_MS + hour);
    expect((await reader.read(store, series, NOW_MS + 2 * hour))?.volatility).toBeUndefined(); // 1 return < 2
  });
});
