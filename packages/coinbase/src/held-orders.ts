import {
  FillSchema,
  NonNegativeDecimalSchema,
  TERMINAL_ORDER_STATUSES,
  TradepipeError,
  addDecimal,
  compareDecimal,
  divideDecimal,
  isZeroDecimal,
  multiplyDecimal,
  type DecimalString,
  type Fill,
  type Order,
  type PipelineStore,
} from '@tradepipe/core';
import { FILL_TOLERANCE_BASE, ROUNDING_ALLOWANCE, exceedsOrderSize, sumFills, withFill } from './coinbase-fill-booking.js';

/**
 * The `statusReason` prefix of an order held open by the order sync: Coinbase reports it ended while its fills do not
 * account for it, or answers about it as if it were another order ({@link ANSWER_ABOUT_ANOTHER_ORDER_REASON}).
 */
export const HELD_ORDER_REASON_PREFIX = 'HELD_';

/**
 * The hold of an order Coinbase answers about as if it were another: unlike every other hold, nothing says the order
 * ended on Coinbase (a resting order may still fill), so settling it needs the operator's word that it did
 * ({@link SettleHeldOrderInput.orderEndedOnCoinbase}).
 */
export const ANSWER_ABOUT_ANOTHER_ORDER_REASON = 'HELD_ANSWER_ABOUT_ANOTHER_ORDER';

/** The `statusReason` prefix of an order an operator settled with {@link settleHeldOrder}: `OPERATOR_SETTLED_AFTER_HELD_…: <reason>`. */
export const OPERATOR_SETTLED_REASON_PREFIX = 'OPERATOR_SETTLED_AFTER_';

/** The longest operator reason kept on the order (its `statusReason` holds 1,000 characters in all). */
export const MAX_OPERATOR_REASON_LENGTH = 500;

/** A fill an operator read off Coinbase (the order's fills, in the web app or `GET /orders/historical/fills`) for a held order. */
export interface OperatorFill {
  /**
   * Coinbase's id of the fill: its `entry_id` in the order's fills list (`GET /orders/historical/fills`), else its
   * `trade_id`. Recorded as `cb-<id>`, as the order sync records that fill, so a fill it books too is recorded once.
   */
  readonly coinbaseFillId: string;
  /** Price per base unit, in quote: decimal text as Coinbase lists it (`97250.12`, trailing zeros allowed). */
  readonly price: string;
  /** Its size as Coinbase lists it: in base units, or in quote when `sizeInQuote` (a quote-sized market BUY's fills). */
  readonly size: string;
  /** Coinbase's `size_in_quote`: the size is in quote, converted to base at the fill's price as the order sync converts it. */
  readonly sizeInQuote?: boolean;
  /** Commission paid, in quote (decimal text). */
  readonly commissionQuote: string;
  /** When it filled, epoch ms. */
  readonly filledAtMs: number;
  /** Maker or taker (default TAKER: a market order takes). */
  readonly liquidity?: 'MAKER' | 'TAKER';
}

/** What {@link settleHeldOrder} is told. */
export interface SettleHeldOrderInput {
  /** The held order's id (as `tradepipe orders held` prints it). */
  readonly orderId: string;
  /** Fills Coinbase shows for the order that the store has not recorded; none (omitted or empty) with `nothingFilled` or `recordedFillsComplete`. */
  readonly fills?: readonly OperatorFill[];
  /** The operator's word that the order filled nothing: required to end it with no fill at all (FAILED), refused with fills. */
  readonly nothingFilled?: boolean;
  /** The operator's word that the fills already recorded are all the order's: required to end it with no fill given. */
  readonly recordedFillsComplete?: boolean;
  /**
   * The operator's word that the order has ended on Coinbase (looked up there by its exchange and client order ids,
   * and cancelled if it was still open): required to settle an order held because Coinbase answered about another
   * order (`HELD_ANSWER_ABOUT_ANOTHER_ORDER`), of which nothing says it ended. Once settled it is never polled again.
   */
  readonly orderEndedOnCoinbase?: boolean;
  /**
   * End it even though the fills fall short of what Coinbase reported filled (the order's `filledBaseSize` /
   * `filledQuoteValue` hold Coinbase's last figures): when the operator found Coinbase's figure wrong.
   */
  readonly overrideCoinbaseFigures?: boolean;
  /** Why, and what was checked (kept on the order's `statusReason`). */
  readonly reason: string;
  /** Now, epoch ms (the order's `updatedAtMs` and `completedAtMs`). */
  readonly nowMs: number;
}

/** What {@link settleHeldOrder} did. */
export interface SettledHeldOrder {
  /** The order as it ended: EXECUTED with its fills, or FAILED when it filled nothing. */
  readonly order: Order;
  /** Fills recorded by this call. */
  readonly fillsRecorded: number;
  /** Fills given that the store already held, identical (not recorded again). */
  readonly fillsAlreadyRecorded: number;
}

/** Whether an order is held open: not ended, on Coinbase, its `statusReason` `HELD_…`. */
export function isHeldOrder(order: Order): boolean {
  return order.venue === 'coinbase' && !TERMINAL_ORDER_STATUSES.includes(order.status) && order.statusReason?.startsWith(HELD_ORDER_REASON_PREFIX) === true;
}

/** What the store has recorded of an order's fills. */
export interface RecordedFillTotals {
  /** How many fills. */
  readonly count: number;
  /** Their base size, summed. */
  readonly sizeBase: DecimalString;
  /** Their value in quote (size × price), summed. */
  readonly valueQuote: DecimalString;
  /** Their commission in quote, summed. */
  readonly commissionQuote: DecimalString;
}

/** A held order, with what the store has recorded of its fills (the order's own `filled…` figures are Coinbase's when it sent them). */
export interface HeldOrder {
  /** The order. */
  readonly order: Order;
  /** Its recorded fills, summed. */
  readonly recordedFills: RecordedFillTotals;
}

/** Orders held open (see {@link isHeldOrder}), oldest first, each with its recorded fills summed. */
export async function listHeldOrders(store: Pick<PipelineStore, 'listOrders' | 'listFills'>): Promise<HeldOrder[]> {
  const open = await store.listOrders({ statuses: ['INTENT_RECORDED', 'SUBMITTED', 'ACKNOWLEDGED', 'PARTIALLY_FILLED', 'UNKNOWN'] });
  const held: HeldOrder[] = [];
  for (const order of open.filter(isHeldOrder)) held.push({ order, recordedFills: sumFills(await store.listFills(order.id)) });
  return held;
}

/** How far a fill's time (Coinbase's clock) may fall outside the order's creation and now (this machine's clock). */
const CLOCK_SKEW_ALLOWANCE_MS = 60_000;

const invalid = (message: string, details: Record<string, string | number | boolean> = {}): TradepipeError => new TradepipeError('validation_failed', message, { details });

/** The fills as the store records them, each checked (positive price and size, commission at least zero, a time between the order's creation and now, a minute allowed for the clocks' skew). */
function fillsOf(order: Order, input: SettleHeldOrderInput): Fill[] {
  const seen = new Set<string>();
  const fills: unknown = input.fills ?? [];
  if (!Array.isArray(fills)) throw invalid('fills must be a list of the fills Coinbase shows');
  return (fills as readonly OperatorFill[]).map((given, index) => {
    if (given === null || typeof given !== 'object') throw invalid('A fill must be an object', { fill: index });
    const tradeId = typeof given.coinbaseFillId === 'string' ? given.coinbaseFillId.trim() : '';
    if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,120}$/.test(tradeId)) throw invalid('A fill needs the id Coinbase gives it (letters, digits, . _ : -)', { fill: index });
    if (seen.has(tradeId)) throw invalid('A fill is given twice', { fill: index, tradeId });
    seen.add(tradeId);
    const figure = (field: 'price' | 'size' | 'commissionQuote'): DecimalString => {
      const parsed = NonNegativeDecimalSchema.safeParse(given[field]);
      if (!parsed.success) throw invalid(`A fill's ${field} must be a plain decimal, not negative`, { fill: index, field });
      return parsed.data;
    };
    const price = figure('price');
    const size = figure('size');
    const commission = figure('commissionQuote');
    if (isZeroDecimal(price) || isZeroDecimal(size)) throw invalid("A fill's price and size must be above zero", { fill: index, tradeId });
    if (!Number.isSafeInteger(given.filledAtMs) || given.filledAtMs < order.createdAtMs - CLOCK_SKEW_ALLOWANCE_MS || given.filledAtMs > input.nowMs + CLOCK_SKEW_ALLOWANCE_MS) {
      throw invalid("A fill's time must be between the order's creation and now", { fill: index, tradeId, orderCreatedAtMs: order.createdAtMs });
    }
    const sizeBase = given.sizeInQuote === true ? divideDecimal(size, price, 18) : size;
    if (given.liquidity !== undefined && given.liquidity !== 'MAKER' && given.liquidity !== 'TAKER') throw invalid("A fill's liquidity is MAKER or TAKER", { fill: index, tradeId });
    return FillSchema.parse({
      id: `cb-${tradeId}`,
      orderId: order.id,
      clientOrderId: order.clientOrderId,
      venue: 'coinbase',
      productId: order.productId,
      side: order.side,
      price,
      sizeBase,
      commission,
      liquidity: given.liquidity ?? 'TAKER',
      filledAtMs: given.filledAtMs,
    }) as Fill;
  });
}

/** Whether `total` falls short of Coinbase's figure `reported` (0.1 % allowed for rounding). */
function shortOf(total: DecimalString, reported: DecimalString): boolean {
  return compareDecimal(multiplyDecimal(addDecimal(total, FILL_TOLERANCE_BASE), ROUNDING_ALLOWANCE), reported) < 0;
}

const sameFill = (a: Fill, b: Fill): boolean =>
  a.orderId === b.orderId && a.side === b.side && a.productId === b.productId && compareDecimal(a.price, b.price) === 0 && compareDecimal(a.sizeBase, b.sizeBase) === 0 && compareDecimal(a.commission, b.commission) === 0;

/**
 * Ends an order held open (`HELD_…`: Coinbase reports it ended while its fills do not account for it, or answers about
 * it as another order, which also takes `orderEndedOnCoinbase`) on an operator's
 * word, after they read its fills off Coinbase: records the fills given that the store lacks (ids `cb-<coinbaseFillId>`, as
 * the order sync records them, so a fill it already booked is not booked again), then ends the order — EXECUTED with
 * the totals of all its recorded fills, or FAILED when it filled nothing (`nothingFilled`) — with `statusReason`
 * `OPERATOR_SETTLED_AFTER_HELD_…: <reason>`. The order's reservation is released as at any end; the pipeline's fills
 * stage then ends its recommendation at its next poll, and an ended order is never polled again.
 *
 * Checks come before anything is written: an order that is not held; not exactly one of fills given,
 * `recordedFillsComplete`, `nothingFilled`; fills past what the order can have filled (its size, 0.1 % allowed) or
 * short of what Coinbase reported filled (unless `overrideCoinbaseFigures`); a fill recorded under the same id with
 * other figures, or the same trade (price, size, time) recorded under another id; a blank reason.
 *
 * A fill tracker may keep running: the order and its fills change only as read, each checked by the store under the
 * order's lock (compare-and-set). The fills given are booked only onto the order still held as read, and the order
 * ends only if it holds exactly the fills counted here: if the order sync recorded a fill Coinbase listed at last
 * meanwhile, or ended the order, this refuses with `order_conflict` (the fills given that were booked before stay
 * booked; run it again after looking at the order's fills). The order sync in turn books a fill only onto the order
 * as it read it: a fill it reads while this settles is not booked onto the settled order, and it logs an error naming
 * the fill (compare the order's fills with the account). Fills given under the ids the order sync uses
 * ({@link OperatorFill.coinbaseFillId}) are recorded once whichever records them first, when their figures agree.
 * @throws TradepipeError `not_found` (no such order), `invalid_state_transition` (not held), `validation_failed`, `record_conflict`, `order_conflict`
 */
export async function settleHeldOrder(store: Pick<PipelineStore, 'getOrder' | 'listFills' | 'getProduct' | 'recordFill' | 'updateOrder'>, input: SettleHeldOrderInput): Promise<SettledHeldOrder> {
  const order = await store.getOrder(input.orderId);
  if (order === undefined) throw new TradepipeError('not_found', 'No order has this id', { details: { orderId: input.orderId } });
  if (!isHeldOrder(order)) {
    throw new TradepipeError('invalid_state_transition', 'Only an order held open (statusReason HELD_…) can be settled by an operator; the order sync follows the others', {
      details: { orderId: order.id, status: order.status, statusReason: order.statusReason ?? '' },
    });
  }
  if (order.statusReason === ANSWER_ABOUT_ANOTHER_ORDER_REASON && input.orderEndedOnCoinbase !== true) {
    throw invalid('Coinbase answered about another order for this one, so nothing says it ended: look it up on Coinbase (its exchange and client order ids), cancel it if it is open, then settle it with orderEndedOnCoinbase', {
      orderId: order.id,
      exchangeOrderId: order.exchangeOrderId ?? '',
      clientOrderId: order.clientOrderId,
    });
  }
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  // eslint-disable-next-line no-control-regex
  if (reason === '' || reason.length > MAX_OPERATOR_REASON_LENGTH || /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(reason)) {
    throw invalid(`An operator settlement needs a reason of 1 to ${MAX_OPERATOR_REASON_LENGTH} printable characters (no control or text-direction characters)`);
  }
  const given = fillsOf(order, input);
  const words = [given.length > 0, input.nothingFilled === true, input.recordedFillsComplete === true].filter(Boolean).length;
  if (words !== 1) throw invalid('Give the fills Coinbase lists, or say the recorded fills are complete (recordedFillsComplete), or that it filled nothing (nothingFilled): one of the three');
  const stored = await store.listFills(order.id);
  const storedById = new Map(stored.map((fill) => [fill.id, fill]));
  const fresh: Fill[] = [];
  let already = 0;
  for (const fill of given) {
    const existing = storedById.get(fill.id);
    if (existing === undefined) {
      // The same trade (its figures, its time to the second) under another id (its trade_id where the order sync recorded its entry_id): booked twice.
      const twin = stored.find((recorded) => sameFill(recorded, fill) && Math.abs(recorded.filledAtMs - fill.filledAtMs) <= 1_000);
      if (twin !== undefined) throw invalid('This fill is recorded already under another id: give that id, or leave it out', { orderId: order.id, fillId: fill.id, recordedFillId: twin.id });
      fresh.push(fill);
    } else if (sameFill(existing, fill)) already += 1;
    else throw new TradepipeError('record_conflict', 'A fill with this id is recorded with other figures', { details: { orderId: order.id, fillId: fill.id } });
  }
  const total = fresh.reduce(withFill, sumFills(stored));
  if (total.count === 0 && input.nothingFilled !== true) throw invalid('No fill is recorded or given: pass the fills Coinbase shows, or nothingFilled when it filled nothing', { orderId: order.id });
  if (total.count > 0 && input.nothingFilled === true) throw invalid('nothingFilled contradicts the fills recorded for the order', { orderId: order.id, recordedFills: stored.length });
  if (exceedsOrderSize(order, total)) {
    throw invalid('The fills are more than the order can have filled', { orderId: order.id, sizeBase: total.sizeBase, valueQuote: total.valueQuote, commissionQuote: total.commissionQuote });
  }
  if (input.overrideCoinbaseFigures !== true && (shortOf(total.sizeBase, order.filledBaseSize) || shortOf(total.valueQuote, order.filledQuoteValue))) {
    throw invalid('The fills fall short of what Coinbase reported filled for the order: give the missing fills, or overrideCoinbaseFigures when Coinbase’s figure is wrong', {
      orderId: order.id,
      sizeBase: total.sizeBase,
      coinbaseFilledBaseSize: order.filledBaseSize,
      valueQuote: total.valueQuote,
      coinbaseFilledQuoteValue: order.filledQuoteValue,
    });
  }
  if (fresh.length > 0) {
    const product = await store.getProduct(order.productId);
    if (product === undefined) throw new TradepipeError('unknown_product', 'The order’s product is not in the store', { details: { productId: order.productId } });
    // Onto the order as read only: if the order sync ended it meanwhile, nothing of the operator's is booked onto it.
    const expectedOrder = { status: order.status, statusReason: order.statusReason };
    for (const fill of fresh) await store.recordFill(fill, { quoteCurrency: product.quoteCurrency, baseCurrency: product.baseCurrency, expectedOrder });
  }
  const filled = total.count > 0;
  const ended = await store.updateOrder(order.id, {
    status: filled ? 'EXECUTED' : 'FAILED',
    filledBaseSize: total.sizeBase,
    filledQuoteValue: total.valueQuote,
    totalFees: total.commissionQuote,
    ...(filled ? { averageFillPrice: divideDecimal(total.valueQuote, total.sizeBase, 18) } : {}),
    statusReason: `${OPERATOR_SETTLED_REASON_PREFIX}${order.statusReason!}: ${reason}`,
    completedAtMs: input.nowMs,
    updatedAtMs: input.nowMs,
    // Compare-and-set on the order, on its fills and on Coinbase's figures the fills were checked against, under the
    // order's lock: a fill the order sync recorded since the fills were read (it books each under the order's lock
    // too), or figures it raised since, make the store refuse the end (`order_conflict`).
    expected: { status: order.status, statusReason: order.statusReason, fillCount: total.count, filledBaseSize: order.filledBaseSize, filledQuoteValue: order.filledQuoteValue },
  });
  return { order: ended, fillsRecorded: fresh.length, fillsAlreadyRecorded: already };
}
