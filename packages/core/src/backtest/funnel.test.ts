import { describe, expect, it } from 'vitest';
import { decimal } from '../decimal.js';
import type { LlmValidation, RecommendationState, TradeRecommendation } from '../records/trading.js';
import { testApproval, testAssessment, testOrderIntent, testRecommendation } from '../testing/fixtures.js';
import { loadBacktestRecords, type RecommendationTrail } from './backtest-records.js';
import { compareSizes, computeFunnel, summarizeDeadLetters } from './funnel.js';
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
      deadLetters: { total: 0, byKind: { candle: 0, signal: 0, recommendation: 0 }, byCode: [] },
    });
    expect(compareSizes(records)).toEqual({
      approvedBuys: 1,
      requestedQuote: { min: 100, median: 100, max: 100 },
      approvedQuote: { min: 100, median: 100, max: 100 },
      approvedFraction: { min: 1, median: 1, max: 1 },
      reduced: 0,
    });
  });

  it('counts the signals dead-lettered when the product was never stored, instead of showing a run that chose not to trade', async () => {
    const { store, candles } = await runSmallPipeline({ putProduct: false });
    const funnel = computeFunnel(await loadBacktestRecords(store, { productId: 'BTC-USD' }));
    expect(funnel).toMatchObject({ signals: { total: 6 }, recommendations: { total: 0 }, rejections: [] });
    expect(funnel.deadLetters).toEqual({
      total: 6,
      byKind: { candle: 0, signal: 6, recommendation: 0 },
      byCode: [{ kind: 'signal', code: 'not_found', count: 6, message: 'The product of the signal is unknown to the store' }],
    });
    // Only the window's: the signals of the last two candles, and none of another product.
    const lastTwo = computeFunnel(await loadBacktestRecords(store, { productId: 'BTC-USD', fromCandleStartMs: candles.at(-2)!.startMs, toCandleStartMs: candles.at(-1)!.startMs }));
    expect(lastTwo.deadLetters).toMatchObject({ total: 2, byKind: { signal: 2 } });
    expect(computeFunnel(await loadBacktestRecords(store, { productId: 'ETH-USD' })).deadLetters).toMatchObject({ total: 0 });
  });

  it('summarises dead letters by kind and code, the code from the error or else the reason', () => {
    const item = (kind: 'candle' | 'signal' | 'recommendation', id: string, extra: { code?: string; reason?: string }) => ({
      kind,
      id,
      partitionKey: 'BTC-USD/ONE_HOUR',
      attempt: 1,
      updatedAtMs: 0,
      ...(extra.reason === undefined ? {} : { reason: extra.reason }),
      ...(extra.code === undefined ? {} : { lastError: { code: extra.code, message: `${extra.code} happened` } }),
    });
    expect(summarizeDeadLetters([
      item('recommendation', 'r1', { code: 'storage_failed' }),
      item('candle', 'c1', { reason: 'candle_gap: 3 candles missing' }),
      item('signal', 's1', { code: 'model_failed' }),
      item('signal', 's2', { code: 'model_failed' }),
      item('candle', 'c2', {}),
    ])).toEqual({
      total: 5,
      byKind: { candle: 2, signal: 2, recommendation: 1 },
      byCode: [
        { kind: 'signal', code: 'model_failed', count: 2, message: 'model_failed happened' },
        { kind: 'candle', code: 'candle_gap', count: 1, message: 'candle_gap: 3 candles missing' },
        { kind: 'candle', code: 'unspecified', count: 1, message: '' },
        { kind: 'recommendation', code: 'storage_failed', count: 1, message: 'storage_failed happened' },
      ],
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
