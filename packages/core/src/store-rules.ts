import { addDecimal, compareDecimal, decimal, isDecimalString, multiplyDecimal, toApproxNumber, type DecimalString } from './decimal.js';
import { TradepipeError } from './errors.js';
import { TERMINAL_ORDER_STATUSES, type Order, type OrderStatus, type Position } from './records/execution.js';
import { candleCloseMs, type Candle } from './records/market.js';
import type { ExposureReservation, RiskApproval } from './records/risk.js';
import type { ExposureLimits, RecordWrite } from './store.js';
import { parseWith } from './parse.js';
import { RiskAssessmentSchema } from './records/risk.js';
import { LlmValidationSchema, SignalSchema, TradeRecommendationSchema } from './records/trading.js';

/**
 * Refuses a batch of candles if any has not closed at `nowMs` (the store's clock): a candle is stored only
 * from the instant its bucket ends (`candleCloseMs(candle) <= nowMs`), so nothing downstream acts on a candle
 * whose values may still change, or on the future in a backtest that stores its hold-out first. The whole
 * batch is refused, nothing stored.
 * @throws TradepipeError `candle_not_closed` (not retryable) naming the first such candle
 * @internal Shared by store implementations so every store enforces the same rule.
 */
export function checkCandlesClosed(candles: readonly Pick<Candle, 'productId' | 'granularity' | 'startMs'>[], nowMs: number): void {
  const open = candles.find((candle) => candleCloseMs(candle) > nowMs);
  if (open === undefined) return;
  throw new TradepipeError('candle_not_closed', 'A candle was offered before its bucket closed at the store clock', {
    details: { productId: open.productId, granularity: open.granularity, startMs: open.startMs, closeMs: candleCloseMs(open), nowMs, count: candles.filter((candle) => candleCloseMs(candle) > nowMs).length },
  });
}

/**
 * Checks, inside a store's transaction, that a reservation fits: a SELL never exceeds the position left
 * after other active SELL reservations; a BUY keeps Σ(position size × mark price) + active BUY reservations
 * + this one within the total and per-product limits, portfolio heat after it within its limit, and the
 * orders in the window plus this one within the order limit. A position without a mark price is valued at
 * its average entry price.
 * @throws TradepipeError `exposure_limit_exceeded`
 * @internal Shared by store implementations so every store enforces the same rule.
 */
export function checkExposureFits(input: {
  readonly reservation: ExposureReservation;
  readonly positions: readonly Position[];
  readonly activeReservations: readonly ExposureReservation[];
  readonly markPrices: Readonly<Record<string, number>>;
  readonly limits: ExposureLimits;
  /** Orders created since `limits.maxOrders.sinceMs` plus unconsumed active approvals; needed with `maxOrders`. */
  readonly ordersInWindow?: number;
}): void {
  const { reservation, positions, activeReservations: active, markPrices, limits } = input;
  const details = { productId: reservation.productId, approvalId: reservation.approvalId };
  const positionOf = (productId: string): Position | undefined => positions.find((position) => position.productId === productId);
  if (reservation.side === 'SELL') {
    const held = positionOf(reservation.productId)?.sizeBase ?? decimal('0');
    const pending = active
      .filter((other) => other.side === 'SELL' && other.productId === reservation.productId)
      .reduce((sum, other) => addDecimal(sum, other.baseSize), decimal('0'));
    if (compareDecimal(addDecimal(pending, reservation.baseSize), held) > 0) {
      throw new TradepipeError('exposure_limit_exceeded', 'The sell exceeds the position left after pending sells', { details: { ...details, limit: 'nothing_held' } });
    }
    return;
  }
  const productExposure = (productId: string): number => {
    const position = positionOf(productId);
    const mark = markPrices[productId] ?? (position === undefined ? 0 : toApproxNumber(position.averageEntryPrice));
    const positionValue = position === undefined ? 0 : toApproxNumber(position.sizeBase) * mark;
    const reserved = active
      .filter((other) => other.side === 'BUY' && other.productId === productId)
      .reduce((sum, other) => sum + toApproxNumber(other.quoteAmount), 0);
    return positionValue + reserved;
  };
  const products = new Set([...positions.map((position) => position.productId), ...active.map((other) => other.productId), reservation.productId]);
  const amount = toApproxNumber(reservation.quoteAmount);
  const total = [...products].reduce((sum, productId) => sum + productExposure(productId), 0) + amount;
  if (limits.maxTotalExposureQuote !== undefined && total > limits.maxTotalExposureQuote + 1e-9) {
    throw new TradepipeError('exposure_limit_exceeded', 'The reservation would exceed the total exposure limit', {
      details: { ...details, limit: 'max_total_exposure', exposureAfterQuote: total, limitQuote: limits.maxTotalExposureQuote },
    });
  }
  const productAfter = productExposure(reservation.productId) + amount;
  if (limits.maxProductExposureQuote !== undefined && productAfter > limits.maxProductExposureQuote + 1e-9) {
    throw new TradepipeError('exposure_limit_exceeded', 'The reservation would exceed the product exposure limit', {
      details: { ...details, limit: 'max_position', exposureAfterQuote: productAfter, limitQuote: limits.maxProductExposureQuote },
    });
  }
  const heat = limits.maxPortfolioHeat;
  if (heat !== undefined) {
    const weighted = [...products].reduce(
      (sum, productId) => sum + (productExposure(productId) + (productId === reservation.productId ? amount : 0)) * (heat.volatilities[productId] ?? heat.fallbackVolatility),
      0,
    );
    const heatAfter = heat.equityQuote > 0 ? weighted / heat.equityQuote : Number.POSITIVE_INFINITY;
    if (heatAfter > heat.limit + 1e-9) {
      throw new TradepipeError('exposure_limit_exceeded', 'The reservation would exceed the portfolio heat limit', {
        details: { ...details, limit: 'max_portfolio_heat', heatAfter: Number.isFinite(heatAfter) ? heatAfter : -1, heatLimit: heat.limit },
      });
    }
  }
  if (limits.maxOrders !== undefined) {
    if (input.ordersInWindow === undefined) throw new TradepipeError('internal', 'The store did not count the orders in the window');
    if (input.ordersInWindow + 1 > limits.maxOrders.limit) {
      throw new TradepipeError('exposure_limit_exceeded', 'The reservation would exceed the order count limit', {
        details: { ...details, limit: 'max_orders_per_hour', ordersInWindow: input.ordersInWindow, orderLimit: limits.maxOrders.limit },
      });
    }
  }
}

/**
 * Checks that an order stays within its approval: same recommendation, client order id, product and side,
 * and a size no larger than approved.
 * @throws TradepipeError `approval_invalid`
 * @internal Shared by store implementations.
 */
export function checkOrderWithinApproval(approval: RiskApproval, order: Order): void {
  const details = { approvalId: approval.id, orderId: order.id };
  const mismatch =
    order.recommendationId !== approval.recommendationId ||
    order.clientOrderId !== approval.clientOrderId ||
    order.productId !== approval.productId ||
    order.side !== approval.side ||
    order.approvalId !== approval.id ||
    order.status !== 'INTENT_RECORDED';
  if (mismatch) throw new TradepipeError('approval_invalid', 'The order does not match its approval', { details });
  const within = (amount: DecimalString, limit: DecimalString | undefined): boolean => limit !== undefined && compareDecimal(amount, limit) <= 0;
  let allowed: boolean;
  if (approval.side === 'SELL') {
    allowed = order.quoteSize === undefined && order.baseSize !== undefined && within(order.baseSize, approval.maxBaseSize);
  } else if (order.quoteSize !== undefined) {
    allowed = order.baseSize === undefined && within(order.quoteSize, approval.maxQuoteAmount);
  } else {
    // A base-sized BUY (limit order) is bounded by its price cap: size × limit price within the approved quote.
    allowed = order.baseSize !== undefined && order.limitPrice !== undefined && within(multiplyDecimal(order.baseSize, order.limitPrice), approval.maxQuoteAmount);
  }
  if (!allowed) throw new TradepipeError('approval_invalid', 'The order is larger than its approval allows', { details });
}


/**
 * Validates a completion's write with its record schema, before anything is stored.
 * @throws TradepipeError `validation_failed`
 * @internal Shared by store implementations.
 */
export function parseRecordWrite(write: RecordWrite): RecordWrite {
  switch (write.type) {
    case 'signal':
      return { ...write, record: parseWith(SignalSchema, write.record, 'signal') };
    case 'recommendation':
      return { ...write, record: parseWith(TradeRecommendationSchema, write.record, 'trade recommendation') };
    case 'validation':
      return { ...write, record: parseWith(LlmValidationSchema, write.record, 'validation') };
    case 'assessment':
      return { ...write, record: parseWith(RiskAssessmentSchema, write.record, 'risk assessment') };
  }
}


/**
 * Whether an order update is a repeat of how the order ended (EXECUTED → EXECUTED, a second worker settling it
 * again): stores apply nothing and return the order as stored, instead of refusing the transition.
 * @internal Shared by store implementations.
 */
export function isRepeatedTerminalUpdate(order: Order, status: OrderStatus): boolean {
  return status === order.status && TERMINAL_ORDER_STATUSES.includes(order.status);
}

/** What a compare-and-set on an order expects stored: its status and reason, and (`OrderUpdate.expected`) maybe its filled figures. */
type OrderExpectation = { readonly status: string; readonly statusReason?: string | undefined; readonly filledBaseSize?: string; readonly filledQuoteValue?: string };

/**
 * Whether an order is stored as a compare-and-set expects it (`OrderUpdate.expected`, `FillOptions.expectedOrder`): the
 * same status and status reason, and the same filled figures where they are expected (decimal strings as the order was read); `true`
 * when nothing is expected.
 * @internal Shared by store implementations.
 */
export function isOrderAsExpected(order: Pick<Order, 'status' | 'statusReason'> & Partial<Pick<Order, 'filledBaseSize' | 'filledQuoteValue'>>, expected: OrderExpectation | undefined): boolean {
  if (expected === undefined) return true;
  return order.status === expected.status && order.statusReason === expected.statusReason && sameFigure(order.filledBaseSize, expected.filledBaseSize) && sameFigure(order.filledQuoteValue, expected.filledQuoteValue);
}

/** Whether a stored figure is the expected one (any, when none is expected). */
function sameFigure(stored: DecimalString | undefined, expected: string | undefined): boolean {
  return expected === undefined || (stored !== undefined && compareDecimal(stored, expected as DecimalString) === 0);
}

/**
 * The `order_conflict` of a compare-and-set order update whose expected status (or figures) no longer hold.
 * @internal Shared by store implementations.
 */
export function orderChangedUnderneath(order: Pick<Order, 'id' | 'status' | 'statusReason'> & Partial<Pick<Order, 'filledBaseSize' | 'filledQuoteValue'>>, expected: OrderExpectation): TradepipeError {
  const figures: Record<string, string> =
    expected.filledBaseSize === undefined && expected.filledQuoteValue === undefined
      ? {}
      : { expectedFilledBaseSize: expected.filledBaseSize ?? '', expectedFilledQuoteValue: expected.filledQuoteValue ?? '', storedFilledBaseSize: order.filledBaseSize ?? '', storedFilledQuoteValue: order.filledQuoteValue ?? '' };
  return new TradepipeError('order_conflict', 'The order changed since it was read; re-read it', {
    details: { orderId: order.id, expectedStatus: expected.status, expectedReason: expected.statusReason ?? '', storedStatus: order.status, storedReason: order.statusReason ?? '', ...figures },
  });
}

/**
 * Checks the filled figures an order update expects (`expected.filledBaseSize`, `expected.filledQuoteValue`).
 * @throws TradepipeError `validation_failed` when one is given and is not a non-negative decimal string
 * @internal Shared by store implementations.
 */
export function checkExpectedFigures(update: { readonly expected?: { readonly filledBaseSize?: unknown; readonly filledQuoteValue?: unknown } }): void {
  for (const field of ['filledBaseSize', 'filledQuoteValue'] as const) {
    const value = update.expected?.[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !isDecimalString(value) || value.startsWith('-')) {
      throw new TradepipeError('validation_failed', `expected.${field} must be a non-negative decimal string, as the order was read`, { details: { field } });
    }
  }
}

/**
 * The fill count an order update expects (`expected.fillCount`), checked: `undefined` when none is given.
 * @throws TradepipeError `validation_failed` when it is not a non-negative integer
 * @internal Shared by store implementations.
 */
export function expectedFillCountOf(update: { readonly expected?: { readonly fillCount?: number } }): number | undefined {
  const count = update.expected?.fillCount;
  if (count === undefined) return undefined;
  if (!Number.isSafeInteger(count) || count < 0) throw new TradepipeError('validation_failed', 'expected.fillCount must be a non-negative integer', { details: { fillCount: String(count) } });
  return count;
}

/**
 * The `order_conflict` of a compare-and-set order update that expected another number of recorded fills (one was
 * recorded since the caller counted).
 * @internal Shared by store implementations.
 */
export function orderFillsChangedUnderneath(orderId: string, expectedFillCount: number, storedFillCount: number): TradepipeError {
  return new TradepipeError('order_conflict', 'Fills of the order were recorded since they were counted; re-read them', {
    details: { orderId, expectedFillCount, storedFillCount },
  });
}

/**
 * The order a fill expects (`FillOptions.expectedOrder`), checked: `undefined` when none is given.
 * @throws TradepipeError `validation_failed` when it is not `{ status: string, statusReason?: string }`
 * @internal Shared by store implementations.
 */
export function expectedOrderOf(options: { readonly expectedOrder?: unknown }): { readonly status: Order['status']; readonly statusReason?: string | undefined } | undefined {
  const expected = options.expectedOrder;
  if (expected === undefined) return undefined;
  const { status, statusReason } = (expected ?? {}) as { status?: unknown; statusReason?: unknown };
  if (expected === null || typeof expected !== 'object' || typeof status !== 'string' || (statusReason !== undefined && typeof statusReason !== 'string')) {
    throw new TradepipeError('validation_failed', 'expectedOrder must be { status, statusReason? } as the order was read');
  }
  return { status: status as Order['status'], statusReason };
}
