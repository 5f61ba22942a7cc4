import { PGlite } from '@electric-sql/pglite';
import { silentLogger } from '@tradepipe/core';
import { testApproval, testAssessment, testOrderIntent, testRecommendation } from '@tradepipe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreContext } from './context.js';
import { quoteSchema } from './migrate.js';
import { createPgliteDriver } from './pglite-driver.js';
import { createPgliteStore } from './pglite-store.js';
import { recordRiskDecision } from './risk-sql.js';
import { explainGeneric, recordingDriver, type RecordedStatement } from './test-plans.js';

/** Released reservations before the decision explained: the live path releases one per trading candle. */
const RELEASED = 1_000;

/** The shared buffers a plan's top node touched. */
const buffersOf = (plan: string): number => Number(/Buffers: shared hit=(\d+)/.exec(plan)?.[1]);

describe('active reservations on PGlite (no autovacuum): the released ones are not read again', () => {
  const database = new PGlite();
  const statements: RecordedStatement[] = [];
  const driver = recordingDriver(createPgliteDriver(database, { ownsDatabase: false }), statements);
  const context: StoreContext = { driver, schema: 'tradepipe', s: quoteSchema('tradepipe'), clock: undefined, logger: silentLogger };
  beforeAll(async () => {
    const store = await createPgliteStore({ database });
    // As the live path leaves them: each trading candle's reservation is consumed by its order, and released when the order ends.
    const nowMs = await store.nowMs();
    for (let index = 0; index < RELEASED; index += 1) {
      const recommendation = testRecommendation({ index });
      const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
      await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
      const { order } = await store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs));
      await store.updateOrder(order.id, { status: 'EXECUTED', updatedAtMs: nowMs });
    }
    expect(await store.listActiveReservations()).toEqual([]);
    await store.close();
  }, 120_000);
  afterAll(async () => {
    await driver.close();
    await database.close();
  });

  it('a risk decision reads the active reservations without visiting the released ones, and an order ends by its reservation key', async () => {
    const recommendation = testRecommendation({ index: RELEASED });
    const nowMs = Date.now();
    const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
    statements.length = 0;
    expect((await recordRiskDecision(context, { assessment: testAssessment(recommendation), approval, reservation })).status).toBe('recorded');
    const read = statements.find((statement) => statement.text.includes('exposure_reservations'));
    const plan = await explainGeneric(driver, read!.text, read!.params, { buffers: true });
    // A bitmap scan never marks an index entry dead: it visited every reservation ever released, and its heap page.
    expect(plan).not.toContain('Bitmap Heap Scan on exposure_reservations');
    expect(plan).toContain('exposure_reservations_active_idx');
    expect(plan).not.toMatch(/Seq Scan on orders/);
    // Before, each of the 1,000 released reservations was visited (an index entry each, 21 heap pages); one is active now.
    expect(buffersOf(plan)).toBeLessThan(15);
  });
});
