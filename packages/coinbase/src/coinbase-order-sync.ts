import { addDecimal, compareDecimal, decimal, divideDecimal, multiplyDecimal, type Fill, type Order, type OrderStatus, type OrderUpdate, type StageContext } from '@tradepipe/core';
import type { CoinbaseClient } from './client.js';
import type { CoinbaseFill, CoinbaseOrder } from './client-orders.js';
import { isTerminalOrder, updateOrderStatus } from './executor-intent.js';

/**
 * The tradepipe status of a Coinbase order: PENDING/QUEUED/OPEN without fills → ACKNOWLEDGED, with fills →
 * PARTIALLY_FILLED; FILLED → EXECUTED; CANCELLED/EXPIRED with fills → EXECUTED (an IOC's filled part), without
 * → FAILED; FAILED → FAILED with the reject reason. Other statuses keep the current one.
 * @internal
 */
export function statusOfExchangeOrder(wire: CoinbaseOrder, current: OrderStatus): { readonly status: OrderStatus; readonly reason?: string } {
  const filled = wire.filled_size !== undefined && compareDecimal(wire.filled_size, decimal('0')) > 0;
  switch (wire.status) {
    case 'PENDING':
    case 'QUEUED':
    case 'OPEN':
      return { status: filled ? 'PARTIALLY_FILLED' : 'ACKNOWLEDGED' };
    case 'FILLED':
      return { status: 'EXECUTED' };
    case 'CANCELLED':
    case 'EXPIRED':
      return filled ? { status: 'EXECUTED', reason: `${wire.status}_AFTER_PARTIAL_FILL` } : { status: 'FAILED', reason: `${wire.status}_WITHOUT_FILL` };
    case 'FAILED':
      return { status: 'FAILED', reason: wire.reject_reason ?? 'FAILED' };
    default:
      return { status: current };
  }
}

const FILL_TOLERANCE_BASE = decimal('0.000000000001');

/** Whether the recorded fills add up to the exchange's filled size (within rounding of quote-sized fills). */
async function fillsCover(order: Order, filledSize: string | undefined, context: StageContext): Promise<boolean> {
  if (filledSize === undefined) return true;
  const recorded = (await context.store.listFills(order.id)).reduce((sum, fill) => addDecimal(sum, fill.sizeBase), decimal('0'));
  return compareDecimal(addDecimal(recorded, FILL_TOLERANCE_BASE), decimal(filledSize)) >= 0;
}

/** A Coinbase fill as a tradepipe fill (id `cb-<entry or trade id>`). @internal */
export function toFill(order: Order, wire: CoinbaseFill): Fill {
  const sizeBase = wire.size_in_quote === true ? divideDecimal(wire.size, wire.price, 18) : wire.size;
  const filledAtMs = Date.parse(wire.trade_time);
  return {
    id: `cb-${wire.entry_id ?? wire.trade_id}`,
    orderId: order.id,
    clientOrderId: order.clientOrderId,
    venue: 'coinbase',
    productId: order.productId,
    side: order.side,
    price: wire.price,
    sizeBase,
    commission: wire.commission,
    liquidity: wire.liquidity_indicator === 'MAKER' ? 'MAKER' : 'TAKER',
    filledAtMs: Number.isFinite(filledAtMs) ? filledAtMs : order.updatedAtMs,
  };
}

/**
 * Records the order's new fills, idempotent by id. A fill of another order, product or side, or priced or sized at
 * zero, is never booked under this one, nor a fill that would take the recorded size past what Coinbase reports filled for the order (an answer
 * repeating a fill under new ids): both are skipped with a warning, and the coverage check keeps the order open
 * until its own fills are in.
 */
async function recordOwnFills(order: Order, wire: CoinbaseOrder, input: { readonly client: CoinbaseClient; readonly currencies: { readonly quoteCurrency: string; readonly baseCurrency: string }; readonly context: StageContext }): Promise<void> {
  const { context } = input;
  const fills = await input.client.listFills({ orderIds: [order.exchangeOrderId!], signal: context.signal });
  const stored = await context.store.listFills(order.id);
  const storedIds = new Set(stored.map((fill) => fill.id));
  let recorded = stored.reduce((sum, fill) => addDecimal(sum, fill.sizeBase), decimal('0'));
  // 0.1 % over the reported size is rounding (quote-sized fills converted to base), not a repeated fill.
  const limit = wire.filled_size === undefined ? undefined : addDecimal(multiplyDecimal(wire.filled_size, decimal('1.001')), FILL_TOLERANCE_BASE);
  let skipped = 0;
  for (const fill of fills) {
    const priced = compareDecimal(fill.price, decimal('0')) > 0 && compareDecimal(fill.size, decimal('0')) > 0;
    const mine = priced && fill.order_id === order.exchangeOrderId && fill.product_id === order.productId && fill.side === order.side;
    const record = mine ? toFill(order, fill) : undefined;
    if (record !== undefined && storedIds.has(record.id)) continue;
    if (record === undefined || (limit !== undefined && compareDecimal(addDecimal(recorded, record.sizeBase), limit) > 0)) {
      skipped += 1;
      continue;
    }
    await context.store.recordFill(record, input.currencies);
    storedIds.add(record.id);
    recorded = addDecimal(recorded, record.sizeBase);
  }
  if (skipped > 0) context.logger.warn('coinbase sent fills that are not this order\'s, are zero or exceed its filled size; not recorded', { orderId: order.id, skippedFills: skipped });
}

/** Whether Coinbase reports more filled than the order asked: base size over `baseSize`, or value over `quoteSize` (0.1 % rounding allowed). */
function exceedsOrder(order: Order, wire: CoinbaseOrder): boolean {
  const over = (filled: string | undefined, ordered: string | undefined): boolean =>
    filled !== undefined && ordered !== undefined && compareDecimal(decimal(filled), multiplyDecimal(decimal(ordered), decimal('1.001'))) > 0;
  return order.quoteSize !== undefined ? over(wire.filled_value, order.quoteSize) : over(wire.filled_size, order.baseSize);
}

/**
 * Polls an acknowledged order once: reads it and its fills, records new fills (idempotent by id, before the
 * status so positions exist when the order ends) and applies the new status and totals.
 * @internal
 */
export async function syncExchangeOrder(order: Order, input: { readonly client: CoinbaseClient; readonly currencies: { readonly quoteCurrency: string; readonly baseCurrency: string }; readonly context: StageContext }): Promise<Order> {
  const { client, context } = input;
  if (order.exchangeOrderId === undefined || isTerminalOrder(order)) return order;
  const wire = await client.getOrder(order.exchangeOrderId, { signal: context.signal });
  const hasFills = wire.number_of_fills !== undefined ? wire.number_of_fills !== '0' : wire.filled_size !== undefined && wire.filled_size !== '0';
  if (hasFills) await recordOwnFills(order, wire, input);
  let { status, reason } = statusOfExchangeOrder(wire, order.status);
  if (status === 'EXECUTED' && !(await fillsCover(order, wire.filled_size, context))) {
    // Coinbase's fills list can lag the order's status: stay open until every fill is recorded, so the position
    // is complete before the order ends (a terminal order is never synced again).
    context.logger.warn('coinbase fills lag the order status; polling again', { orderId: order.id, filledSize: wire.filled_size });
    status = 'PARTIALLY_FILLED';
    reason = undefined;
  }
  if (exceedsOrder(order, wire)) {
    // The books follow the venue (its fills are what the account holds), but an order filled past its size is
    // past its risk approval: say so on the order, loudly.
    context.logger.error('coinbase reports more filled than the order asked', { orderId: order.id, filledSize: wire.filled_size, filledValue: wire.filled_value });
    reason = 'FILLED_BEYOND_ORDER_SIZE';
  }
  const update: Omit<OrderUpdate, 'updatedAtMs'> = {
    status,
    filledBaseSize: wire.filled_size ?? order.filledBaseSize,
    filledQuoteValue: wire.filled_value ?? order.filledQuoteValue,
    totalFees: wire.total_fees ?? order.totalFees,
    ...(wire.average_filled_price === undefined || wire.average_filled_price === '0' ? {} : { averageFillPrice: wire.average_filled_price }),
    ...(reason === undefined ? {} : { statusReason: reason }),
    ...(status === 'EXECUTED' || status === 'FAILED' ? { completedAtMs: context.clock.nowMs() } : {}),
  };
  const unchanged = status === order.status && update.filledBaseSize === order.filledBaseSize && update.totalFees === order.totalFees && update.statusReason === undefined;
  return unchanged ? order : updateOrderStatus(order, update, context);
}
