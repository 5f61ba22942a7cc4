import {
  collectReplayRecords,
  createManualClock,
  createMemoryStore,
  replayCandles,
  replayCandlesBatched,
  silentLogger,
  type Candle,
  type Pipeline,
  type PipelineStore,
  type ReplayRecords,
  type SignalModel,
} from '@tradepipe/core';
import { FEATURE_SET_VERSION } from '@tradepipe/features';
import { createPgliteStore } from '@tradepipe/storage-pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledCandles } from './bundled-candles.js';
import { createEmbeddedPipeline } from './embedded-pipeline.js';
import { createMinutePipeline, syntheticMinuteCandles, trainMinuteModel } from './synthetic-minutes.js';

const SECRET = 'batched-replay-test-secret-0123456789';
const HOLD_OUT_START_MS = Date.UTC(2024, 8, 25);
const MINUTES_START_MS = Date.UTC(2024, 0, 1);

interface Workload {
  readonly history: readonly Candle[];
  readonly replayed: readonly Candle[];
  readonly pipelineId: string;
  readonly build: (store: PipelineStore, clock: ReturnType<typeof createManualClock>) => Promise<Pipeline>;
}

interface Outcome {
  readonly records: ReplayRecords;
  readonly checkpoint: unknown;
  readonly quietCandles: number;
}

/** Replays a workload in one mode on a fresh store; returns every record and the final feature checkpoint. */
async function replay(workload: Workload, mode: 'batched' | 'reference', driver: 'memory' | 'pglite' = 'memory'): Promise<Outcome> {
  const clock = createManualClock(workload.replayed[0]!.startMs);
  const store = driver === 'pglite' ? await createPgliteStore({ clock }) : createMemoryStore({ clock });
  try {
    await store.putCandles(workload.history, { state: 'DONE' });
    const pipeline = await workload.build(store, clock);
    const { replayed } = workload;
    const quietCandles = mode === 'batched' ? (await replayCandlesBatched({ pipeline, store, clock, candles: replayed })).quietCandles : (await replayCandles({ pipeline, store, clock, candles: replayed }), 0);
    const series = `${replayed[0]!.productId}/${replayed[0]!.granularity}`;
    const checkpoint = (await store.loadCheckpoint(`features/${workload.pipelineId}/${FEATURE_SET_VERSION}/${series}`))?.value;
    return { records: await collectReplayRecords(store, { pipelineId: workload.pipelineId, candles: replayed }), checkpoint, quietCandles };
  } finally {
    await store.close();
  }
}

function expectSameRecords(batched: Outcome, reference: Outcome): void {
  // Piece by piece first, so that a difference names what differs.
  expect(batched.records.signals).toEqual(reference.records.signals);
  expect(batched.records.recommendations).toEqual(reference.records.recommendations);
  expect(batched.records.orders).toEqual(reference.records.orders);
  expect(batched.records.positions).toEqual(reference.records.positions);
  expect(batched.records.balances).toEqual(reference.records.balances);
  expect(batched.records).toEqual(reference.records);
  expect(batched.checkpoint).toEqual(reference.checkpoint);
}

describe('the batched replay records exactly what the candle-by-candle replay records', () => {
  const candles = loadBundledCandles().candles;
  const daily: Workload = {
    history: candles.filter((candle) => candle.startMs < HOLD_OUT_START_MS),
    replayed: candles.filter((candle) => candle.startMs >= HOLD_OUT_START_MS),
    pipelineId: 'embedded-btc-usd',
    build: (store, clock) => createEmbeddedPipeline({ store, clock, logger: silentLogger, approvalSecret: SECRET }),
  };
  let model: SignalModel;
  let minutes: Workload;
  beforeAll(async () => {
    model = await trainMinuteModel({ trainingCandles: 20_000, minConfidence: 0.8 });
    const all = syntheticMinuteCandles({ count: 1_000 + 20_000, seed: 2024, startMs: MINUTES_START_MS });
    minutes = { history: all.slice(0, 1_000), replayed: all.slice(1_000), pipelineId: 'minutes-btc-usd', build: (store, clock) => createMinutePipeline({ store, clock, model, approvalSecret: SECRET }) };
  }, 600_000);

  it('on the bundled daily hold-out year with the default model (memory store)', async () => {
    const reference = await replay(daily, 'reference');
    const batched = await replay(daily, 'batched');
    expect(reference.records.orders.length).toBeGreaterThan(3);
    expect(batched.quietCandles).toBeGreaterThan(daily.replayed.length / 3);
    expectSameRecords(batched, reference);
  }, 600_000);

  it('on the bundled daily hold-out year on PGlite', async () => {
    const reference = await replay(daily, 'reference', 'pglite');
    const batched = await replay(daily, 'batched', 'pglite');
    expectSameRecords(batched, reference);
  }, 900_000);

  it('on 20,000 synthetic 1-minute candles with a trained linear model that trades (memory store)', async () => {
    const reference = await replay(minutes, 'reference');
    const batched = await replay(minutes, 'batched');
    expect(reference.records.orders.filter((order) => order.status === 'EXECUTED').length).toBeGreaterThan(5);
    expect(reference.records.recommendations.some((item) => item.recommendation.origin.type === 'exit')).toBe(true);
    expect(batched.quietCandles).toBeGreaterThan(minutes.replayed.length * 0.9);
    expectSameRecords(batched, reference);
  }, 1_800_000);

  it('decides nothing at or before t from candles after t: poisoning every later candle changes no earlier record', async () => {
    const cut = 2_500 + 1_234; // inside a chunk, not at its edge
    const cutMs = minutes.replayed[cut]!.startMs + 60_000;
    const poisoned: Workload = {
      ...minutes,
      replayed: minutes.replayed.slice(0, 6_000).map((candle, index) =>
        index <= cut ? candle : { ...candle, open: candle.open * 3, high: candle.high * 5, low: candle.low / 4, close: candle.close * (index % 2 === 0 ? 4 : 0.25), volume: candle.volume * 100 },
      ),
    };
    const clean = await replay({ ...minutes, replayed: minutes.replayed.slice(0, 6_000) }, 'batched');
    const dirty = await replay(poisoned, 'batched');
    const upTo = (records: ReplayRecords) => ({
      signals: records.signals.filter(({ signal }) => signal.generatedAtMs <= cutMs),
      recommendations: records.recommendations
        .filter(({ recommendation }) => recommendation.createdAtMs <= cutMs)
        .map(({ recommendation, validations, assessment, approval, order }) => ({
          recommendation,
          validations: validations.filter((validation) => validation.validatedAtMs <= cutMs),
          assessment: assessment !== undefined && assessment.assessedAtMs <= cutMs ? assessment : undefined,
          approval: approval !== undefined && approval.issuedAtMs <= cutMs ? approval : undefined,
          orderCreatedAtMs: order !== undefined && order.createdAtMs <= cutMs ? order.createdAtMs : undefined,
        })),
    });
    expect(upTo(clean.records).signals.length).toBe(cut + 1);
    expect(upTo(dirty.records)).toEqual(upTo(clean.records));
    expect(dirty.records.signals.length).toBe(clean.records.signals.length);
    expect(dirty.records.signals.at(-1)).not.toEqual(clean.records.signals.at(-1));
  }, 900_000);
});
