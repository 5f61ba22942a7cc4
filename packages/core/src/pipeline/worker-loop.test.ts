import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../memory-store.js';
import type { Candle } from '../records/market.js';
import type { PipelineStore } from '../store.js';
import { createTestApprovalSigner, testProduct } from '../testing/fixtures.js';
import { systemClock } from '../time.js';
import { createPipeline } from './pipeline.js';
import { ImmediateExecutor, LimitRiskManager, ReturnFeatureSet, ScriptedValidator, ThresholdModel } from './test-doubles.js';

const MINUTE_MS = 60_000;

/** Closed 1-minute candles ending a minute ago, closes alternating +2 % / −2 %: every candle after the first trades. */
function tradingCandles(count: number): Candle[] {
  const firstStartMs = Math.floor(systemClock.nowMs() / MINUTE_MS) * MINUTE_MS - (count + 1) * MINUTE_MS;
  let close = 100;
  return Array.from({ length: count }, (_, index) => {
    close = index === 0 ? close : close * (index % 2 === 1 ? 1.02 : 1 / 1.02);
    return { productId: 'BTC-USD', granularity: 'ONE_MINUTE', startMs: firstStartMs + index * MINUTE_MS, open: close, high: close, low: close, close, volume: 1, gapFilled: false };
  });
}

describe('live worker loops', () => {
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
    const signer = createTestApprovalSigner();
    const pipeline = createPipeline({
      pipelineId: 'live',
      store,
      features: new ReturnFeatureSet(),
      model: new ThresholdModel(),
      validator: new ScriptedValidator('approve', ['approve']),
      risk: new LimitRiskManager(signer, 1e12),
      executor: new ImmediateExecutor(signer),
      tuning: { maxSignalAgeCandles: 1e9, pollIntervalMs: 60_000 },
    });
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
