import { decimal, recordId, verifyRiskApproval, type PipelineStore, type TradeRecommendation } from '@tradepipe/core';
import { createTestApprovalSigner, testApproval, testFill, testOrderIntent, testRecommendation } from '@tradepipe/core/testing';
import { describe, expect, it } from 'vitest';
import { engageKillSwitch, releaseKillSwitch } from './kill-switch.js';
import { createRiskManager } from './risk-manager.js';
import { NOW_MS, createRiskFixture } from './test-support.js';

const limits = { maxOrderQuote: 500, maxPositionQuote: 2_000, maxTotalExposureQuote: 5_000, maxPortfolioHeat: 0.5, maxDailyLossFraction: 0.05, maxOrdersPerHour: 5 };
const signer = createTestApprovalSigner();
const buy = (overrides: Partial<TradeRecommendation> = {}): TradeRecommendation =>
  testRecommendation({ candleStartMs: NOW_MS - 3_600_000, createdAtMs: NOW_MS, referencePrice: 50_000, ...overrides });

async function holdEth(store: PipelineStore, sizeBase: string, price = '2000'): Promise<void> {
  const { approval } = testApproval(testRecommendation({ productId: 'ETH-USD', candleStartMs: NOW_MS - 7_200_000 }));
  const order = testOrderIntent(approval, NOW_MS - 60_000);
  await store.recordFill(testFill(order, { id: `fill-${sizeBase}-${price}`, price: decimal(price), sizeBase: decimal(sizeBase), commission: decimal('0') }), { quoteCurrency: 'USD', baseCurrency: 'ETH' });
}

describe('createRiskManager', () => {
  it('approves a BUY with the hand-computed figures, signs it and reserves the exposure', async () => {
    const { store, context } = await createRiskFixture();
    const risk = createRiskManager({ limits, signer, approvalTtlMs: 60_000 });
    const result = await risk.assess(buy(), context);
    // σ = 0.01 × √(336/335) × √8760 = 0.9373446; score = 0.4 × σ / 2 = 0.1874689 (no heat, loss or exposure)
    // target 10000 × 0.02 / σ = 213.37 → min(100, 213.37) = 100; × (1 − 0.1874689) = 81.2531 → 81.25
    expect(result.status).toBe('recorded');
    const { assessment, approval } = result;
    expect(assessment.decision).toBe('APPROVE');
    expect(assessment.volatilityAnnualized).toBeCloseTo(0.9373446, 6);
    expect(assessment.riskScore).toBeCloseTo(0.1874689, 6);
    expect(assessment.adjustedQuoteAmount).toBe('81.25');
    expect(assessment.equityQuote).toBe(10_000);
    expect(assessment.markPrice).toBe(50_000); // the 337th close (index 336, even)
    expect(assessment.lastCandleStartMs).toBe(NOW_MS - 3_600_000);
    expect(approval).toMatchObject({ maxQuoteAmount: '81.25', side: 'BUY', issuedAtMs: NOW_MS, expiresAtMs: NOW_MS + 60_000, id: recordId('approval', [buy().id]) });
    expect(verifyRiskApproval(signer, approval, NOW_MS)).toEqual(approval);
    expect(await store.listActiveReservations()).toEqual([expect.objectContaining({ approvalId: approval!.id, quoteAmount: '81.25', side: 'BUY' })]);
    expect((await store.getDayStartEquity(NOW_MS))?.equityQuote).toBe(10_000);
  });

  it('returns the recorded decision on a retry, even from another replica', async () => {
    const { store, context } = await createRiskFixture();
    const first = await createRiskManager({ limits, signer, approvalTtlMs: 60_000 }).assess(buy(), context);
    const again = await createRiskManager({ limits, signer, approvalTtlMs: 60_000 }).assess(buy(), context);
    expect(again).toEqual({ status: 'existing', assessment: first.assessment, approval: first.approval });
    expect(await store.listActiveReservations()).toHaveLength(1);
  });

  it('refuses to open under the kill switch but approves a reduce, and opens again once released', async () => {
    const { store, context } = await createRiskFixture();
    await holdEth(store, '0.5');
    const risk = createRiskManager({ limits, signer, approvalTtlMs: 60_000 });
    await engageKillSwitch(store, { mode: 'freeze', reason: 'drill', nowMs: NOW_MS });
    const opened = await risk.assess(buy(), context);
    expect(opened.assessment.decision).toBe('REJECT');
    expect(opened.assessment.reasons.map((reason) => reason.code)).toEqual(['kill_switch']);
    const sell = buy({ productId: 'ETH-USD', side: 'SELL', intent: 'reduce', baseSize: decimal('0.8'), referencePrice: 2_000 });
    const reduced = await risk.assess(sell, context);
    expect(reduced.assessment.decision).toBe('APPROVE');
    expect(reduced.approval?.maxBaseSize).toBe('0.5');
    // The release's reason replaces the engagement's: the state says why it was last changed.
    expect((await releaseKillSwitch(store, { reason: 'drill over', nowMs: NOW_MS })).killSwitch).toEqual({ engaged: false, mode: 'freeze', reason: 'drill over', changedAtMs: NOW_MS });
    expect((await risk.assess(buy({ candleStartMs: NOW_MS - 7_200_000 }), context)).assessment.decision).toBe('APPROVE');
  });

  it('starts a cool-down at the daily loss limit that a restarted replica keeps', async () => {
    const { store, context, clock } = await createRiskFixture();
    await store.recordEquity({ atMs: NOW_MS, equityQuote: 11_000 }); // −1000 today ≥ 5 % of 11000 = 550
    const rejected = await createRiskManager({ limits, signer, approvalTtlMs: 60_000 }).assess(buy(), context);
    expect(rejected.assessment.reasons.map((reason) => reason.code)).toEqual(['max_daily_loss']);
    expect(rejected.assessment.dailyPnlQuote).toBe(-1_000);
    expect((await store.getRiskState()).cooldownUntilMs).toBe(NOW_MS + 4 * 3_600_000);
    clock.advance(3_600_000);
    await store.recordEquity({ atMs: NOW_MS + 1, equityQuote: 10_000 }); // not the day's first: the reference stays 11000
    const replica = createRiskManager({ limits, signer, approvalTtlMs: 60_000 });
    const next = await replica.assess(buy({ candleStartMs: NOW_MS - 7_200_000, createdAtMs: NOW_MS + 3_600_000 }), context);
    expect(next.assessment.reasons.map((reason) => reason.code)).toEqual(['cooldown', 'max_daily_loss']);
    expect((await store.getRiskState()).cooldownUntilMs).toBe(NOW_MS + 4 * 3_600_000);
  });

  it('refuses stale data, an unknown product and too many orders per hour', async () => {
    const { store, context, clock } = await createRiskFixture();
    const risk = createRiskManager({ limits: { ...limits, maxOrdersPerHour: 1 }, signer, approvalTtlMs: 60_000 });
    const unknown = await risk.assess(buy({ productId: 'DOGE-USD' }), context);
    expect(unknown.assessment.reasons.map((reason) => reason.code)).toContain('product_not_tradable');
    const approved = await risk.assess(buy(), context);
    await store.consumeApprovalAndRecordOrderIntent(approved.approval!, testOrderIntent(approved.approval!, NOW_MS));
    const throttled = await risk.assess(buy({ candleStartMs: NOW_MS - 7_200_000 }), context);
    expect(throttled.assessment.reasons.map((reason) => reason.code)).toEqual(['max_orders_per_hour']);
    clock.advance(3 * 3_600_000);
    const stale = await createRiskManager({ limits, signer, approvalTtlMs: 60_000 }).assess(buy({ candleStartMs: NOW_MS - 10_800_000, expiresAtMs: NOW_MS + 86_400_000 }), context);
    expect(stale.assessment.reasons.map((reason) => reason.code)).toEqual(['stale_data']);
  });

  it('validates the limits at creation and honours an aborted signal', async () => {
    const { context } = await createRiskFixture();
    expect(() => createRiskManager({ limits: { ...limits, maxPortfolioHeat: -1 }, signer, approvalTtlMs: 60_000 })).toThrowError(
      expect.objectContaining({ code: 'validation_failed' }) as Error,
    );
    expect(() => createRiskManager({ limits: { ...limits, surprise: 1 } as typeof limits, signer, approvalTtlMs: 60_000 })).toThrow();
    expect(() => createRiskManager({ limits, signer, approvalTtlMs: 0 })).toThrow();
    const controller = new AbortController();
    controller.abort();
    const risk = createRiskManager({ limits, signer, approvalTtlMs: 60_000 });
    await expect(risk.assess(buy(), { ...context, signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    expect(await context.store.getRiskAssessment(buy().id)).toBeUndefined();
  });

  it('refuses at creation a volatility window shorter than 5 one-minute candles (it fell back to two candles)', () => {
    for (const volatilityWindowDays of [1e-300, 0.001, 4 / 1_440]) {
      expect(() => createRiskManager({ limits: { ...limits, volatilityWindowDays }, signer, approvalTtlMs: 60_000 }), String(volatilityWindowDays)).toThrowError(
        'Invalid risk limits: volatilityWindowDays must hold at least 5 candles even of ONE_MINUTE (5 minutes) (at volatilityWindowDays)',
      );
    }
    expect(() => createRiskManager({ limits: { ...limits, volatilityWindowDays: 5 / 1_440 }, signer, approvalTtlMs: 60_000 })).not.toThrow();
  });

  it('refuses a BUY insufficient_data when the window holds fewer than 5 candles of its granularity, saying so', async () => {
    const { context } = await createRiskFixture();
    // 0.1 day = 2.4 hourly candles: no volatility rather than one from two returns.
    const result = await createRiskManager({ limits: { ...limits, volatilityWindowDays: 0.1 }, signer, approvalTtlMs: 60_000 }).assess(buy(), context);
    expect(result.assessment.decision).toBe('REJECT');
    expect(result.assessment.reasons).toContainEqual({
      code: 'insufficient_data',
      message: 'The 0.1-day volatility window holds 2 ONE_HOUR candles, fewer than the 5 a volatility needs',
    });
    expect(result.approval).toBeUndefined();
    // 5 hourly candles are enough.
    const enough = await createRiskManager({ limits: { ...limits, volatilityWindowDays: 5 / 24 }, signer, approvalTtlMs: 60_000 }).assess(buy({ candleStartMs: NOW_MS - 7_200_000 }), context);
    expect(enough.assessment.reasons.map((reason) => reason.code)).not.toContain('insufficient_data');
  });

  it('refuses a SELL beyond the position left after pending sells', async () => {
    const { store, context } = await createRiskFixture();
    await holdEth(store, '0.5');
    const risk = createRiskManager({ limits, signer, approvalTtlMs: 60_000 });
    const sell = (hoursAgo: number) => buy({ productId: 'ETH-USD', side: 'SELL', intent: 'reduce', baseSize: decimal('0.3'), candleStartMs: NOW_MS - hoursAgo * 3_600_000, referencePrice: 2_000 });
    expect((await risk.assess(sell(1), context)).approval?.maxBaseSize).toBe('0.3');
    expect((await risk.assess(sell(2), context)).approval?.maxBaseSize).toBe('0.2');
    const third = await risk.assess(sell(3), context);
    expect(third.assessment.reasons.map((reason) => reason.code)).toEqual(['nothing_held']);
  });
});
