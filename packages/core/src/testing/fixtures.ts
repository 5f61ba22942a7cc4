import { createHmacApprovalSigner, signRiskApproval, type ApprovalSigner } from '../approval.js';
import { decimal } from '../decimal.js';
import { clientOrderIdFor, recordId } from '../ids.js';
import type { Order, Fill } from '../records/execution.js';
import type { Candle, Product } from '../records/market.js';
import type { RiskApproval, RiskAssessment, ExposureReservation } from '../records/risk.js';
import type { Signal, TradeRecommendation } from '../records/trading.js';
import { GRANULARITIES, type Granularity } from '../time.js';

/** A fixed instant used by fixtures: 2025-01-01T00:00:00Z. */
export const FIXTURE_START_MS = Date.UTC(2025, 0, 1);

/** An approval signer with a fixed test secret (never use it outside tests). */
export function createTestApprovalSigner(keyId = 'test-risk'): ApprovalSigner {
  return createHmacApprovalSigner({ keyId, secret: 'tradepipe-test-secret-0123456789abcdef' });
}

/**
 * A valid closed candle; `index` steps by the granularity from {@link FIXTURE_START_MS}.
 * @example
 * const candle = testCandle({ index: 3, close: 101 });
 */
export function testCandle(overrides: Partial<Candle> & { index?: number } = {}): Candle {
  const { index = 0, ...rest } = overrides;
  const granularity: Granularity = rest.granularity ?? 'ONE_HOUR';
  const close = rest.close ?? 100 + index;
  const open = rest.open ?? close - 0.5;
  return {
    productId: 'BTC-USD',
    granularity,
    startMs: FIXTURE_START_MS + index * GRANULARITIES[granularity],
    open,
    high: Math.max(open, close) + 1,
    low: Math.min(open, close) - 1,
    close,
    volume: 10,
    gapFilled: false,
    ...rest,
  };
}

/** A BTC-USD product with Coinbase-like increments. */
export function testProduct(overrides: Partial<Product> = {}): Product {
  return {
    productId: 'BTC-USD',
    baseCurrency: 'BTC',
    quoteCurrency: 'USD',
    baseIncrement: decimal('0.00000001'),
    quoteIncrement: decimal('0.01'),
    priceIncrement: decimal('0.01'),
    baseMinSize: decimal('0.00000001'),
    quoteMinSize: decimal('1'),
    status: 'online',
    ...overrides,
  };
}

/** A BUY signal for a candle, with a made-up 3-value feature vector. */
export function testSignal(overrides: Partial<Signal> & { pipelineId?: string } = {}): Signal {
  const pipelineId = overrides.pipelineId ?? 'test';
  const candleStartMs = overrides.candleStartMs ?? FIXTURE_START_MS;
  const productId = overrides.productId ?? 'BTC-USD';
  const granularity = overrides.granularity ?? 'ONE_HOUR';
  return {
    id: recordId('signal', [pipelineId, productId, granularity, candleStartMs]),
    pipelineId,
    productId,
    granularity,
    candleStartMs,
    action: 'BUY',
    confidence: 0.7,
    modelId: 'test-model',
    modelVersion: '1',
    closePrice: 100,
    features: { productId, granularity, candleStartMs, featureSetVersion: 'test-3', values: [0.1, 0.2, 0.3] },
    generatedAtMs: candleStartMs + GRANULARITIES[granularity],
    ...overrides,
  };
}

/** A $100 BUY recommendation (or a SELL with `side: 'SELL'` and a base size). */
export function testRecommendation(overrides: Partial<TradeRecommendation> & { index?: number } = {}): TradeRecommendation {
  const { index = 0, ...rest } = overrides;
  const pipelineId = rest.pipelineId ?? 'test';
  const productId = rest.productId ?? 'BTC-USD';
  const granularity = rest.granularity ?? 'ONE_HOUR';
  const candleStartMs = rest.candleStartMs ?? FIXTURE_START_MS + index * GRANULARITIES[granularity];
  const side = rest.side ?? 'BUY';
  const createdAtMs = rest.createdAtMs ?? candleStartMs + GRANULARITIES[granularity];
  return {
    id: recordId('recommendation', [pipelineId, productId, granularity, candleStartMs, 'signal']),
    pipelineId,
    productId,
    granularity,
    candleStartMs,
    side,
    intent: side === 'BUY' ? 'open' : 'reduce',
    origin: { type: 'signal', signalId: recordId('signal', [pipelineId, productId, granularity, candleStartMs]), confidence: 0.7 },
    quoteAmount: decimal('100'),
    ...(side === 'SELL' ? { baseSize: decimal('0.001') } : {}),
    referencePrice: 100_000,
    createdAtMs,
    expiresAtMs: createdAtMs + 15 * 60_000,
    ...rest,
  };
}

/** An APPROVE assessment for a recommendation. */
export function testAssessment(recommendation: TradeRecommendation, overrides: Partial<RiskAssessment> = {}): RiskAssessment {
  return {
    id: recordId('assessment', [recommendation.id]),
    recommendationId: recommendation.id,
    productId: recommendation.productId,
    side: recommendation.side,
    decision: 'APPROVE',
    reasons: [{ code: 'approved', message: 'within limits' }],
    volatilityAnnualized: 0.5,
    volatilityWindowDays: 14,
    portfolioHeat: 0,
    portfolioHeatAfter: 0.01,
    riskScore: 0.3,
    requestedQuoteAmount: recommendation.quoteAmount,
    adjustedQuoteAmount: recommendation.quoteAmount,
    ...(recommendation.baseSize === undefined ? {} : { adjustedBaseSize: recommendation.baseSize }),
    equityQuote: 10_000,
    exposureQuote: 0,
    dailyPnlQuote: 0,
    markPrice: recommendation.referencePrice,
    lastCandleStartMs: recommendation.candleStartMs,
    figures: {},
    assessedAtMs: recommendation.createdAtMs,
    ...overrides,
  };
}

/** A signed approval and its reservation for a recommendation, valid for `ttlMs` from `issuedAtMs`. */
export function testApproval(
  recommendation: TradeRecommendation,
  options: { signer?: ApprovalSigner; issuedAtMs?: number; ttlMs?: number } = {},
): { approval: RiskApproval; reservation: ExposureReservation } {
  const signer = options.signer ?? createTestApprovalSigner();
  const issuedAtMs = options.issuedAtMs ?? recommendation.createdAtMs;
  const expiresAtMs = issuedAtMs + (options.ttlMs ?? 60_000);
  const approval = signRiskApproval(signer, {
    id: recordId('approval', [recommendation.id]),
    recommendationId: recommendation.id,
    clientOrderId: clientOrderIdFor(recommendation.id),
    productId: recommendation.productId,
    side: recommendation.side,
    ...(recommendation.side === 'BUY' ? { maxQuoteAmount: recommendation.quoteAmount } : { maxBaseSize: recommendation.baseSize! }),
    issuedAtMs,
    expiresAtMs,
  });
  const reservation: ExposureReservation = {
    approvalId: approval.id,
    productId: approval.productId,
    side: approval.side,
    quoteAmount: recommendation.quoteAmount,
    baseSize: recommendation.baseSize ?? decimal('0'),
    reservedAtMs: issuedAtMs,
    expiresAtMs,
  };
  return { approval, reservation };
}

/** The order intent an executor records for an approval. */
export function testOrderIntent(approval: RiskApproval, createdAtMs: number): Order {
  return {
    id: recordId('order', [approval.recommendationId]),
    recommendationId: approval.recommendationId,
    approvalId: approval.id,
    clientOrderId: approval.clientOrderId,
    venue: 'paper',
    productId: approval.productId,
    side: approval.side,
    orderType: 'market_ioc',
    ...(approval.side === 'BUY' ? { quoteSize: approval.maxQuoteAmount! } : { baseSize: approval.maxBaseSize! }),
    status: 'INTENT_RECORDED',
    filledBaseSize: decimal('0'),
    filledQuoteValue: decimal('0'),
    totalFees: decimal('0'),
    createdAtMs,
    updatedAtMs: createdAtMs,
  };
}

/** A fill of an order. */
export function testFill(order: Order, overrides: Partial<Fill> = {}): Fill {
  return {
    id: `fill-${order.id}`,
    orderId: order.id,
    clientOrderId: order.clientOrderId,
    venue: order.venue,
    productId: order.productId,
    side: order.side,
    price: decimal('50000'),
    sizeBase: decimal('0.002'),
    commission: decimal('1.2'),
    liquidity: 'TAKER',
    filledAtMs: order.createdAtMs + 1_000,
    ...overrides,
  };
}
