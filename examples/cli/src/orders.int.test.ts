// `tradepipe orders held|settle` as an operator runs it: the built bin as a child process against the real PostgreSQL
// at 127.0.0.1:5432 (database `test`, a schema of its own), with a Coinbase order held open (HELD_…) seeded through
// the store, as the order sync leaves one when Coinbase reports it FILLED and never lists its fill.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order, PipelineStore } from '@tradepipe/core';
import { testApproval, testAssessment, testOrderIntent, testProduct, testRecommendation } from '@tradepipe/core/testing';
import { createPgStore } from '@tradepipe/storage-pg';
import { runBin, type BinResult } from './run-bin.js';
import { TEST_DATABASE_URL as DATABASE_URL, postgresForTest } from './test-postgres.js';

const schema = `heldorders_${process.pid}_${Date.now() % 1_000_000}`;

const available = await postgresForTest("'tradepipe orders'");

const tradepipe = (...args: string[]): BinResult => runBin([...args, '--database-url', DATABASE_URL, '--schema', schema], { env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 120_000 });

describe.runIf(available)('tradepipe orders (the built bin, PostgreSQL)', () => {
  let store: PipelineStore;
  let held: Order;

  beforeAll(async () => {
    store = await createPgStore({ connectionString: DATABASE_URL, schema });
    await store.putProduct(testProduct());
    const recommendation = testRecommendation();
    await store.insertRecommendation(recommendation, 'PENDING_EXECUTION');
    const nowMs = await store.nowMs();
    const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
    await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
    const { order } = await store.consumeApprovalAndRecordOrderIntent(approval, { ...testOrderIntent(approval, nowMs - 60_000), venue: 'coinbase' });
    held = await store.updateOrder(order.id, { status: 'ACKNOWLEDGED', exchangeOrderId: 'cb-order-1', statusReason: 'HELD_FILLED_WITHOUT_FILLS', submittedAtMs: nowMs, updatedAtMs: nowMs });
  }, 180_000);
  afterAll(async () => {
    await store?.close();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('lists the held order, refuses a bad settlement with nothing written, settles it with two fills; the reservation is released', async () => {
    const listed = tradepipe('orders', 'held', '--json');
    expect(listed.status).toBe(0);
    expect((JSON.parse(listed.stdout) as { orders: { order: Order }[] }).orders.map(({ order }) => [order.id, order.statusReason])).toEqual([[held.id, 'HELD_FILLED_WITHOUT_FILLS']]);
    const text = tradepipe('orders', 'held').stdout;
    expect(text).toContain(`order ${held.id}  BUY BTC-USD  ACKNOWLEDGED  HELD_FILLED_WITHOUT_FILLS`);
    expect(text).toContain('recorded fills 0: 0 base, 0 quote, fees 0');

    const time = new Date(held.createdAtMs + 1_000).toISOString();
    const first = `id=fill-a,price=97000,size=60,commission=0.36,time=${time},size-in-quote`;
    const second = `id=fill-b,price=97100.50,size=39.4,commission=0.24,time=${time},size-in-quote`;
    // Usage errors (exit 2) and refusals (exit 1) write nothing.
    expect(tradepipe('orders', 'settle', held.id, '--fill', first).status).toBe(2);
    expect(tradepipe('orders', 'settle', held.id, '--reason', 'no fills given').status).toBe(2);
    expect(tradepipe('orders', 'settle', held.id, '--fill', first, '--nothing-filled', '--reason', 'both').status).toBe(2);
    const tooMuch = tradepipe('orders', 'settle', held.id, '--fill', first, '--fill', second.replace('size=39.4', 'size=60'), '--reason', 'past the order size', '--json');
    expect([tooMuch.status, JSON.parse(tooMuch.stderr).error.code]).toEqual([1, 'validation_failed']);
    expect(await store.listFills(held.id)).toEqual([]);

    const settled = tradepipe('orders', 'settle', held.id, '--fill', first, '--fill', second, '--reason', 'fills endpoint never listed them; ticket 4711');
    expect(settled.status).toBe(0);
    expect(settled.stdout).toContain('2 fills recorded, 0 already recorded');
    expect(settled.stdout).toContain('EXECUTED  OPERATOR_SETTLED_AFTER_HELD_FILLED_WITHOUT_FILLS: fills endpoint never listed them; ticket 4711');
    expect((await store.listFills(held.id)).map((fill) => fill.id).sort()).toEqual(['cb-fill-a', 'cb-fill-b']);
    expect(await store.listActiveReservations()).toEqual([]);
    expect(tradepipe('orders', 'held').stdout).toBe(`no held orders in schema ${schema}\n`);
    const again = tradepipe('orders', 'settle', held.id, '--nothing-filled', '--reason', 'again', '--json');
    expect([again.status, JSON.parse(again.stderr).error.code]).toEqual([1, 'invalid_state_transition']);
  }, 240_000);
});
