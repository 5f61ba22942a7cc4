import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../time.js';
import { createMemoryStore } from '../../memory-store.js';
import { ORDER_REASON_SEND_IN_FLIGHT } from '../../records/execution.js';
import { testApproval, testAssessment, testOrderIntent, testRecommendation } from '../../testing/fixtures.js';
import { checkStoreHealth } from './health.js';

describe('checkStoreHealth: orders whose outcome is unknown', () => {
  it('does not fail for an order whose send is in flight, and fails once it has been in flight too long', async () => {
    const recommendation = testRecommendation();
    const clock = createManualClock(recommendation.createdAtMs);
    const store = createMemoryStore({ clock });
    const { approval, reservation } = testApproval(recommendation, { issuedAtMs: clock.nowMs() });
    await store.insertRecommendation(recommendation, 'PENDING_EXECUTION');
    await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
    const { order } = await store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, clock.nowMs()));
    await store.updateOrder(order.id, { status: 'UNKNOWN', statusReason: ORDER_REASON_SEND_IN_FLIGHT, submittedAtMs: clock.nowMs(), updatedAtMs: clock.nowMs() });
    const unknownCheck = async (nowMs: number) => (await checkStoreHealth({ service: 'test', store, nowMs })).checks.find((check) => check.name === 'unknown_orders');

    expect(await unknownCheck(clock.nowMs() + 1_000)).toMatchObject({ status: 'ok', value: 0 });
    expect(await unknownCheck(clock.nowMs() + 2 * 60_000 + 1)).toMatchObject({ status: 'failing', value: 1 });
    await store.updateOrder(order.id, { statusReason: 'network_error', updatedAtMs: clock.nowMs() });
    expect(await unknownCheck(clock.nowMs() + 1_000)).toMatchObject({ status: 'failing', value: 1 });
  });
});
