import { describe, expect, it } from 'vitest';
import { decimal } from '../decimal.js';
import type { LlmValidation, RecommendationState, TradeRecommendation } from '../records/trading.js';
import { testApproval, testAssessment, testOrderIntent, testRecommendation } from '../testing/fixtures.js';
import { loadBacktestRecords, type RecommendationTrail } from './backtest-records.js';
import { compareSizes, computeFunnel } from './funnel.js';
import { runSmallPipeline } from './test-helpers.js';

describe('backtest funnel', () => {
  it('counts only the signals of the window it reads, not every signal the store holds', async () => {
    const { store, candles } = await runSmallPipeline();
    const all = computeFunnel(await loadBacktestRecords(store, { productId: 'BTC-USD' }));
    const lastTwo = computeFunnel(await loadBacktestRecords(store, { productId: 'BTC-USD', fromCandleStartMs: candles.at(-2)!.startMs, toCandleStartMs: candles.at(-1)!.startMs }));
    expect(all.signals.total).toBe(6);
    expect(lastTwo.signals.total).toBe(2);
    expect(lastTwo.recommendations.total).toBeLessThanOrEqual(2);
  });

  it('counts every step from signals to fills and every stop by stage and code', async () => {
    const { store } = await runSmallPipeline();
    const records = await loadBacktestRecords(store, { productId: 'BTC-USD' });
    const funnel = computeFunnel(records);
    expect(funnel).toEqual({
      signals: { total: 6, BUY: 3, SELL: 1, HOLD: 2 },
      recommendations: { total: 4, bySource: { 'BUY signal': 3, 'SELL signal': 1 } },
      validated: 4,
      validationApproved: 3,
      exitsSkippingValidation: 0,
      riskAssessed: 3,
      riskApproved: 2,
      orders: 2,
      ordersByStatus: { EXECUTED: 2 },
      filledOrders: 2,
      fills: 2,
      outcomes: { EXECUTED: 2, REJECTED: 2 },
      rejections: [
        { stage: 'risk', code: 'max_total_exposure', count: 1 },
        { stage: 'validation', code: 'scripted:rejected', count: 1 },
      ],
    });
    expect(compareSizes(records)).toEqual({
      approvedBuys: 1,
      requestedQuote: { min: 100, median: 100, max: 100 },
      approvedQuote: { min: 100, median: 100, max: 100 },
      approvedFraction: { min: 1, median: 1, max: 1 },
      reduced: 0,
    });
  });

  it('names each stop by a stable code: validator flags and failures, bridge and venue reasons, expiry', () => {
    const trail = (index: number, state: RecommendationState, extra: Partial<RecommendationTrail> = {}, reason?: string): RecommendationTrail => ({
      recommendation: testRecommendation({ index }),
      status: { state, attempt: 0, availableAtMs: 0, updatedAtMs: 0, ...(reason === undefined ? {} : { reason }) },
      validations: [],
      assessment: undefined,
      order: undefined,
      ...extra,
    });
    const validation = (recommendation: TradeRecommendation, fields: Partial<LlmValidation>): LlmValidation => ({
      id: `v-${recommendation.id}-${fields.validator}`, recommendationId: recommendation.id, validator: 'rules', decision: 'REJECT', reasons: ['no'], riskFlags: [], validatedAtMs: 0, ...fields,
    });
    const flagged = testRecommendation({ index: 1 });
    const failed = testRecommendation({ index: 2 });
    const shrunk = testRecommendation({ index: 5 });
    const order = { ...testOrderIntent(testApproval(testRecommendation({ index: 3 })).approval, 0), status: 'REJECTED' as const, statusReason: 'INSUFFICIENT_FUND: not enough USD' };
    const trails = [
      trail(0, 'REJECTED', {}, 'nothing_held: no position to reduce'),
      trail(1, 'REJECTED', { recommendation: flagged, validations: [validation(flagged, { riskFlags: ['stale_data', 'data_gap'] }), validation(flagged, { validator: 'llm', decision: 'APPROVE' })] }),
      trail(2, 'REJECTED', { recommendation: failed, validations: [validation(failed, { validator: 'llm', failure: { kind: 'invalid_json', message: 'not JSON' } })] }),
      trail(3, 'REJECTED', { order }),
      trail(4, 'EXPIRED', {}, 'expired before pending_risk'),
      trail(5, 'EXECUTED', { recommendation: shrunk, assessment: testAssessment(shrunk, { adjustedQuoteAmount: decimal('12.5') }) }),
      trail(6, 'DEAD_LETTER', { status: { state: 'DEAD_LETTER', attempt: 3, availableAtMs: 0, updatedAtMs: 0, lastError: { code: 'storage_unavailable', message: 'down' } } }),
    ];
    const records = { signalCounts: {}, trails, orders: [order], fills: [] };
    expect(computeFunnel(records).rejections).toEqual([
      { stage: 'bridge', code: 'nothing_held', count: 1 },
      { stage: 'execution', code: 'INSUFFICIENT_FUND', count: 1 },
      { stage: 'expiry', code: 'expired', count: 1 },
      { stage: 'failure', code: 'storage_unavailable', count: 1 },
      { stage: 'validation', code: 'llm:invalid_json', count: 1 },
      { stage: 'validation', code: 'rules:data_gap', count: 1 },
      { stage: 'validation', code: 'rules:stale_data', count: 1 },
    ]);
    expect(computeFunnel(records)).toMatchObject({ validated: 2, validationApproved: 0, riskAssessed: 1, riskApproved: 1, ordersByStatus: { REJECTED: 1 } });
    expect(compareSizes(records)).toMatchObject({ approvedBuys: 1, approvedQuote: { min: 12.5, median: 12.5, max: 12.5 }, approvedFraction: { median: 0.125 }, reduced: 1 });
  });
});
