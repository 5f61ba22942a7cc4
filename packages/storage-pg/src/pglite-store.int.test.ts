import { GRANULARITIES, decimal, silentLogger, type Candle, type PipelineStore } from '@tradepipe/core';
import { describeStoreConformance, testApproval, testAssessment, testCandle, testOrderIntent, testRecommendation } from '@tradepipe/core/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from './migrate.js';
import { createPgliteDriver } from './pglite-driver.js';
import { createPgliteStore } from './pglite-store.js';
import type { SqlDriver } from './sql-driver.js';
import { SqlStore } from './sql-store.js';
import { pgliteStoreFactory } from './test-database.js';

// One in-memory PGlite for the whole file (creating one costs seconds); each store gets its own schema.
const factory = pgliteStoreFactory('conformance');

afterAll(async () => {
  await factory.closeDatabase();
});

describeStoreConformance('pglite', factory);

describe('PGlite store', () => {
  let store: PipelineStore;
  let statements = 0;

  beforeAll(async () => {
    const database = await factory.database();
    const inner = createPgliteDriver(database, { ownsDatabase: false });
    // A driver that counts what reaches the database, to show refusals happen before any SQL.
    const counting: SqlDriver = {
      ...inner,
      query: (text, params, options) => {
        statements += 1;
        return inner.query(text, params, options);
      },
      transaction: (work) => {
        statements += 1;
        return inner.transaction(work);
      },
    };
    await runMigrations(inner, 'pglite_extra');
    store = new SqlStore({ driver: counting, schema: 'pglite_extra', s: '"pglite_extra"', clock: undefined, logger: silentLogger });
  });

  it('refuses records that violate their schemas with validation_failed before any SQL runs', async () => {
    const recommendation = testRecommendation({ pipelineId: 'invalid' });
    const { approval, reservation } = testApproval(recommendation);
    const before = statements;
    const refusals = [
      store.putCandles([{ ...testCandle(), low: 1_000 }]),
      store.insertRecommendation({ ...recommendation, quoteAmount: '1e3' as never }, 'PENDING_VALIDATION'),
      store.recordRiskDecision({ assessment: { ...testAssessment(recommendation), riskScore: 2 } }),
      store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation: { ...reservation, quoteAmount: '-5' as never } }),
      store.consumeApprovalAndRecordOrderIntent(approval, { ...testOrderIntent(approval, 0), status: 'BOGUS' as never }),
      store.updateOrder('ord_x', { status: 'EXECUTED', filledBaseSize: '-1' as never, updatedAtMs: 0 }),
      store.putBalances([{ currency: 'USD', available: decimal('-1'), hold: decimal('0'), updatedAtMs: 0 }]),
      store.putProduct({ productId: 'btc_usd' } as never),
      store.recordHealth({ service: '', status: 'ok', checks: [], reportedAtMs: 0 }),
      store.recordEquity({ atMs: 0, equityQuote: Number.NaN }),
    ];
    for (const refusal of refusals) await expect(refusal).rejects.toMatchObject({ code: 'validation_failed' });
    expect(statements).toBe(before);
  });

  it('round-trips candle numbers exactly through numeric columns', async () => {
    // fast-check seed recorded for reproducibility. Over the candle schema's whole range: prices 1e-12 … 1e12,
    // volume 0 or 1e-12 … 1e18.
    const price = fc.double({ min: 1e-12, max: 1e12, noNaN: true, noDefaultInfinity: true });
    const volume = fc.oneof(fc.constant(0), fc.double({ min: 1e-12, max: 1e18, noNaN: true, noDefaultInfinity: true }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(price, price, volume), { minLength: 1, maxLength: 20 }), async (rows) => {
        const productId = `P${Math.floor(Math.random() * 1e9)}-USD`;
        const candles: Candle[] = rows.map(([a, b, volume], index) => ({
          productId,
          granularity: 'ONE_MINUTE',
          startMs: Date.UTC(2020, 0, 1) + index * GRANULARITIES.ONE_MINUTE,
          open: a,
          close: b,
          high: Math.max(a, b),
          low: Math.min(a, b),
          volume,
          gapFilled: false,
        }));
        expect(await store.putCandles(candles)).toMatchObject({ inserted: candles.length });
        const stored = await store.getCandles({ productId, granularity: 'ONE_MINUTE', asOfMs: Date.UTC(2021, 0, 1) });
        expect(stored).toEqual(candles);
      }),
      { seed: 20261125, numRuns: 25 },
    );
  });

  it('settles repeats inside one batch: first write wins, same values are duplicates', async () => {
    const candle = testCandle({ index: 0, productId: 'AVAX-USD' });
    const result = await store.putCandles([candle, candle, { ...candle, close: candle.close + 0.5, high: candle.high + 1 }, testCandle({ index: 1, productId: 'AVAX-USD' })]);
    expect(result).toEqual({ inserted: 2, duplicates: 1, conflicts: [{ productId: 'AVAX-USD', granularity: 'ONE_HOUR', startMs: candle.startMs }] });
    expect((await store.getCandle('AVAX-USD', 'ONE_HOUR', candle.startMs))?.close).toBe(candle.close);
  });

  it('claims in a state spelled outside the literal set through a parameter (a claim writes usual states into its SQL)', async () => {
    // States of letters, digits and underscores go into the claim's SQL as literals (plans made for the state);
    // any other is sent as a parameter, never spliced in.
    const odd = "NOT'PLAIN" as never;
    const candles = [0, 1].map((index) => testCandle({ index, productId: 'DOT-USD' }));
    await store.writeBulk({ candles, candleState: odd });
    const ordered = await store.claim({ kind: 'candle', state: odd, workerId: 'w', leaseMs: 60_000, limit: 10, ordered: true });
    expect(ordered.map((claim) => claim.record?.startMs)).toEqual([candles[0]!.startMs]);
    const unordered = await store.claim({ kind: 'candle', state: odd, workerId: 'w', leaseMs: 60_000, limit: 10 });
    expect(unordered.map((claim) => claim.record?.startMs)).toEqual([candles[1]!.startMs]);
    for (const claim of [...ordered, ...unordered]) await store.release(claim);
  });

  it('times leases by the database clock when no clock is given', async () => {
    const before = Date.now();
    const nowMs = await store.nowMs();
    expect(Math.abs(nowMs - before)).toBeLessThan(5_000);
    await store.putCandles([testCandle({ index: 0, productId: 'LINK-USD' })]);
    const [claim] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs: 60_000, limit: 10, ordered: true });
    expect(claim!.leaseExpiresAtMs - nowMs).toBeGreaterThanOrEqual(59_000);
    expect(claim!.leaseExpiresAtMs - nowMs).toBeLessThanOrEqual(65_000);
    await store.release(claim!);
  });

  it('wakes a waiting worker in process when work arrives', async () => {
    await store.waitForWork('recommendation', { timeoutMs: 50 }); // subscribes
    const idleAtMs = Date.now();
    await store.waitForWork('recommendation', { timeoutMs: 300 });
    expect(Date.now() - idleAtMs).toBeGreaterThanOrEqual(250);
    const startedAtMs = Date.now();
    const waiting = store.waitForWork('recommendation', { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await store.insertRecommendation(testRecommendation({ pipelineId: 'wake' }), 'PENDING_VALIDATION');
    await waiting;
    expect(Date.now() - startedAtMs).toBeLessThan(5_000);
  });

  it("wakes only the waits for the state its own completion moved work into; others' writes wake every wait", async () => {
    /** Whether a wait has ended once everything already queued has run (PGlite delivers a statement's notifications before it answers). */
    const hasEnded = async (wait: Promise<void>): Promise<boolean> => {
      let ended = false;
      void wait.then(() => (ended = true));
      await new Promise<void>((resolve) => setImmediate(resolve));
      return ended;
    };
    const wait = (state?: string): Promise<void> => store.waitForWork('recommendation', { timeoutMs: 60_000, ...(state === undefined ? {} : { state }) });
    const recommendation = testRecommendation({ pipelineId: 'targeted' });
    const subscribed = wait();
    await store.insertRecommendation(recommendation, 'PENDING_VALIDATION'); // a statement that does not say: wakes all
    await subscribed;
    const [claim] = await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'w', leaseMs: 60_000, limit: 1 });
    const forRisk = wait('PENDING_RISK');
    const forExecution = wait('PENDING_EXECUTION');
    await store.complete(claim!, { state: 'PENDING_RISK' });
    expect(await hasEnded(forRisk)).toBe(true);
    expect(await hasEnded(forExecution)).toBe(false);
    await store.insertRecommendation(testRecommendation({ pipelineId: 'targeted', index: 1 }), 'PENDING_VALIDATION');
    expect(await hasEnded(forExecution)).toBe(true);
  });

  it('wakes no wait for what a completion hands on (the item in its new state, a written item), and still the others', async () => {
    const hasEnded = async (wait: Promise<void>): Promise<boolean> => {
      let ended = false;
      void wait.then(() => (ended = true));
      await new Promise<void>((resolve) => setImmediate(resolve));
      return ended;
    };
    const done = new AbortController();
    const wait = (kind: 'recommendation' | 'candle', state?: string): Promise<void> =>
      store.waitForWork(kind, { timeoutMs: 60_000, signal: done.signal, ...(state === undefined ? {} : { state }) });
    try {
      const recommendation = testRecommendation({ pipelineId: 'handed' });
      const subscribed = wait('recommendation');
      await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
      await subscribed;
      const [validating] = await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'w', leaseMs: 60_000, limit: 1 });
      const forRisk = wait('recommendation', 'PENDING_RISK');
      expect(await store.completeAndClaim!(validating!, { state: 'PENDING_RISK' }, { workerId: 'risk', leaseMs: 60_000 })).toBeDefined();
      expect(await hasEnded(forRisk)).toBe(false);
      // A candle completed with a recommendation handed on: the candle's own state wakes its waits, the recommendation's none.
      const candle = testCandle({ productId: 'HAND-USD' });
      await store.putCandles([candle, testCandle({ productId: 'HAND-USD', index: 1 })]);
      const [claimed] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs: 60_000, limit: 1, ordered: true });
      const forValidation = wait('recommendation', 'PENDING_VALIDATION');
      const forCandles = wait('candle');
      const written = testRecommendation({ pipelineId: 'handed', index: 1 });
      const handed = await store.completeAndClaim!(claimed!, { state: 'DONE', writes: [{ type: 'recommendation', record: written, state: 'PENDING_VALIDATION' }] }, { workerId: 'validation', leaseMs: 60_000, write: 0 });
      expect(handed?.id).toBe(written.id);
      expect(await hasEnded(forCandles)).toBe(true);
      expect(await hasEnded(forValidation)).toBe(false);
      expect(await hasEnded(forRisk)).toBe(false);
    } finally {
      done.abort();
    }
  });

  it('analyzes a table the live path grew (PGlite has no autovacuum), once it doubled, and only then', async () => {
    const database = await factory.database();
    const grown = await createPgliteStore({ database, schema: 'pglite_grown' });
    const reltuples = async (): Promise<number> =>
      (await database.query<{ reltuples: number }>(`SELECT reltuples FROM pg_class WHERE oid = 'pglite_grown.crypto_prices'::regclass`)).rows[0]!.reltuples;
    const put = async (from: number, count: number): Promise<void> => {
      // Batches the size of a live put's one statement (not writeBulk, which analyzes on its own).
      for (let index = from; index < from + count; index += 250) {
        await grown.putCandles(Array.from({ length: Math.min(250, from + count - index) }, (_, offset) => testCandle({ index: index + offset, productId: 'GROW-USD' })));
      }
    };
    await put(0, 750);
    expect(await reltuples()).toBeLessThanOrEqual(0); // never analyzed
    await put(750, 250);
    expect(await reltuples()).toBe(1_000); // the 1,000th row: analyzed
    await put(1_000, 750);
    expect(await reltuples()).toBe(1_000); // not yet doubled
    await put(1_750, 250);
    expect(await reltuples()).toBe(2_000);
    await grown.close();
  });

  it('shares one PGlite between stores in separate schemas', async () => {
    const other = await createPgliteStore({ database: await factory.database(), schema: 'pglite_other' });
    expect(await other.getLatestCandle('AVAX-USD', 'ONE_HOUR')).toBeUndefined();
    await other.close();
    expect((await store.getLatestCandle('AVAX-USD', 'ONE_HOUR'))?.productId).toBe('AVAX-USD');
  });
});
