import { verifyRiskApproval, type ApprovalSigner } from './approval.js';
import { decimal, floorToIncrement, isZeroDecimal, type DecimalString } from './decimal.js';
import { TradepipeError } from './errors.js';
import { clientOrderIdFor, recordId } from './ids.js';
import type { Order, OrderType } from './records/execution.js';
import type { Product } from './records/market.js';
import type { RiskApproval } from './records/risk.js';
import type { TradeRecommendation } from './records/trading.js';
import type { PipelineStore } from './store.js';

/**
 * The one way an executor starts an order: verifies the approval's signature and expiry, checks it belongs
 * to the recommendation, and consumes it in the same store transaction that records the order intent, sized
 * exactly as approved. Call it before any request leaves; on a retry, look the order up by client order id
 * first (this refuses a consumed approval).
 * @param input.orderType `market_ioc` by default; `limit_ioc`/`limit_gtc` need `limitPrice` (and `baseSize` for a BUY)
 * @throws TradepipeError `approval_invalid` (missing, forged, altered, another recommendation), `approval_expired`, `approval_consumed`
 * @example
 * const order = await recordOrderIntent({ store, signer, nowMs: clock.nowMs(), recommendation, approval, venue: 'paper' });
 */
export async function recordOrderIntent(input: {
  readonly store: PipelineStore;
  readonly signer: ApprovalSigner;
  readonly nowMs: number;
  readonly recommendation: TradeRecommendation;
  readonly approval: RiskApproval | undefined;
  readonly venue: Order['venue'];
  readonly orderType?: OrderType;
  readonly limitPrice?: DecimalString;
  /** For a limit BUY: the base size (size × limit price must stay within the approved quote amount). */
  readonly baseSize?: DecimalString;
  /** When given, sizes are rounded down to the product's increments (never above what risk approved). */
  readonly product?: Product;
}): Promise<Order> {
  const approval = verifyRiskApproval(input.signer, input.approval, input.nowMs);
  const { recommendation, product } = input;
  if (
    approval.recommendationId !== recommendation.id ||
    approval.productId !== recommendation.productId ||
    approval.side !== recommendation.side ||
    approval.clientOrderId !== clientOrderIdFor(recommendation.id)
  ) {
    throw new TradepipeError('approval_invalid', 'The approval belongs to another recommendation', {
      details: { approvalId: approval.id, recommendationId: input.recommendation.id },
    });
  }
  const orderType = input.orderType ?? 'market_ioc';
  if (orderType !== 'market_ioc' && input.limitPrice === undefined) {
    throw new TradepipeError('validation_failed', 'A limit order needs a limit price');
  }
  const floor = (amount: DecimalString, increment: DecimalString | undefined): DecimalString =>
    increment === undefined || isZeroDecimal(increment) ? amount : floorToIncrement(amount, increment);
  const sizes =
    approval.side === 'SELL'
      ? { baseSize: floor(approval.maxBaseSize!, product?.baseIncrement) }
      : orderType === 'market_ioc'
        ? { quoteSize: floor(approval.maxQuoteAmount!, product?.quoteIncrement) }
        : { baseSize: floor(input.baseSize ?? decimal('0'), product?.baseIncrement) };
  const order: Order = {
    id: recordId('order', [approval.recommendationId]),
    recommendationId: approval.recommendationId,
    approvalId: approval.id,
    clientOrderId: approval.clientOrderId,
    venue: input.venue,
    productId: approval.productId,
    side: approval.side,
    orderType,
    ...sizes,
    ...(input.limitPrice === undefined ? {} : { limitPrice: input.limitPrice }),
    status: 'INTENT_RECORDED',
    filledBaseSize: decimal('0'),
    filledQuoteValue: decimal('0'),
    totalFees: decimal('0'),
    createdAtMs: input.nowMs,
    updatedAtMs: input.nowMs,
  };
  const { order: recorded } = await input.store.consumeApprovalAndRecordOrderIntent(approval, order);
  return recorded;
}
