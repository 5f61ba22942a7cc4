import {
  TradepipeError,
  compareDecimal,
  decimal,
  isProductTradable,
  isTradepipeError,
  type Order,
  type OrderUpdate,
  type Product,
  type StageContext,
} from '@tradepipe/core';

/**
 * Refuses products that do not take market orders now (disabled, cancel-only, limit-only).
 * @throws TradepipeError `product_not_tradable`
 * @internal
 */
export function assertTradable(product: Product): void {
  if (!isProductTradable(product)) {
    throw new TradepipeError('product_not_tradable', 'The product does not take market orders now', { details: { productId: product.productId, status: product.status } });
  }
}

/** Coinbase-style reason an order is below the product's minimum size, if it is. @internal */
export function minimumSizeRefusal(order: Order, product: Product): string | undefined {
  if (order.quoteSize !== undefined && compareDecimal(order.quoteSize, product.quoteMinSize) < 0) return 'PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL';
  if (order.baseSize !== undefined && (compareDecimal(order.baseSize, product.baseMinSize) < 0 || compareDecimal(order.baseSize, decimal('0')) === 0)) {
    return 'PREVIEW_INVALID_BASE_SIZE_TOO_SMALL';
  }
  return undefined;
}

/**
 * Applies an order update through the store, stamped with the clock, and logs the transition. A transition the
 * stored order no longer allows means another worker moved it first (two executors on one approval).
 * @throws TradepipeError `order_conflict` then, never a raw `invalid_state_transition`
 * @internal
 */
export async function updateOrderStatus(order: Order, update: Omit<OrderUpdate, 'updatedAtMs'>, context: StageContext): Promise<Order> {
  let next: Order;
  try {
    next = await context.store.updateOrder(order.id, { ...update, updatedAtMs: context.clock.nowMs() });
  } catch (error) {
    if (!isTradepipeError(error, 'invalid_state_transition')) throw error;
    const stored = await context.store.getOrder(order.id);
    throw new TradepipeError('order_conflict', 'Another worker moved this order first; re-read it', {
      cause: error,
      details: { orderId: order.id, expectedStatus: order.status, storedStatus: stored?.status ?? 'missing', wantedStatus: update.status ?? order.status },
    });
  }
  if (next.status !== order.status) {
    context.logger.info('order status changed', { orderId: order.id, clientOrderId: order.clientOrderId, from: order.status, to: next.status, reason: next.statusReason });
  }
  return next;
}

/** Whether an order has reached a status it never leaves. @internal */
export function isTerminalOrder(order: Order): boolean {
  return order.status === 'EXECUTED' || order.status === 'REJECTED' || order.status === 'FAILED';
}
