import { PGlite } from '@electric-sql/pglite';
import { decimal, type PipelineStore } from '@tradepipe/core';
import { testApproval, testAssessment, testFill, testOrderIntent, testRecommendation } from '@tradepipe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteStore } from './index.js';

// A trading candle's store calls on PGlite, counted in exchanges with the WebAssembly backend (each one a round
// trip through PGlite's `execProtocolRawSync`), with what they wrote checked beside the count.
describe('PGlite exchanges of the trading path', () => {
  let database: PGlite;
  let store: PipelineStore;
  let exchanges = 0;

  beforeAll(async () => {
    database = await PGlite.create();
    const exchange = database.execProtocolRawSync.bind(database);
    database.execProtocolRawSync = (message) => {
      exchanges += 1;
      return exchange(message);
    };
    store = await createPgliteStore({ database });
  });

  afterAll(async () => {
    await store.close();
    await database.close();
  });

  async function counted<T>(work: () => Promise<T>): Promise<{ result: T; exchanges: number }> {
    exchanges = 0;
    const result = await work();
    return { result, exchanges };
  }

  it('records an approved risk decision in two exchanges (its exposure reads ride in the first statement, COMMIT in the second), and checks exposure against what is stored', async () => {
    const nowMs = await store.nowMs();
    const first = testRecommendation({ index: 0 });
    const second = testRecommendation({ index: 1 });
    const third = testRecommendation({ index: 2 });
    const decide = (recommendation: typeof first, limits?: { readonly maxPortfolioHeat: { limit: number; equityQuote: number; volatilities: Record<string, number>; fallbackVolatility: number } }) =>
      store.recordRiskDecision({
        assessment: testAssessment(recommendation),
        ...testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 }),
        ...(limits === undefined ? {} : { limits, markPrices: { 'BTC-USD': 100_000 } }),
      });
    await decide(first);
    // BEGIN with the reads (the assessment, the store's now, every position, the active reservations), the writes with COMMIT.
    const recorded = await counted(() => decide(second));
    expect(recorded.result.status).toBe('recorded');
    expect(recorded.exchanges).toBe(2);
    // The two reservations read in that first statement count: a heat limit of two reservations' worth refuses a third.
    const heat = { maxPortfolioHeat: { limit: 0.02, equityQuote: 10_000, volatilities: { 'BTC-USD': 1 }, fallbackVolatility: 2 } };
    await expect(decide(third, heat)).rejects.toMatchObject({ code: 'exposure_limit_exceeded' });
  });

  it('refuses an approved decision whose approval id exists for another decision in its one writing statement: nothing of it stays', async () => {
    const nowMs = await store.nowMs();
    const recommendation = testRecommendation({ index: 20 });
    const other = testRecommendation({ index: 21 });
    const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
    await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
    const taken = testApproval(other, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
    const clash = { approval: { ...taken.approval, id: approval.id }, reservation: { ...taken.reservation, approvalId: approval.id } };
    await expect(store.recordRiskDecision({ assessment: testAssessment(other), ...clash })).rejects.toMatchObject({ code: 'record_conflict', details: { approvalId: approval.id } });
    expect(await store.getRiskAssessment(other.id)).toBeUndefined();
    expect(await store.getApproval(other.id)).toBeUndefined();
    // The same decision again is the stored one; an assessment of other content for it is a conflict.
    expect((await store.recordRiskDecision({ assessment: testAssessment(other), ...taken })).status).toBe('recorded');
  });

  it('consumes an approval in two exchanges (the approval read, then the order intent with its checks and COMMIT); a refusal leaves nothing', async () => {
    const nowMs = await store.nowMs();
    const recommendation = testRecommendation({ index: 30 });
    const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
    await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
    await store.updateRiskState({ killSwitch: { engaged: true, mode: 'freeze', reason: 'test' }, updatedAtMs: nowMs });
    await expect(store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs))).rejects.toMatchObject({ code: 'kill_switch_engaged' });
    expect(await store.getOrderByClientOrderId(approval.clientOrderId)).toBeUndefined();
    await store.updateRiskState({ killSwitch: { engaged: false, mode: 'freeze' }, updatedAtMs: nowMs });
    const consumed = await counted(() => store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs)));
    expect(consumed.result.status).toBe('consumed');
    expect(consumed.exchanges).toBe(2);
    expect((await store.getOrderByClientOrderId(approval.clientOrderId))?.id).toBe(consumed.result.order.id);
    await expect(store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs))).rejects.toMatchObject({ code: 'approval_consumed' });
  });

  it('records a new fill in two exchanges (the balances read in the first statement), crediting the stored balances', async () => {
    const nowMs = await store.nowMs();
    const recommendation = testRecommendation({ index: 10 });
    const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
    await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
    const { order } = await store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs));
    const currencies = { quoteCurrency: 'USD', baseCurrency: 'BTC' };
    await store.putBalances([{ currency: 'USD', available: decimal('1000'), hold: decimal('0'), updatedAtMs: nowMs }]);
    const firstFill = await counted(() => store.recordFill(testFill(order, { sizeBase: decimal('0.001') }), currencies));
    expect(firstFill.result.status).toBe('inserted');
    // The fill with the position and the missing balance rows, then the position and both balances written with COMMIT.
    expect(firstFill.exchanges).toBe(2);
    await store.recordFill(testFill(order, { id: 'second-fill', sizeBase: decimal('0.001'), filledAtMs: order.createdAtMs + 2_000 }), currencies);
    const balances = Object.fromEntries((await store.listBalances()).map((balance) => [balance.currency, balance.available]));
    // Two buys of 0.001 BTC at 50,000 with a commission of 1.2 each: 1,000 − 2 × (50 + 1.2) USD, and 0.002 BTC.
    expect(balances).toEqual({ USD: decimal('897.6'), BTC: decimal('0.002') });
    expect((await store.getPosition('BTC-USD'))?.sizeBase).toBe(decimal('0.002'));
  });
});
