import { describe, expect, it } from 'vitest';
import { decimal } from './decimal.js';
import { isTradepipeError } from './errors.js';
import { createDefaultRecommendationPolicy, readsNoFeatures } from './recommendation-policy.js';
import type { Position } from './records/execution.js';
import { testProduct, testSignal } from './testing/fixtures.js';

const policy = createDefaultRecommendationPolicy();
const product = testProduct();
const nowMs = Date.UTC(2025, 0, 1, 1);
const position = (sizeBase: string): Position => ({
  productId: 'BTC-USD',
  sizeBase: decimal(sizeBase),
  averageEntryPrice: decimal('40000'),
  costBasisQuote: decimal('0'),
  realizedPnlQuote: decimal('0'),
  updatedAtMs: nowMs,
});

describe('default recommendation policy (the signal bridge)', () => {
  it('opens $100 on BUY and makes nothing on HOLD', () => {
    const buy = policy.recommend({ signal: testSignal({ action: 'BUY', closePrice: 50_000 }), product, position: undefined, nowMs });
    expect(buy).toMatchObject({ kind: 'recommend', recommendation: { side: 'BUY', intent: 'open', quoteAmount: '100', referencePrice: 50_000 } });
    expect(policy.recommend({ signal: testSignal({ action: 'HOLD' }), product, position: undefined, nowMs }).kind).toBe('none');
  });

  it('sells up to $100 worth, rounded down to the base increment, or all if less', () => {
    const sellSome = policy.recommend({ signal: testSignal({ action: 'SELL', closePrice: 30_000 }), product, position: position('0.01'), nowMs });
    expect(sellSome).toMatchObject({ kind: 'recommend', recommendation: { side: 'SELL', intent: 'reduce', baseSize: '0.00333333', quoteAmount: '99.99' } });
    const sellAll = policy.recommend({ signal: testSignal({ action: 'SELL', closePrice: 30_000 }), product, position: position('0.002'), nowMs });
    expect(sellAll).toMatchObject({ kind: 'recommend', recommendation: { baseSize: '0.002', quoteAmount: '60' } });
  });

  it('refuses a tradeQuoteAmount of 0 or less with validation_failed, at creation', () => {
    for (const tradeQuoteAmount of ['-100', '0', '0.00', '-0.01']) {
      let error: unknown;
      try {
        createDefaultRecommendationPolicy({ tradeQuoteAmount });
      } catch (thrown) {
        error = thrown;
      }
      expect(isTradepipeError(error, 'validation_failed'), tradeQuoteAmount).toBe(true);
      expect((error as Error).message).toBe('Invalid recommendation policy options: must be greater than 0 (at tradeQuoteAmount)');
    }
    const small = createDefaultRecommendationPolicy({ tradeQuoteAmount: '0.01' });
    expect(small.recommend({ signal: testSignal({ action: 'BUY' }), product, position: undefined, nowMs })).toMatchObject({ recommendation: { quoteAmount: '0.01' } });
  });

  it('records a REJECT for a SELL with nothing held (no shorting)', () => {
    const decision = policy.recommend({ signal: testSignal({ action: 'SELL' }), product, position: undefined, nowMs });
    expect(decision.kind).toBe('reject');
    expect(decision.kind === 'reject' && decision.reason).toMatch(/nothing_held/);
  });

  it('derives the id from the natural key, not from the amount', () => {
    const signal = testSignal();
    const a = policy.recommend({ signal, product, position: undefined, nowMs });
    const b = createDefaultRecommendationPolicy({ tradeQuoteAmount: '250' }).recommend({ signal: { ...signal, modelVersion: '2' }, product, position: undefined, nowMs });
    expect(a.kind === 'recommend' && b.kind === 'recommend' && a.recommendation.id === b.recommendation.id).toBe(true);
  });

  it('marks its own policies as reading no features, never a copy or a wrapper of one (the batched replay reuses their signals)', () => {
    expect(readsNoFeatures(policy)).toBe(true);
    expect(readsNoFeatures(createDefaultRecommendationPolicy({ tradeQuoteAmount: '250' }))).toBe(true);
    expect(readsNoFeatures({ ...policy })).toBe(false);
    expect(readsNoFeatures({ name: 'wrapper', recommend: (input) => policy.recommend(input) })).toBe(false);
    // A default policy whose `recommend` the caller replaced may keep what it is given: not marked any more.
    const replaced = createDefaultRecommendationPolicy();
    const original = replaced.recommend;
    (replaced as { recommend: typeof original }).recommend = (input) => original(input);
    expect(readsNoFeatures(replaced)).toBe(false);
  });
});
