import {
  collectReplayRecords,
  createManualClock,
  createValidation,
  createMemoryStore,
  replayCandles,
  replayCandlesBatched,
  silentLogger,
  type Candle,
  type Pipeline,
  type PipelineStore,
  type ReplayRecords,
  type SignalModel,
  type TradeValidator,
} from '@tradepipe/core';
import { testRecommendation } from '@tradepipe/core/testing';
import { FEATURE_SET_VERSION } from '@tradepipe/features';
import { PGlite } from '@electric-sql/pglite';
import { createPgliteStore } from '@tradepipe/storage-pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledCandles } from './bundled-candles.js';
import { createEmbeddedPipeline } from './embedded-pipeline.js';
import { createMinutePipeline, syntheticMinuteCandles, trainMinuteModel } from './synthetic-minutes.js';

const SECRET = 'batched-replay-test-secret-0123456789';
const HOLD_OUT_START_MS = Date.UTC(2024, 8, 25);
const MINUTES_START_MS = Date.UTC(2024, 0, 1);

/** Columns a raw-row comparison ignores: identity numbering, lease tokens, and the migrations' wall-clock time. */
const MASKED_COLUMNS = new Set(['seq', 'fencing_token', 'applied_at']);

const WORK_TABLES_TIMES = new Set(['updated_at_ms', 'available_at_ms']);

/**
 * A signal row with its feature values in one form: a signal the stages write directly keeps them in `record`
 * (`features.values`), one written in bulk in `feature_values` (float64 bytes) with `record` without them. Both
 * read back the same record; the staging writes the stages' signals in bulk, so only the form differs.
 */
function sameFeatureForm(row: Record<string, unknown>): Record<string, unknown> {
  const record = row.record as { features: { values?: number[] } };
  const bytes = row.feature_values as Uint8Array | null;
  const values = bytes === null ? record.features.values : [...new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))];
  const { values: _inline, ...features } = record.features;
  return { ...row, record: { ...record, features }, feature_values: values ?? null };
}

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

/**
 * Replays a workload in one mode on a fresh store; returns every record and the final feature checkpoint.
 * @param before writes to the store before the pipeline is built (e.g. an earlier run's record)
 */
async function replay(workload: Workload, mode: 'batched' | 'reference', driver: 'memory' | 'pglite' = 'memory', before?: (store: PipelineStore) => Promise<void>): Promise<Outcome> {
  const clock = createManualClock(workload.replayed[0]!.startMs);
  const store = driver === 'pglite' ? await createPgliteStore({ clock }) : createMemoryStore({ clock });
  try {
    await store.putCandles(workload.history, { state: 'DONE' });
    await before?.(store);
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

  // Each reference once: the memory store records what PGlite records (the daily tests compare both with it).
  const references = new Map<Workload, Promise<Outcome>>();
  const referenceOf = (workload: Workload): Promise<Outcome> => {
    const known = references.get(workload) ?? replay(workload, 'reference');
    references.set(workload, known);
    return known;
  };

  it('on 20,000 synthetic 1-minute candles with a trained linear model that trades (memory store)', async () => {
    const reference = await referenceOf(minutes);
    const batched = await replay(minutes, 'batched');
    expect(reference.records.orders.filter((order) => order.status === 'EXECUTED').length).toBeGreaterThan(5);
    expect(reference.records.recommendations.some((item) => item.recommendation.origin.type === 'exit')).toBe(true);
    expect(batched.quietCandles).toBeGreaterThan(minutes.replayed.length * 0.9);
    expectSameRecords(batched, reference);
  }, 1_800_000);

  it('on 20,000 synthetic 1-minute candles on PGlite: the stages in memory, written in bulk per chunk, the same records as the reference', async () => {
    const reference = await referenceOf(minutes);
    const batched = await replay(minutes, 'batched', 'pglite');
    expect(batched.quietCandles).toBeGreaterThan(minutes.replayed.length * 0.9);
    // The stores list orders created in the same minute in another order (memory: as written; SQL: by id). The
    // PGlite candle-by-candle reference of these candles (half an hour here) differs from the memory one only so.
    const byCreation = (outcome: Outcome): Outcome => ({
      ...outcome,
      records: { ...outcome.records, orders: [...outcome.records.orders].sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : 1)) },
    });
    expectSameRecords(byCreation(batched), byCreation(reference));
  }, 1_800_000);

  it('on a PGlite store holding trading history already: the stages write to the store directly, the same records', async () => {
    const earlier = testRecommendation({ productId: 'ETH-USD', granularity: 'ONE_DAY', candleStartMs: daily.history[0]!.startMs });
    const before = async (store: PipelineStore): Promise<void> => {
      await store.insertRecommendation(earlier, 'REJECTED', 'an earlier run');
      expect(await store.holdsTradingHistory?.()).not.toBe(false);
    };
    const reference = await replay(daily, 'reference', 'memory', before);
    const batched = await replay(daily, 'batched', 'pglite', before);
    expect(reference.records.recommendations.some(({ recommendation }) => recommendation.id === earlier.id)).toBe(true);
    expectSameRecords(batched, reference);
  }, 900_000);

  it('a flush that fails inside its transaction leaves what a candle-by-candle replay stopped at the same candle leaves, no event reported a record it lost, and a re-run records the same as re-running that one', async () => {
    const resume = async (database: PGlite): Promise<ReplayRecords> => {
      // The process ends; a new one replays every candle on the same store, from the same start.
      const clock = createManualClock(daily.replayed[0]!.startMs);
      const store = await createPgliteStore({ database, clock });
      const rerun = await replayCandlesBatched({ pipeline: await daily.build(store, clock), store, clock, candles: daily.replayed });
      expect(rerun.candleByCandle).toBe(true);
      return collectReplayRecords(store, { pipelineId: daily.pipelineId, candles: daily.replayed });
    };
    const crashed = await PGlite.create();
    const stopped = await PGlite.create();
    try {
      const clock = createManualClock(daily.replayed[0]!.startMs);
      const store = await createPgliteStore({ database: crashed, clock });
      await store.putCandles(daily.history, { state: 'DONE' });
      // A real fault inside the import's transaction: any flush recording fills after one that did.
      await crashed.exec(`
        CREATE FUNCTION tradepipe.injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF EXISTS (SELECT 1 FROM tradepipe.fills) THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NULL; END $$;
        CREATE TRIGGER injected_fault BEFORE INSERT ON tradepipe.fills FOR EACH STATEMENT EXECUTE FUNCTION tradepipe.injected_fault();`);
      const pipeline = await daily.build(store, clock);
      const announced: string[] = [];
      pipeline.on('order:updated', ({ order }) => void announced.push(order.id));
      await expect(replayCandlesBatched({ pipeline, store, clock, candles: daily.replayed, chunkCandles: 30 })).rejects.toThrow();
      await crashed.exec('DROP TRIGGER injected_fault ON tradepipe.fills');
      const orders = await store.listOrders({});
      expect(orders.length).toBeGreaterThan(0);
      expect(announced.length).toBeGreaterThan(0);
      for (const id of announced) expect(orders.some((order) => order.id === id)).toBe(true);
      // Every flush is whole: the store holds exactly what the reference holds after the candles it stored.
      const storedCandles = (await store.countByState('candle')).DONE! - daily.history.length;
      expect(storedCandles % 30).toBe(0);
      expect(storedCandles).toBeLessThan(daily.replayed.length);
      const prefix = daily.replayed.slice(0, storedCandles);
      const referenceClock = createManualClock(daily.replayed[0]!.startMs);
      const reference = await createPgliteStore({ database: stopped, clock: referenceClock });
      await reference.putCandles(daily.history, { state: 'DONE' });
      await replayCandles({ pipeline: await daily.build(reference, referenceClock), store: reference, clock: referenceClock, candles: prefix });
      const options = { pipelineId: daily.pipelineId, candles: prefix };
      expect(await collectReplayRecords(store, options)).toEqual(await collectReplayRecords(reference, options));
      // (A resumed replay need not record exactly what an uninterrupted one does: risk figures may differ in their last bits.)
      expect(await resume(crashed)).toEqual(await resume(stopped));
    } finally {
      await crashed.close();
      await stopped.close();
    }
  }, 900_000);

  it('an import failing inside a flush a stage triggered (a read of a validator) stops the replay with that error: the store keeps its last committed flush, no event reports a record never committed, and a re-run goes candle by candle', async () => {
    const database = await PGlite.create();
    try {
      const clock = createManualClock(daily.replayed[0]!.startMs);
      const store = await createPgliteStore({ database, clock });
      await store.putCandles(daily.history, { state: 'DONE' });
      // A real fault inside the import's transaction, once: the first import recording fills after one that did (a later one would commit).
      await database.exec(`
        CREATE SEQUENCE tradepipe.injected_fault_once;
        CREATE FUNCTION tradepipe.injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF EXISTS (SELECT 1 FROM tradepipe.fills) AND nextval('tradepipe.injected_fault_once') = 1 THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NULL; END $$;
        CREATE TRIGGER injected_fault BEFORE INSERT ON tradepipe.fills FOR EACH STATEMENT EXECUTE FUNCTION tradepipe.injected_fault();`);
      // A second validator that reads the latest candle, as a custom one may: a read the staging answers after a flush, inside the stage's handler.
      const reader: TradeValidator = {
        name: 'latest-candle-reader',
        async validate({ recommendation }, context) {
          const latest = await context.store.getLatestCandle(recommendation.productId, recommendation.granularity);
          return createValidation({ recommendation, validator: this.name, decision: 'APPROVE', reasons: [`latest candle ${latest?.startMs ?? 'none'}`], nowMs: context.clock.nowMs() });
        },
      };
      const build = (on: PipelineStore, at: ReturnType<typeof createManualClock>): Promise<Pipeline> =>
        createEmbeddedPipeline({ store: on, clock: at, logger: silentLogger, approvalSecret: SECRET, plugins: [{ name: 'reader', validators: [reader] }] });
      const pipeline = await build(store, clock);
      const announced = { signals: new Set<string>(), recommendations: new Set<string>(), orders: new Set<string>() };
      pipeline.on('signal:generated', ({ signal }) => void announced.signals.add(signal.id));
      pipeline.on('recommendation:created', ({ recommendation }) => void announced.recommendations.add(recommendation.id));
      pipeline.on('order:updated', ({ order }) => void announced.orders.add(order.id));
      // One chunk: the main loop flushes only after its last candle; every flush before is one a stage's read triggered.
      const failure: unknown = await replayCandlesBatched({ pipeline, store, clock, candles: daily.replayed, chunkCandles: daily.replayed.length }).then(() => undefined, (error: unknown) => error);
      expect(failure).toMatchObject({ name: 'TradepipeError', code: 'storage_failed', retryable: false });
      expect((failure as Error).cause).toBeDefined();
      // It failed while the stages were at a candle before the last: inside a stage, not in the main loop's flush.
      expect(clock.nowMs()).toBeLessThan(daily.replayed.at(-1)!.startMs);
      const consistent = async (): Promise<void> => {
        const fills = (await Promise.all((await store.listOrders({})).map((order) => store.listFills(order.id)))).flat();
        expect(fills.length).toBeGreaterThan(0);
        // Positions ("as now") agree with the fills stored: no fill of a lost flush is missing beneath them.
        for (const position of await store.listPositions()) {
          const net = fills.filter((fill) => fill.productId === position.productId).reduce((sum, fill) => sum + (fill.side === 'BUY' ? 1 : -1) * Number(fill.sizeBase), 0);
          expect(Number(position.sizeBase)).toBeCloseTo(net, 8);
        }
      };
      await consistent();
      const orders = new Set((await store.listOrders({})).map((order) => order.id));
      for (const id of announced.orders) expect(orders.has(id)).toBe(true);
      for (const id of announced.recommendations) expect(await store.getRecommendation(id)).toBeDefined();
      for (const id of announced.signals) expect(await store.getSignal(id)).toBeDefined();
      expect(announced.orders.size).toBeGreaterThan(0);
      // The process ends; a new one replays every candle on the same store: the store holds trading history, so directly.
      const again = createManualClock(daily.replayed[0]!.startMs);
      const restarted = await createPgliteStore({ database, clock: again });
      const rerun = await replayCandlesBatched({ pipeline: await build(restarted, again), store: restarted, clock: again, candles: daily.replayed });
      expect(rerun.candleByCandle).toBe(true);
      await consistent();
    } finally {
      await database.close();
    }
  }, 900_000);

  it('an operator engaging the kill switch on the store between two chunks stops the replay (record_conflict): the kill switch stays engaged, no approval is consumed after it', async () => {
    const clock = createManualClock(daily.replayed[0]!.startMs);
    const store = await createPgliteStore({ clock });
    try {
      await store.putCandles(daily.history, { state: 'DONE' });
      const pipeline = await daily.build(store, clock);
      let ordersWhenEngaged: Awaited<ReturnType<PipelineStore['listOrders']>> | undefined;
      let approvalsWhenEngaged: unknown[] = [];
      const approvals = async (): Promise<unknown[]> => Promise.all((await store.listOrders({})).map((order) => store.getApproval(order.recommendationId)));
      const onChunk = async (): Promise<void> => {
        if (ordersWhenEngaged !== undefined) return;
        const nowMs = await store.nowMs();
        await store.updateRiskState({ killSwitch: { engaged: true, mode: 'freeze', reason: 'operator stop', changedAtMs: nowMs }, updatedAtMs: nowMs });
        ordersWhenEngaged = await store.listOrders({});
        approvalsWhenEngaged = await approvals();
      };
      await expect(replayCandlesBatched({ pipeline, store, clock, candles: daily.replayed, chunkCandles: 30, onChunk })).rejects.toMatchObject({ code: 'record_conflict' });
      expect(ordersWhenEngaged).toBeDefined();
      expect((await store.getRiskState()).killSwitch).toMatchObject({ engaged: true, reason: 'operator stop' });
      expect(await store.listOrders({})).toEqual(ordersWhenEngaged);
      expect(await approvals()).toEqual(approvalsWhenEngaged);
    } finally {
      await store.close();
    }
  }, 900_000);

  it('leaves the same raw rows in every table through the staging as through the direct path (PGlite, the daily hold-out year)', async () => {
    const earlier = testRecommendation({ productId: 'ETH-USD', granularity: 'ONE_DAY', candleStartMs: daily.history[0]!.startMs });
    const rowsAfter = async (direct: boolean): Promise<Record<string, Record<string, unknown>[]>> => {
      const database = await PGlite.create();
      try {
        const clock = createManualClock(daily.replayed[0]!.startMs);
        const store = await createPgliteStore({ database, clock });
        await store.putCandles(daily.history, { state: 'DONE' });
        // The same harmless record in both stores: before the replay it makes the store hold trading history (the direct path); after it, not.
        if (direct) await store.insertRecommendation(earlier, 'REJECTED', 'an earlier run');
        expect(await store.holdsTradingHistory?.()).toBe(direct);
        const result = await replayCandlesBatched({ pipeline: await daily.build(store, clock), store, clock, candles: daily.replayed });
        expect(result.candleByCandle).toBe(false);
        expect(await store.holdsTradingHistory?.()).toBe(true);
        if (!direct) await store.insertRecommendation(earlier, 'REJECTED', 'an earlier run');
        const tables = (await database.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'tradepipe' AND table_type = 'BASE TABLE' ORDER BY table_name")).rows;
        const rows: Record<string, Record<string, unknown>[]> = {};
        for (const { table_name: table } of tables) {
          const read = (await database.query<Record<string, unknown>>(`SELECT * FROM tradepipe.${table}`)).rows;
          rows[table] = read
            .map(table === 'trading_signals' ? sameFeatureForm : (row: Record<string, unknown>) => row)
            .map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => !MASKED_COLUMNS.has(column)).map(([column, value]) => [column, JSON.stringify(value)])))
            .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
        }
        return rows;
      } finally {
        await database.close();
      }
    };
    const direct = await rowsAfter(true);
    const staged = await rowsAfter(false);
    expect(Object.keys(staged)).toEqual(Object.keys(direct));
    // Each difference named: table, row, column, both values (the first 20).
    const differences: string[] = [];
    for (const table of Object.keys(direct)) {
      const [ours, theirs] = [staged[table]!, direct[table]!];
      if (ours.length !== theirs.length) differences.push(`${table}: ${ours.length} rows staged, ${theirs.length} direct`);
      for (let index = 0; index < Math.min(ours.length, theirs.length); index += 1) {
        for (const column of new Set([...Object.keys(ours[index]!), ...Object.keys(theirs[index]!)])) {
          // A quiet item (written in bulk, never claimed: attempt 0) takes its write's time: the flush's through the staging.
          if (WORK_TABLES_TIMES.has(column) && theirs[index]!.attempt === '0' && ['crypto_prices', 'trading_signals', 'trade_recommendations'].includes(table)) continue;
          if (ours[index]![column] !== theirs[index]![column]) differences.push(`${table}[${index}].${column}: staged ${ours[index]![column]}, direct ${theirs[index]![column]}`);
        }
      }
    }
    expect(differences.slice(0, 20)).toEqual([]);
  }, 900_000);

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
