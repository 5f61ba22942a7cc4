import { compareDecimal, decimal, subtractDecimal, toApproxNumber, type RiskState } from '@tradepipe/core';
import { testProduct, testRecommendation } from '@tradepipe/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideRisk, type RiskInputs } from './decide.js';
import { parseRiskLimits } from './limits.js';

const limits = parseRiskLimits({
  maxOrderQuote: 500,
  maxPositionQuote: 2_000,
  maxTotalExposureQuote: 10_000,
  maxPortfolioHeat: 0.25,
  maxDailyLossFraction: 0.05,
  maxOrdersPerHour: 10,
});
const calm: RiskState = { killSwitch: { engaged: false, mode: 'freeze' }, updatedAtMs: 0 };
const recommendation = testRecommendation();
const nowMs = recommendation.createdAtMs + 1_000;

function inputs(overrides: Partial<RiskInputs> = {}): RiskInputs {
  return {
    recommendation,
    product: testProduct(),
    nowMs,
    riskState: calm,
    market: { markPrice: 50_000, lastCandleStartMs: recommendation.candleStartMs, lastCandleCloseMs: recommendation.createdAtMs },
    volatility: { annualized: 0.6, returns: 336 },
    exposures: [{ productId: 'ETH-USD', positionSizeBase: decimal('0.5'), notionalQuote: 1_000, reservedBuyQuote: 0, reservedSellBase: decimal('0'), volatilityAnnualized: 0.5 }],
    quoteAvailable: 9_000,
    equityQuote: 10_000,
    dayStartEquityQuote: 10_100,
    ordersLastHour: 0,
    maxCandleAgeMs: 7_200_000,
    ...overrides,
  };
}

describe('decideRisk (BUY)', () => {
  it('sizes a BUY as computed by hand', () => {
    // heat = 1000 × 0.5 / 10000 = 0.05; daily PnL = 10000 − 10100 = −100; loss limit 0.05 × 10100 = 505
    // score = 0.4 × 0.6/2 + 0.3 × 0.05/0.25 + 0.2 × 100/505 + 0.1 × 1000/10000 = 0.12 + 0.06 + 0.0396040 + 0.01 = 0.2296040
    // target 10000 × 0.02 / 0.6 = 333.33 → min(100, 333.33) = 100; scale (1 − 0.2296040) × (1 − 0.2) = 0.6163168
    // amount 61.63168 → floored to 0.01: 61.63; heat after 0.05 + 61.63 × 0.6 / 10000 = 0.0536978
    const draft = decideRisk(inputs(), limits);
    expect(draft.decision).toBe('APPROVE');
    expect(draft.portfolioHeat).toBeCloseTo(0.05, 12);
    expect(draft.dailyPnlQuote).toBe(-100);
    expect(draft.riskScore).toBeCloseTo(0.229604, 6);
    expect(draft.figures.volatilityTargetQuote).toBeCloseTo(333.3333, 4);
    expect(draft.figures.sizingScale).toBeCloseTo(0.6163168, 6);
    expect(draft.adjustedQuoteAmount).toBe('61.63');
    expect(draft.portfolioHeatAfter).toBeCloseTo(0.0536978, 7);
    expect(draft.reasons.map((reason) => reason.code)).toEqual(['approved', 'size_reduced']);
  });

  it('caps by the tightest limit and names it', () => {
    const draft = decideRisk(inputs({ recommendation: { ...recommendation, quoteAmount: decimal('5000') } }), { ...limits, maxOrderQuote: 120, heatBudgetPerTrade: 1 });
    expect(draft.decision).toBe('APPROVE');
    expect(draft.adjustedQuoteAmount).toBe('120');
    expect(draft.reasons.map((reason) => reason.code)).toContain('max_order_amount');
  });

  it.each([
    ['kill_switch', { riskState: { ...calm, killSwitch: { engaged: true, mode: 'freeze' as const } } }, {}],
    ['cooldown', { riskState: { ...calm, cooldownUntilMs: nowMs + 1 } }, {}],
    ['max_daily_loss', { dayStartEquityQuote: 10_600 }, {}],
    ['max_orders_per_hour', { ordersLastHour: 10 }, {}],
    ['product_not_tradable', { product: testProduct({ status: 'cancel_only' }) }, {}],
    ['product_not_tradable', { product: undefined }, {}],
    ['stale_data', { nowMs: recommendation.createdAtMs + 7_200_001 }, {}],
    ['insufficient_data', { volatility: undefined }, {}],
    ['insufficient_data', { market: undefined }, {}],
    ['max_portfolio_heat', { exposures: [{ productId: 'ETH-USD', positionSizeBase: decimal('1.25'), notionalQuote: 2_500, reservedBuyQuote: 0, reservedSellBase: decimal('0'), volatilityAnnualized: 1 }] }, {}],
    ['max_total_exposure', {}, { maxTotalExposureQuote: 1_000.5 }],
    ['max_position', { recommendation: { ...recommendation, productId: 'ETH-USD' }, product: testProduct({ productId: 'ETH-USD' }) }, { maxPositionQuote: 1_000 }],
    ['insufficient_funds', { quoteAvailable: 0.5 }, {}],
    ['min_order_size', {}, { minOrderQuote: 70 }],
  ] as const)('refuses with %s', (code, override, limitOverride) => {
    const draft = decideRisk(inputs(override as Partial<RiskInputs>), { ...limits, ...limitOverride });
    expect(draft.decision).toBe('REJECT');
    expect(draft.reasons.map((reason) => reason.code)).toContain(code);
    expect(draft.adjustedQuoteAmount).toBe('0');
  });

  it('asks for a cool-down when the daily loss limit trips, not while one runs', () => {
    // loss 10600 − 10000 = 600 ≥ 0.05 × 10600 = 530
    expect(decideRisk(inputs({ dayStartEquityQuote: 10_600 }), limits).startCooldown).toBe(true);
    expect(decideRisk(inputs({ dayStartEquityQuote: 10_600, riskState: { ...calm, cooldownUntilMs: nowMs + 1 } }), limits).startCooldown).toBe(false);
  });
});

describe('decideRisk (SELL)', () => {
  const sell = testRecommendation({ side: 'SELL', productId: 'ETH-USD', baseSize: decimal('0.3') });
  const held = { productId: 'ETH-USD', positionSizeBase: decimal('0.5'), notionalQuote: 1_000, reservedBuyQuote: 0, reservedSellBase: decimal('0.25'), volatilityAnnualized: 0.5 };
  const sellInputs = (overrides: Partial<RiskInputs> = {}): RiskInputs =>
    inputs({ recommendation: sell, product: testProduct({ productId: 'ETH-USD' }), exposures: [held], market: { markPrice: 2_000, lastCandleStartMs: sell.candleStartMs, lastCandleCloseMs: sell.createdAtMs }, ...overrides });

  it('sells no more than is held minus pending sells, even while opening is blocked', () => {
    const blocked = { ...calm, killSwitch: { engaged: true, mode: 'flatten' as const }, cooldownUntilMs: nowMs + 1 };
    const draft = decideRisk(sellInputs({ riskState: blocked, ordersLastHour: 99, volatility: undefined, dayStartEquityQuote: 1e6 }), limits);
    expect(draft.decision).toBe('APPROVE');
    expect(draft.adjustedBaseSize).toBe('0.25');
    expect(draft.adjustedQuoteAmount).toBe('500');
    expect(draft.reasons.map((reason) => reason.code)).toEqual(['approved', 'size_reduced']);
    // heat 0.05 − 500 × 0.5 / 10000 = 0.025
    expect(draft.portfolioHeatAfter).toBeCloseTo(0.025, 12);
  });

  it('refuses a sell of nothing, of dust, or of a product that cannot trade', () => {
    expect(decideRisk(sellInputs({ exposures: [] }), limits).reasons[0]!.code).toBe('nothing_held');
    expect(decideRisk(sellInputs({ exposures: [{ ...held, reservedSellBase: decimal('0.5') }] }), limits).reasons[0]!.code).toBe('nothing_held');
    expect(decideRisk(sellInputs({ product: testProduct({ productId: 'ETH-USD', baseMinSize: decimal('1') }) }), limits).reasons[0]!.code).toBe('min_order_size');
    expect(decideRisk(sellInputs({ product: testProduct({ productId: 'ETH-USD', status: 'disabled' }) }), limits).reasons[0]!.code).toBe('product_not_tradable');
  });
});

describe('decideRisk properties', () => {
  it('never gives a negative amount, more than requested, or an amount that breaks a limit (fast-check, seed 8105)', () => {
    const exposure = fc.record({
      productId: fc.constantFrom('ETH-USD', 'SOL-USD', 'BTC-USD'),
      size: fc.integer({ min: 0, max: 10_000 }),
      notionalQuote: fc.double({ min: 0, max: 20_000, noNaN: true }),
      reservedBuyQuote: fc.double({ min: 0, max: 2_000, noNaN: true }),
      reservedSell: fc.integer({ min: 0, max: 10_000 }),
      volatilityAnnualized: fc.double({ min: 0.01, max: 4, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(exposure, { selector: (item) => item.productId, maxLength: 3 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0.01, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 50_000, noNaN: true }),
        fc.constantFrom<'BUY' | 'SELL'>('BUY', 'SELL'),
        fc.integer({ min: 0, max: 10_000 }),
        (raw, requestedCents, volatility, quoteAvailable, side, sellUnits) => {
          const exposures = raw.map((item) => ({
            productId: item.productId,
            positionSizeBase: decimal((item.size / 1000).toFixed(3)),
            notionalQuote: item.notionalQuote,
            reservedBuyQuote: item.reservedBuyQuote,
            reservedSellBase: decimal((item.reservedSell / 1000).toFixed(3)),
            volatilityAnnualized: item.volatilityAnnualized,
          }));
          const equityQuote = quoteAvailable + exposures.reduce((sum, item) => sum + item.notionalQuote, 0);
          const requested = decimal((requestedCents / 100).toFixed(2));
          const rec = side === 'BUY' ? { ...recommendation, quoteAmount: requested } : { ...recommendation, side, intent: 'reduce' as const, baseSize: decimal((sellUnits / 1000).toFixed(3)) };
          const draft = decideRisk(inputs({ recommendation: rec, exposures, quoteAvailable, equityQuote, dayStartEquityQuote: equityQuote, volatility: { annualized: volatility, returns: 336 } }), limits);
          const amount = toApproxNumber(draft.adjustedQuoteAmount);
          expect(amount).toBeGreaterThanOrEqual(0);
          if (side === 'SELL') {
            const position = exposures.find((item) => item.productId === rec.productId);
            const held = position === undefined ? decimal('0') : subtractDecimal(position.positionSizeBase, position.reservedSellBase);
            if (draft.decision === 'APPROVE') expect(compareDecimal(draft.adjustedBaseSize!, held)).toBeLessThanOrEqual(0);
            expect(compareDecimal(draft.adjustedBaseSize ?? decimal('0'), rec.baseSize!)).toBeLessThanOrEqual(0);
            return;
          }
          expect(compareDecimal(draft.adjustedQuoteAmount, requested)).toBeLessThanOrEqual(0);
          if (draft.decision !== 'APPROVE') return;
          const tolerance = 1e-6;
          const own = exposures.find((item) => item.productId === rec.productId);
          const totalReserved = exposures.reduce((sum, item) => sum + item.reservedBuyQuote, 0);
          expect(amount).toBeLessThanOrEqual(limits.maxOrderQuote + tolerance);
          expect(draft.exposureQuote + amount).toBeLessThanOrEqual(limits.maxTotalExposureQuote + tolerance);
          expect((own?.notionalQuote ?? 0) + (own?.reservedBuyQuote ?? 0) + amount).toBeLessThanOrEqual(limits.maxPositionQuote + tolerance);
          expect(draft.portfolioHeatAfter).toBeLessThanOrEqual(limits.maxPortfolioHeat + tolerance);
          expect(amount).toBeLessThanOrEqual(quoteAvailable - totalReserved + tolerance);
          expect(amount).toBeGreaterThanOrEqual(1);
        },
      ),
      { seed: 8105, numRuns: 500 },
    );
  });
});
