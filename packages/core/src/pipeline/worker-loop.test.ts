import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../memory-store.js';
import type { Claim, ClaimRequest, PipelineStore } from '../store.js';
import { testProduct } from '../testing/fixtures.js';
import { createLiveTestPipeline, tradingCandles } from './test-doubles.js';

/**
 * The memory store with claims that say whether they took everything in their state (`moreWaiting`), as the SQL
 * stores' ordered claims do: items in the state the call did not take, leased ones included, count as waiting.
 */
function storeTellingMoreWaiting(inner: PipelineStore, onClaim: () => void): PipelineStore {
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (key !== 'claim' || typeof value !== 'function') return value;
      return async (request: ClaimRequest) => {
        onClaim();
        const claims = (await (value as PipelineStore['claim']).call(target, request)) as Claim[];
        if (request.ordered !== true) return claims;
        const inState = ((await target.countByState(request.kind)) as Record<string, number | undefined>)[request.state] ?? 0;
        return claims.map((claim) => ({ ...claim, moreWaiting: inState > claims.length }));
      };
    },
  }) as PipelineStore;
}

describe('live worker loops', () => {
  // With a one-minute poll interval, an ordered stage that skipped a wake-up it needed would outlast the test.
  it('an ordered stage told it took everything claims only for new work, and still takes the rest of a burst at once', async () => {
    let claims = 0;
    const store = storeTellingMoreWaiting(createMemoryStore(), () => (claims += 1));
    await store.putProduct(testProduct());
    const pipeline = createLiveTestPipeline(store);
    const finished = new Map<number, (state: string) => void>();
    pipeline.on('recommendation:finished', ({ recommendation, state }) => finished.get(recommendation.candleStartMs)?.(state));
    await pipeline.start();
    try {
      const [first, ...rest] = tradingCandles(17);
      await store.putCandles([first!]);
      const oneByOne = rest.slice(0, 10);
      const claimsBefore = claims;
      for (const candle of oneByOne) {
        const done = new Promise<string>((resolve) => finished.set(candle.startMs, resolve));
        await store.putCandles([candle]);
        expect(await done).toBe('EXECUTED');
      }
      // One claim per stage per candle (signal, bridge, validation, risk, execution): the ordered stages no longer
      // claim again when their own item finishes.
      expect((claims - claimsBefore) / oneByOne.length).toBeLessThanOrEqual(5.5);
      // A burst in one call: the ordered stages take one candle (and signal) of the product at a time, each next
      // one when the one before finishes; every candle's recommendation finishes (a SELL may be refused when its
      // BUY has not filled yet: the bridge runs ahead of execution).
      const burst = rest.slice(10);
      const done = burst.map((candle) => new Promise<string>((resolve) => finished.set(candle.startMs, resolve)));
      await store.putCandles(burst);
      for (const state of await Promise.all(done)) expect(['EXECUTED', 'REJECTED']).toContain(state);
    } finally {
      await pipeline.stop({ drainTimeoutMs: 60_000 });
    }
  }, 30_000);

  // With a one-minute poll interval and drain timeout, a hand-off that waited for polling instead of a wake-up,
  // or a stop that waited for an idle worker's poll, would outlast the test.
  it('hands each item to the next stage by a wake-up, and claims little beyond the work itself', async () => {
    const inner = createMemoryStore();
    let claims = 0;
    const store = new Proxy(inner, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (key !== 'claim' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          claims += 1;
          return (value as (...inner: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as PipelineStore;
    await store.putProduct(testProduct());
    const pipeline = createLiveTestPipeline(store);
    const finished = new Map<number, (state: string) => void>();
    pipeline.on('recommendation:finished', ({ recommendation, state }) => finished.get(recommendation.candleStartMs)?.(state));
    await pipeline.start();
    try {
      const [first, ...rest] = tradingCandles(11);
      await store.putCandles([first!]);
      const claimsBefore = claims;
      for (const candle of rest) {
        const done = new Promise<string>((resolve) => finished.set(candle.startMs, resolve));
        await store.putCandles([candle]);
        expect(await done).toBe('EXECUTED');
      }
      // Five stages take each candle's work (signal, bridge, validation, risk, execution); the ordered stages
      // (signal, bridge) claim once more when their own item frees its partition. The old loop made about 25:
      // every stage of a kind claimed on every change of that kind, and again after every claim that found work.
      expect((claims - claimsBefore) / rest.length).toBeLessThanOrEqual(8);
    } finally {
      await pipeline.stop({ drainTimeoutMs: 60_000 });
    }
  }, 30_000);
});
