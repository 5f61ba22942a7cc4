import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../memory-store.js';
import type { PipelineStore } from '../store.js';
import { testCandle, testProduct } from '../testing/fixtures.js';
import { createManualClock } from '../time.js';
import type { Candle } from '../records/market.js';
import { createTestApprovalSigner } from '../testing/fixtures.js';
import { replayCandlesBatched } from './batched-replay.js';
import { createPipeline } from './pipeline.js';
import { replayCandles } from './replay.js';
import { collectReplayRecords } from './replay-records.js';
import { ImmediateExecutor, LimitRiskManager, ReturnFeatureSet, ScriptedValidator, ThresholdModel, tradingCandles } from './test-doubles.js';

/** The store, recording when each feature checkpoint is saved. */
function recordingCheckpoints(store: PipelineStore, saves: { key: string; value: unknown }[]): PipelineStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'saveCheckpoint') {
        return async (key: string, value: unknown, atMs: number) => {
          saves.push({ key, value });
          await target.saveCheckpoint(key, value, atMs);
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('feature checkpoints', () => {
  it('are saved every checkpointEveryCandles and at the end of a replay, not after every runUntilIdle', async () => {
    const candles = Array.from({ length: 10 }, (_, index) => testCandle({ index, close: 100 + index, open: 100 + index, high: 100 + index, low: 100 + index }));
    const clock = createManualClock(candles[0]!.startMs);
    const saves: { key: string; value: unknown }[] = [];
    const store = recordingCheckpoints(createMemoryStore({ clock }), saves);
    await store.putProduct(testProduct());
    const features = new ReturnFeatureSet();
    const pipeline = createPipeline({ pipelineId: 'cadence', store, clock, features, model: new ThresholdModel(), stages: ['signal'], tuning: { checkpointEveryCandles: 3 } });
    await replayCandles({ pipeline, store, clock, candles });
    // After candles 3, 6 and 9 on the cadence, and once at the end for candle 10.
    expect(saves).toHaveLength(4);
    const engine = features.createExtractor({ productId: candles[0]!.productId, granularity: candles[0]!.granularity });
    for (const candle of candles) engine.update(candle);
    expect(saves.at(-1)!.value).toEqual(engine.saveState());
    expect((await store.loadCheckpoint(saves[0]!.key))?.value).toEqual(JSON.parse(JSON.stringify(engine.saveState())));
  });
});

describe('replayCandles', () => {
  it('counts and warns about a candle whose bucket is stored with other values, never dropping it silently', async () => {
    const candles = Array.from({ length: 6 }, (_, index) => testCandle({ index, close: 100 + index, open: 100, high: 110, low: 90 }));
    const clock = createManualClock(candles[0]!.startMs);
    const store = createMemoryStore({ clock });
    await store.putProduct(testProduct());
    const warnings: { message: string; fields: unknown }[] = [];
    const logger = { debug() {}, info() {}, warn: (message: string, fields?: unknown) => void warnings.push({ message, fields }), error() {} };
    const pipeline = createPipeline({ pipelineId: 'conflicts', store, clock, logger, features: new ReturnFeatureSet(), model: new ThresholdModel(), stages: ['signal'] });
    // The fourth candle twice: once as given, once with another close.
    const repeated = { ...candles[3]!, close: 104.5 };
    const result = await replayCandles({ pipeline, store, clock, candles: [...candles, repeated] });
    expect(result).toMatchObject({ candles: 7, conflicts: 1 });
    expect(warnings).toEqual([{ message: 'replayed candle conflicts with a stored one; the stored candle stands', fields: { pipelineId: 'conflicts', productId: repeated.productId, granularity: repeated.granularity, startMs: repeated.startMs } }]);
    expect((await store.getCandle(repeated.productId, repeated.granularity, repeated.startMs))?.close).toBe(candles[3]!.close);
  });
});

describe('a retry scheduled within a candle interval', () => {
  /** Hourly candles that trade at every candle after the first (closes alternate +2 % / −2 %). */
  const hourly = (count: number): Candle[] => {
    const firstStartMs = Date.UTC(2025, 0, 1);
    return tradingCandles(count).map((candle, index) => ({ ...candle, granularity: 'ONE_HOUR', startMs: firstStartMs + index * 3_600_000 }));
  };

  async function replayWithFlakyValidator(mode: 'reference' | 'batched', script: ('approve' | 'transient')[], candles: readonly Candle[] = hourly(6)) {
    const clock = createManualClock(candles[0]!.startMs);
    const store = createMemoryStore({ clock });
    for (const productId of new Set(candles.map((candle) => candle.productId))) await store.putProduct(testProduct({ productId, baseCurrency: productId.split('-')[0]! }));
    const signer = createTestApprovalSigner();
    const validator = new ScriptedValidator('flaky', script);
    const pipeline = createPipeline({
      pipelineId: 'retries',
      store,
      clock,
      features: new ReturnFeatureSet(),
      model: new ThresholdModel(),
      validator,
      risk: new LimitRiskManager(signer, 1e12),
      executor: new ImmediateExecutor(signer),
      tuning: { maxSignalAgeCandles: 1e9 },
      // The backoff's jitter, fixed: both modes retry at the same time.
      random: () => 0.5,
    });
    if (mode === 'reference') await replayCandles({ pipeline, store, clock, candles });
    else await replayCandlesBatched({ pipeline, store, clock, candles });
    return { records: await collectReplayRecords(store, { pipelineId: 'retries', candles }), calls: validator.calls };
  }

  it('runs at its time, as live, not after the next candle when the recommendation has expired (both replay modes, same records)', async () => {
    // The validator's first call fails retryably (an LLM briefly unreachable); a live pipeline retries it seconds later.
    const reference = await replayWithFlakyValidator('reference', ['transient', 'approve']);
    const states = reference.records.recommendations.map((recommendation) => recommendation.state.state);
    expect(states.length).toBeGreaterThan(2);
    expect(states).not.toContain('EXPIRED');
    expect(states.every((state) => state === 'EXECUTED')).toBe(true);
    expect(reference.calls).toBe(states.length + 1);
    const batched = await replayWithFlakyValidator('batched', ['transient', 'approve']);
    expect(batched.records).toEqual(reference.records);
  });

  it('changes nothing when nothing is retried', async () => {
    const reference = await replayWithFlakyValidator('reference', ['approve']);
    expect(reference.records.recommendations.every((recommendation) => recommendation.state.state === 'EXECUTED')).toBe(true);
    expect((await replayWithFlakyValidator('batched', ['approve'])).records).toEqual(reference.records);
  });

  it("moves no other series' candle: a retry waits for the candles closing at the same time, then runs before the next", async () => {
    // BTC and ETH hourly, BTC first at each close: BTC's first validation fails, ETH's candle at that close is replayed
    // at its close all the same, and BTC's retry runs before the next hour.
    const btc = hourly(6);
    const candles = btc.flatMap((candle) => [candle, { ...candle, productId: 'ETH-USD' as const }]);
    const reference = await replayWithFlakyValidator('reference', ['transient', 'approve'], candles);
    const closeOf = (candleStartMs: number): number => candleStartMs + 3_600_000;
    const recommendations = reference.records.recommendations.map(({ recommendation, state }) => ({ productId: recommendation.productId, late: recommendation.createdAtMs - closeOf(recommendation.candleStartMs), state: state.state }));
    expect(recommendations.filter((recommendation) => recommendation.productId === 'ETH-USD').every((recommendation) => recommendation.late === 0)).toBe(true);
    expect(recommendations.every((recommendation) => recommendation.state === 'EXECUTED')).toBe(true);
    expect((await replayWithFlakyValidator('batched', ['transient', 'approve'], candles)).records).toEqual(reference.records);
  });
});
