import { TERMINAL_ORDER_STATUSES, addDecimal, isTradepipeError, compareDecimal, decimal, divideDecimal, isZeroDecimal, multiplyDecimal, type DecimalString, type Fill, type Order, type StageContext } from '@tradepipe/core';
import type { CoinbaseClient } from './client.js';
import type { CoinbaseFill, CoinbaseOrder } from './client-orders.js';

/** What sums of quote-sized fills (converted to base, fees rounded per fill) may exceed a figure by: 0.1 %. @internal */
export const ROUNDING_ALLOWANCE = decimal('1.001');
/** Rounding of base sizes converted from quote (18 decimal places), not a fill. @internal */
export const FILL_TOLERANCE_BASE = decimal('0.000000000001');

/** The fills of an order recorded in the store, summed. @internal */
export interface RecordedFills {
  /** How many fills are recorded. */
  readonly count: number;
  /** Their base size, summed. */
  readonly sizeBase: DecimalString;
  /** Their value in quote (size × price), before commission, summed. */
  readonly valueQuote: DecimalString;
  /** Their commission in quote, summed. */
  readonly commissionQuote: DecimalString;
}

/** What booking an order's fills found. @internal */
export interface FillBooking {
  /** The order's fills now recorded (before this poll and now). */
  readonly recorded: RecordedFills;
  /**
   * Fills Coinbase lists for this order (its id, product and side) that were not booked: priced or sized at zero, or
   * past what the order can have filled (a fill repeated under new ids, or a real fill the order's lagging
   * `filled_size` does not cover yet).
   */
  readonly unbooked: number;
  /** The order as stored when it had ended meanwhile (nothing was booked). */
  readonly endedMeanwhile?: Order;
  /** Entries Coinbase lists for this order that adjust a fill (`trade_type` other than FILL): never booked, they hold the order. */
  readonly adjustments?: number;
}

/** A Coinbase fill as a tradepipe fill (id `cb-<entry or trade id>`). @internal */
export function toFill(order: Order, wire: CoinbaseFill): Fill {
  const sizeBase = wire.size_in_quote === true ? divideDecimal(wire.size, wire.price, 18) : wire.size;
  const filledAtMs = Date.parse(wire.trade_time);
  return {
    id: fillId(wire),
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

function fillId(wire: CoinbaseFill): string {
  return `cb-${wire.entry_id ?? wire.trade_id}`;
}

const ZERO = decimal('0');

/** Adds one fill to running sums. @internal */
export function withFill(sums: RecordedFills, fill: Fill): RecordedFills {
  return {
    count: sums.count + 1,
    sizeBase: addDecimal(sums.sizeBase, fill.sizeBase),
    valueQuote: addDecimal(sums.valueQuote, multiplyDecimal(fill.sizeBase, fill.price)),
    commissionQuote: addDecimal(sums.commissionQuote, fill.commission),
  };
}

/** Sums fills. @internal */
export function sumFills(fills: readonly Fill[]): RecordedFills {
  return fills.reduce(withFill, { count: 0, sizeBase: ZERO, valueQuote: ZERO, commissionQuote: ZERO });
}

/** Whether a decimal is present and above zero (Coinbase's `""` reads as absent; `"0"` is no figure to cap by). */
export function isPositive(value: DecimalString | undefined): value is DecimalString {
  return value !== undefined && !isZeroDecimal(value);
}

/** Whether `total` passes `cap` by more than rounding (0.1 % and 1e-12). */
function over(total: DecimalString, cap: DecimalString): boolean {
  return compareDecimal(total, addDecimal(multiplyDecimal(cap, ROUNDING_ALLOWANCE), FILL_TOLERANCE_BASE)) > 0;
}

/**
 * Whether fills summing to `sums` are more than the order's own size allows: its `baseSize`, or for a quote-sized
 * order its `quoteSize` (a BUY's fill value plus commission, a SELL's fill value); 0.1 % allowed. An order without a
 * size can have filled nothing. @internal
 */
export function exceedsOrderSize(order: Order, sums: RecordedFills): boolean {
  if (order.baseSize !== undefined) return over(sums.sizeBase, order.baseSize);
  if (order.quoteSize !== undefined) return over(order.side === 'BUY' ? addDecimal(sums.valueQuote, sums.commissionQuote) : sums.valueQuote, order.quoteSize);
  return true;
}

/**
 * Whether recorded fills would be more than the order can have filled: past Coinbase's `filled_size` when it sends a
 * positive one (the venue's figure, 0.1 % allowed for rounding); else past the order's own size ({@link exceedsOrderSize}).
 */
function exceedsWhatOrderCanFill(order: Order, wire: CoinbaseOrder, sums: RecordedFills): boolean {
  return isPositive(wire.filled_size) ? over(sums.sizeBase, wire.filled_size) : exceedsOrderSize(order, sums);
}

/**
 * Reads the order's fills from Coinbase and records the new ones, idempotent by id, never more than the order can have
 * filled ({@link exceedsWhatOrderCanFill}). A fill of another order, product or side is not this order's and is
 * skipped; a fill of this order priced or sized at zero, or one past that cap, is refused and counted as unbooked:
 * the caller keeps the order open. Both are logged as warnings. An entry whose `trade_type` is not `FILL` (a
 * REVERSAL or CORRECTION of an earlier fill) is never booked as a fill: it counts as unbooked and is logged as an error.
 * @internal
 */
export async function bookOrderFills(
  order: Order,
  wire: CoinbaseOrder,
  input: { readonly client: CoinbaseClient; readonly currencies: { readonly quoteCurrency: string; readonly baseCurrency: string }; readonly context: StageContext },
): Promise<FillBooking> {
  const { context } = input;
  const listed = await input.client.listFills({ orderIds: [order.exchangeOrderId!], signal: context.signal });
  // Ended meanwhile (an operator settled it): its fills are settled, nothing more is booked.
  const current = await context.store.getOrder(order.id);
  if (current !== undefined && TERMINAL_ORDER_STATUSES.includes(current.status)) return { recorded: sumFills(await context.store.listFills(order.id)), unbooked: 0, endedMeanwhile: current };
  // Each fill is booked only onto the order as read here (compare-and-set under the order's lock): an operator's
  // settlement committed meanwhile makes the store refuse it rather than add it to an order whose totals are final.
  const expectedOrder = { status: (current ?? order).status, statusReason: (current ?? order).statusReason };
  const stored = await context.store.listFills(order.id);
  const storedIds = new Set(stored.map((fill) => fill.id));
  let recorded = sumFills(stored);
  let foreign = 0;
  let unbooked = 0;
  let adjustments = 0;
  for (const wireFill of listed) {
    if (wireFill.order_id !== order.exchangeOrderId || wireFill.product_id !== order.productId || wireFill.side !== order.side) {
      foreign += 1;
      continue;
    }
    if (storedIds.has(fillId(wireFill))) continue;
    if (wireFill.trade_type !== undefined && wireFill.trade_type !== 'FILL') {
      // A REVERSAL or CORRECTION entry adjusts an earlier fill; booked as a fill it would add to the position what
      // the venue took back. It is not booked: the order is held (or, filled to its size, ends) and an operator
      // reconciles the position against the account.
      adjustments += 1;
      unbooked += 1;
      continue;
    }
    const priced = compareDecimal(wireFill.price, ZERO) > 0 && compareDecimal(wireFill.size, ZERO) > 0;
    const fill = priced ? toFill(order, wireFill) : undefined;
    if (fill === undefined || exceedsWhatOrderCanFill(order, wire, withFill(recorded, fill))) {
      unbooked += 1;
      continue;
    }
    try {
      await context.store.recordFill(fill, { ...input.currencies, expectedOrder });
    } catch (error) {
      const ended = isTradepipeError(error) && error.code === 'order_conflict' ? await context.store.getOrder(order.id) : undefined;
      if (ended === undefined || !TERMINAL_ORDER_STATUSES.includes(ended.status)) throw error;
      context.logger.error('the order ended while its fills were booked (an operator settled it, or another worker ended it): a fill coinbase lists was not booked; compare the order\'s fills with the account', {
        orderId: order.id,
        fillId: fill.id,
        statusReason: ended.statusReason ?? '',
      });
      return { recorded: sumFills(await context.store.listFills(order.id)), unbooked: 0, endedMeanwhile: ended };
    }
    storedIds.add(fill.id);
    recorded = withFill(recorded, fill);
  }
  if (foreign > 0) context.logger.warn('coinbase listed fills of another order, product or side; not recorded', { orderId: order.id, foreignFills: foreign });
  if (adjustments > 0) {
    context.logger.error('coinbase lists entries of this order that adjust its fills (trade_type other than FILL); not booked: reconcile the position against the account', {
      orderId: order.id,
      adjustingEntries: adjustments,
      tradeTypes: [...new Set(listed.filter((fill) => fill.trade_type !== undefined && fill.trade_type !== 'FILL').map((fill) => fill.trade_type!))].join(','),
    });
  }
  if (unbooked > 0) {
    context.logger.warn('coinbase listed fills of this order that are zero or exceed what it can have filled; not recorded', {
      orderId: order.id,
      unbookedFills: unbooked,
      filledSize: wire.filled_size ?? '',
      recordedSizeBase: recorded.sizeBase,
    });
  }
  return { recorded, unbooked, adjustments };
}
