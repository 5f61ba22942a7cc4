import { addDecimal, compareDecimal, decimal, isZeroDecimal, multiplyDecimal, type DecimalString, type Order, type OrderStatus, type OrderUpdate, type StageContext } from '@tradepipe/core';
import type { CoinbaseClient } from './client.js';
import type { CoinbaseOrder } from './client-orders.js';
import { FILL_TOLERANCE_BASE, ROUNDING_ALLOWANCE, bookOrderFills, isPositive, sumFills, type FillBooking, type RecordedFills } from './coinbase-fill-booking.js';
import { isTerminalOrder, updateOrderStatus } from './executor-intent.js';

/** How far (relative) recorded fills may fall short of Coinbase's `filled_size` and still account for it: rounding. */
const SHORTFALL_TOLERANCE = decimal('0.000001');

/** Coinbase statuses after which an order never fills again. */
const ENDED_ON_EXCHANGE: ReadonlySet<CoinbaseOrder['status']> = new Set(['FILLED', 'CANCELLED', 'EXPIRED', 'FAILED']);

/** The fields of Coinbase's answer that are not the order's: its order id, client order id, product and side. @internal */
export function mismatchedAnswerFields(order: Order, wire: CoinbaseOrder): string[] {
  const expected = { order_id: order.exchangeOrderId, client_order_id: order.clientOrderId, product_id: order.productId, side: order.side } as const;
  return (Object.keys(expected) as (keyof typeof expected)[]).filter((field) => wire[field] !== expected[field]);
}

/** The `statusReason` of an order Coinbase answers about as if it were another order (see `held-orders.ts`). @internal */
export const ANSWER_ABOUT_ANOTHER_ORDER = 'HELD_ANSWER_ABOUT_ANOTHER_ORDER';

/**
 * An answer about another order moves nothing of this one: the order stays open, held (`HELD_ANSWER_ABOUT_ANOTHER_ORDER`,
 * once: its `updatedAtMs` stays put, so the stale_orders check speaks up), polled again, and an operator can list and
 * settle it (`tradepipe orders held`) if Coinbase never answers about it. The first such answer is an error in the log,
 * the polls after it warnings; an answer about it later settles it as any held order (`SETTLED_AFTER_HELD_…`).
 */
async function holdOnForeignAnswer(order: Order, wire: CoinbaseOrder, mismatched: readonly string[], context: StageContext): Promise<Order> {
  const fields = { orderId: order.id, exchangeOrderId: order.exchangeOrderId ?? '', mismatchedFields: mismatched.join(','), answeredOrderId: String(wire.order_id ?? ''), answeredStatus: String(wire.status ?? '') };
  if (order.statusReason === ANSWER_ABOUT_ANOTHER_ORDER) {
    context.logger.warn('coinbase still answers about another order; the order stays open and held', fields);
    return order;
  }
  context.logger.error('coinbase answered about another order; nothing of it is recorded, the order stays open (and its reservation held) until coinbase answers about it', fields);
  return updateOrderStatus(order, { statusReason: ANSWER_ABOUT_ANOTHER_ORDER }, context);
}

/**
 * Whether Coinbase's totals say the order filled its whole size (0.1 % rounding allowed): `filled_size` reaches its
 * `baseSize`, or for a quote-sized order `filled_value` (plus `total_fees` for a BUY) reaches its `quoteSize`.
 */
function filledToOrderSize(order: Order, wire: CoinbaseOrder): boolean {
  const reaches = (filled: DecimalString | undefined, ordered: DecimalString): boolean => filled !== undefined && compareDecimal(multiplyDecimal(filled, ROUNDING_ALLOWANCE), ordered) >= 0;
  if (order.baseSize !== undefined) return reaches(wire.filled_size, order.baseSize);
  if (order.quoteSize === undefined || wire.filled_value === undefined) return false;
  return reaches(order.side === 'BUY' ? addDecimal(wire.filled_value, wire.total_fees ?? decimal('0')) : wire.filled_value, order.quoteSize);
}

/**
 * Why the fills of an order Coinbase reports ended are not all accounted for, if they are not: then it must not end
 * yet. A positive `filled_size` must be covered by the recorded fills, and a listed fill it leaves unbooked holds the
 * order unless the order filled its whole size (then it is a repeat); without one (absent, `""` or `"0"`), every fill
 * Coinbase lists must be booked, the recorded fills must reach `filled_value` and `number_of_fills` when sent and
 * positive and not pass them (a fill booked twice under two ids, or totals lagging the fills), an explicit `"0"` must
 * not contradict recorded fills, and a FILLED order must have fills recorded.
 * @internal
 */
export function unaccountedFills(order: Order, wire: CoinbaseOrder, booking: FillBooking): string | undefined {
  const { recorded } = booking;
  // An entry that adjusts a fill (REVERSAL, CORRECTION) is never booked; whatever the figures say, an operator must
  // check the position against the account before the order ends.
  if ((booking.adjustments ?? 0) > 0) return 'FILL_ADJUSTED';
  if (isPositive(wire.filled_size)) {
    // Short by more than rounding: fills converted from quote (size ÷ price) may fall a hair under Coinbase's rounded
    // figure, and an order held for that would be held for ever.
    const shortfallTolerance = addDecimal(multiplyDecimal(wire.filled_size, SHORTFALL_TOLERANCE), FILL_TOLERANCE_BASE);
    if (compareDecimal(addDecimal(recorded.sizeBase, shortfallTolerance), wire.filled_size) < 0) return 'FILLS_BEHIND_FILLED_SIZE';
    return booking.unbooked > 0 && !filledToOrderSize(order, wire) ? 'FILLS_NOT_BOOKED' : undefined;
  }
  if (booking.unbooked > 0) return 'FILLS_NOT_BOOKED';
  const hasRecorded = !isZeroDecimal(recorded.sizeBase);
  if (wire.filled_size !== undefined && hasRecorded) return 'FILLED_SIZE_BEHIND_FILLS';
  if (isPositive(wire.filled_value) && compareDecimal(multiplyDecimal(recorded.valueQuote, ROUNDING_ALLOWANCE), wire.filled_value) < 0) return 'FILLS_BEHIND_FILLED_VALUE';
  // Recorded past Coinbase's figures: ended now, the order would keep them unreported (FILLS_BEYOND_FILLED_SIZE needs a
  // filled size); held, it ends once the figures agree or a filled size says by how much the books are over.
  if (isPositive(wire.filled_value) && compareDecimal(recorded.valueQuote, addDecimal(multiplyDecimal(wire.filled_value, ROUNDING_ALLOWANCE), FILL_TOLERANCE_BASE)) > 0) return 'FILLED_VALUE_BEHIND_FILLS';
  const fillCount = wire.number_of_fills === undefined || !/^\d+$/.test(wire.number_of_fills) ? 0 : Number(wire.number_of_fills);
  if (fillCount > recorded.count) return 'FILLS_BEHIND_NUMBER_OF_FILLS';
  if (fillCount > 0 && fillCount < recorded.count) return 'NUMBER_OF_FILLS_BEHIND_FILLS';
  if (wire.status === 'FILLED' && !hasRecorded) return 'FILLED_WITHOUT_FILLS';
  return undefined;
}

/**
 * The tradepipe status of a Coinbase order, from its status and the fills recorded for it. PENDING/QUEUED/OPEN →
 * ACKNOWLEDGED, or PARTIALLY_FILLED once anything filled. An order Coinbase reports ended whose fills are not all
 * accounted for ({@link unaccountedFills}) stays open (`heldBecause` says why). Else FILLED → EXECUTED;
 * CANCELLED/EXPIRED/FAILED with fills → EXECUTED (an IOC's filled part; the reason says which), without → FAILED (a
 * FAILED one with the reject reason). Other statuses keep the current one.
 * @internal
 */
export function statusOfExchangeOrder(order: Order, wire: CoinbaseOrder, booking: FillBooking): { readonly status: OrderStatus; readonly reason?: string; readonly heldBecause?: string } {
  const current = order.status;
  const hasRecorded = !isZeroDecimal(booking.recorded.sizeBase);
  const open: OrderStatus = hasRecorded || isPositive(wire.filled_size) || current === 'PARTIALLY_FILLED' ? 'PARTIALLY_FILLED' : current;
  if (wire.status === 'PENDING' || wire.status === 'QUEUED' || wire.status === 'OPEN') return { status: open === 'PARTIALLY_FILLED' ? open : 'ACKNOWLEDGED' };
  if (!ENDED_ON_EXCHANGE.has(wire.status)) return { status: open };
  const heldBecause = unaccountedFills(order, wire, booking);
  if (heldBecause !== undefined) return { status: open, heldBecause };
  switch (wire.status) {
    case 'FILLED':
      return { status: 'EXECUTED' };
    case 'FAILED':
      // Money moved on an order Coinbase calls failed: it executed that far (as a cancelled IOC's filled part does).
      return hasRecorded ? { status: 'EXECUTED', reason: `FAILED_AFTER_PARTIAL_FILL${wire.reject_reason === undefined ? '' : `:${wire.reject_reason}`}` } : { status: 'FAILED', reason: wire.reject_reason ?? 'FAILED' };
    default:
      return hasRecorded ? { status: 'EXECUTED', reason: `${wire.status}_AFTER_PARTIAL_FILL` } : { status: 'FAILED', reason: `${wire.status}_WITHOUT_FILL` };
  }
}

/** Whether Coinbase reports more filled than the order asked: base size over `baseSize`, or value over `quoteSize` (0.1 % rounding allowed). */
function exceedsOrder(order: Order, wire: CoinbaseOrder): boolean {
  const over = (filled: string | undefined, ordered: string | undefined): boolean =>
    filled !== undefined && ordered !== undefined && compareDecimal(decimal(filled), multiplyDecimal(decimal(ordered), ROUNDING_ALLOWANCE)) > 0;
  return order.quoteSize !== undefined ? over(wire.filled_value, order.quoteSize) : over(wire.filled_size, order.baseSize);
}

/** Whether Coinbase's answer hints at fills: a fill count or a filled size above zero. */
function mentionsFills(wire: CoinbaseOrder): boolean {
  return (wire.number_of_fills !== undefined && wire.number_of_fills !== '0') || isPositive(wire.filled_size);
}

/** A figure to store: Coinbase's when it sends one above zero, else the recorded fills' when above zero, else the stored one. */
function figure(wireValue: DecimalString | undefined, recordedValue: DecimalString, storedValue: DecimalString): DecimalString {
  if (isPositive(wireValue)) return wireValue;
  return isZeroDecimal(recordedValue) ? storedValue : recordedValue;
}

/**
 * Polls an acknowledged order once: reads it (an answer about another order holds it: see {@link holdOnForeignAnswer}), reads and records its fills
 * (idempotent by id, capped by what the order can have filled, before the status so positions exist when the order
 * ends) and applies the new status and totals. The fills are always read once Coinbase reports the order ended, and an
 * ended order whose fills are not all accounted for stays open, polled again (`statusReason` `HELD_…`): a fill is
 * never lost to a lagging or empty `filled_size`. Fills are booked once per id and never past the order's size; a
 * fill listed twice under two ids while Coinbase sends no `filled_size` can be booked twice, which the order's end
 * then reports (`FILLS_BEYOND_FILLED_SIZE`, an error in the log) unless it is held.
 * @throws TradepipeError the client's errors
 * @internal
 */
export async function syncExchangeOrder(order: Order, input: { readonly client: CoinbaseClient; readonly currencies: { readonly quoteCurrency: string; readonly baseCurrency: string }; readonly context: StageContext }): Promise<Order> {
  const { client, context } = input;
  if (order.exchangeOrderId === undefined || isTerminalOrder(order)) return order;
  const wire = await client.getOrder(order.exchangeOrderId, { signal: context.signal });
  const mismatched = mismatchedAnswerFields(order, wire);
  if (mismatched.length > 0) return holdOnForeignAnswer(order, wire, mismatched, context);
  const booking: FillBooking =
    ENDED_ON_EXCHANGE.has(wire.status) || mentionsFills(wire) ? await bookOrderFills(order, wire, input) : { recorded: sumFills(await context.store.listFills(order.id)), unbooked: 0 };
  if (booking.endedMeanwhile !== undefined) return booking.endedMeanwhile;
  const { status, reason: statusReason, heldBecause } = statusOfExchangeOrder(order, wire, booking);
  let reason = statusReason;
  if (heldBecause !== undefined) {
    // Coinbase's order and fills answers can lag each other: the order ends only once its fills are recorded, so the
    // position is complete when it does (an ended order is never polled again). The reason goes on the order once
    // (`HELD_…`, visible to the operator), so its `updatedAtMs` stays put and the stale_orders check speaks up if
    // Coinbase never settles it; the first hold is an error in the log, the polls after it warnings.
    reason = `HELD_${heldBecause}`;
    const fields = { orderId: order.id, exchangeStatus: wire.status, heldBecause, filledSize: wire.filled_size ?? '', recordedSizeBase: booking.recorded.sizeBase };
    if (order.statusReason !== reason) context.logger.error('coinbase reports the order ended but its fills are not accounted for; the order stays open (and its reservation held) until they are', fields);
    else context.logger.warn('coinbase reports the order ended but its fills are not accounted for; polling again', fields);
  }
  // Settled after a hold: the order no longer says HELD_… (a reason is kept until another replaces it).
  if (reason === undefined && heldBecause === undefined && order.statusReason?.startsWith('HELD_') === true) reason = `SETTLED_AFTER_${order.statusReason}`;
  if (heldBecause === undefined && isPositive(wire.filled_size) && compareDecimal(booking.recorded.sizeBase, addDecimal(multiplyDecimal(wire.filled_size, ROUNDING_ALLOWANCE), FILL_TOLERANCE_BASE)) > 0) {
    // Booked while Coinbase sent no figure to cap by, past what it later reports filled (a fill listed twice under
    // two ids): the books hold more than the venue does. It cannot be unbooked here: say so on the order, loudly.
    // Not while the order is held: its HELD_… reason stays on it (one error, then warnings with both figures).
    context.logger.error('recorded fills exceed what coinbase reports filled for the order', { orderId: order.id, filledSize: wire.filled_size, recordedSizeBase: booking.recorded.sizeBase });
    reason = 'FILLS_BEYOND_FILLED_SIZE';
  }
  if (heldBecause === undefined && exceedsOrder(order, wire)) {
    // Not while held: the HELD_… reason stays (an operator finds and settles held orders by it); this is said at the end.
    // The books follow the venue (its fills are what the account holds), but an order filled past its size is
    // past its risk approval: say so on the order, loudly.
    context.logger.error('coinbase reports more filled than the order asked', { orderId: order.id, filledSize: wire.filled_size, filledValue: wire.filled_value });
    reason = 'FILLED_BEYOND_ORDER_SIZE';
  }
  return applyPoll(order, { status, reason, wire, recorded: booking.recorded }, context);
}

async function applyPoll(order: Order, poll: { readonly status: OrderStatus; readonly reason: string | undefined; readonly wire: CoinbaseOrder; readonly recorded: RecordedFills }, context: StageContext): Promise<Order> {
  const { status, reason, wire, recorded } = poll;
  const update: Omit<OrderUpdate, 'updatedAtMs'> = {
    status,
    filledBaseSize: figure(wire.filled_size, recorded.sizeBase, order.filledBaseSize),
    filledQuoteValue: figure(wire.filled_value, recorded.valueQuote, order.filledQuoteValue),
    totalFees: figure(wire.total_fees, recorded.commissionQuote, order.totalFees),
    ...(isPositive(wire.average_filled_price) ? { averageFillPrice: wire.average_filled_price } : {}),
    ...(reason === undefined ? {} : { statusReason: reason }),
    ...(status === 'EXECUTED' || status === 'FAILED' ? { completedAtMs: context.clock.nowMs() } : {}),
  };
  const unchanged =
    status === order.status &&
    update.filledBaseSize === order.filledBaseSize &&
    update.filledQuoteValue === order.filledQuoteValue &&
    update.totalFees === order.totalFees &&
    (update.statusReason === undefined || update.statusReason === order.statusReason);
  return unchanged ? order : updateOrderStatus(order, update, context);
}
