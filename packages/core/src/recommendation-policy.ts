import { z } from 'zod';
import { compareDecimal, decimal, decimalFromNumber, divideDecimal, floorToIncrement, isZeroDecimal, minDecimal, multiplyDecimal, PositiveDecimalSchema } from './decimal.js';
import { recordId } from './ids.js';
import type { RecommendationDecision, RecommendationPolicy } from './interfaces.js';
import { parseWith } from './parse.js';
import type { TradeRecommendation } from './records/trading.js';

/** Options of the default signal bridge. */
export const DefaultRecommendationPolicyOptionsSchema = z.object({
  /** Quote amount a BUY spends, and the most a SELL sells (in quote value); greater than 0. The seed's $100. */
  tradeQuoteAmount: PositiveDecimalSchema.default(decimal('100')),
  /** How long a recommendation stays valid; after this it is expired, never validated or executed. */
  ttlMs: z.number().int().positive().default(10 * 60_000),
});

/** Options of the default signal bridge; see {@link DefaultRecommendationPolicyOptionsSchema}. */
export interface DefaultRecommendationPolicyOptions extends z.input<typeof DefaultRecommendationPolicyOptionsSchema> {}

/**
 * Policies made here, which read no signal's `features` and keep nothing of their input (see {@link readsNoFeatures}),
 * each with the `recommend` it was made with.
 */
const FEATURE_FREE_POLICIES = new WeakMap<RecommendationPolicy, RecommendationPolicy['recommend']>();

/**
 * Whether `policy` is one {@link createDefaultRecommendationPolicy} made (the object itself, not a wrapper or a
 * copy) with its own `recommend` still in place (not replaced by the caller): it never reads a signal's `features`
 * and keeps nothing of its input, so the batched replay may hand it a signal whose feature vector it reuses for the
 * next candle.
 * @internal
 */
export function readsNoFeatures(policy: RecommendationPolicy): boolean {
  const recommend = FEATURE_FREE_POLICIES.get(policy);
  return recommend !== undefined && policy.recommend === recommend;
}

/** The decision on every HOLD signal: one frozen object (a replay decides half a million of them). */
const HOLD_DECISION: RecommendationDecision = Object.freeze({ kind: 'none', reason: 'hold' });

/**
 * The seed's signal bridge: BUY opens a $100 position; SELL sells up to $100 worth of what is held (all of
 * it if less), in base size rounded down to the product's increment; SELL with nothing held is a recorded
 * REJECT; HOLD makes nothing. No shorting. The recommendation's id derives from (pipeline, product,
 * granularity, candle start, stage `signal`), so a replay or a retrained model never makes a second one.
 * @throws TradepipeError `validation_failed` for invalid options (e.g. a `tradeQuoteAmount` of 0 or less).
 * @example
 * const policy = createDefaultRecommendationPolicy({ tradeQuoteAmount: '100', ttlMs: 600_000 });
 */
export function createDefaultRecommendationPolicy(options: DefaultRecommendationPolicyOptions = {}): RecommendationPolicy {
  const { tradeQuoteAmount, ttlMs } = parseWith(DefaultRecommendationPolicyOptionsSchema, options, 'recommendation policy options');
  const policy: RecommendationPolicy = {
    name: 'default-100',
    recommend({ signal, product, position, nowMs }): RecommendationDecision {
      if (signal.action === 'HOLD') return HOLD_DECISION;
      const base: Omit<TradeRecommendation, 'side' | 'intent' | 'quoteAmount' | 'baseSize'> = {
        id: recordId('recommendation', [signal.pipelineId, signal.productId, signal.granularity, signal.candleStartMs, 'signal']),
        pipelineId: signal.pipelineId,
        productId: signal.productId,
        granularity: signal.granularity,
        candleStartMs: signal.candleStartMs,
        origin: { type: 'signal', signalId: signal.id, confidence: signal.confidence },
        referencePrice: signal.closePrice,
        createdAtMs: nowMs,
        expiresAtMs: nowMs + ttlMs,
      };
      if (signal.action === 'BUY') {
        return { kind: 'recommend', recommendation: { ...base, side: 'BUY', intent: 'open', quoteAmount: tradeQuoteAmount } };
      }
      const held = position?.sizeBase ?? decimal('0');
      const price = decimalFromNumber(signal.closePrice, product.priceIncrement, 'half-even');
      const worthTradeAmount = divideDecimal(tradeQuoteAmount, price, 18, 'down');
      const baseSize = floorToIncrement(minDecimal(held, worthTradeAmount), product.baseIncrement);
      const quoteAmount = floorToIncrement(multiplyDecimal(baseSize, price), product.quoteIncrement);
      const sell: TradeRecommendation = { ...base, side: 'SELL', intent: 'reduce', quoteAmount, baseSize };
      if (isZeroDecimal(held)) return { kind: 'reject', recommendation: sell, reason: 'nothing_held: SELL with no position (no shorting)' };
      if (isZeroDecimal(baseSize) || compareDecimal(baseSize, product.baseMinSize) < 0) {
        return { kind: 'reject', recommendation: sell, reason: 'below_minimum: the position is smaller than the minimum order size' };
      }
      return { kind: 'recommend', recommendation: sell };
    },
  };
  FEATURE_FREE_POLICIES.set(policy, policy.recommend);
  return policy;
}
