import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { addDecimal, compareDecimal, decimal, divideDecimal, floorToIncrement, isZeroDecimal, multiplyDecimal, subtractDecimal, type DecimalString } from '@tradepipe/core';
import type { FakeExchangeBook, FakeOrder, FakeProduct, FakeRejection } from './fake-exchange.js';

const decimalText = z.string().regex(/^\d+(\.\d+)?$/);
export const CreateOrderBodySchema = z.object({
  client_order_id: z.string().max(128).default(''),
  product_id: z.string(),
  side: z.enum(['BUY', 'SELL']),
  order_configuration: z.object({
    market_market_ioc: z.object({ quote_size: decimalText.optional(), base_size: decimalText.optional() }).optional(),
    sor_limit_ioc: z.object({ base_size: decimalText, limit_price: decimalText }).optional(),
    limit_limit_gtc: z.object({ base_size: decimalText, limit_price: decimalText, post_only: z.boolean().optional() }).optional(),
  }),
});

/** How the fake fills market orders in parts (`FakeCoinbaseOptions.marketOrderFills`). */
export interface FakeMarketOrderFills {
  /** How many fills each market order fills in, an integer of at least 1. */
  readonly count: number;
  /** Time between two fills of an order on the fake's clock, ms (default 0: every fill at placement). */
  readonly intervalMs?: number;
}

/** Prices of the fake's book. @internal */
export interface FakeQuote {
  bid: DecimalString;
  ask: DecimalString;
}

/** What `POST /orders` answers: the HTTP status and body. @internal */
export interface FakeOrderOutcome {
  readonly status: number;
  readonly body: unknown;
  readonly created?: FakeOrder;
}

function rejected(body: unknown, rejection: FakeRejection): FakeOrderOutcome {
  const order_configuration = (body as { order_configuration?: unknown } | undefined)?.order_configuration ?? {};
  return {
    status: 200,
    body: {
      success: false,
      failure_reason: 'UNKNOWN_FAILURE_REASON',
      order_id: '',
      error_response: {
        error: rejection.error,
        message: rejection.message,
        error_details: '',
        preview_failure_reason: rejection.previewFailureReason,
        new_order_failure_reason: 'UNKNOWN_FAILURE_REASON',
      },
      order_configuration,
    },
  };
}

function reject(error: string, message: string, previewFailureReason = 'UNKNOWN_PREVIEW_FAILURE_REASON'): FakeRejection {
  return { error, message, previewFailureReason };
}

function isMultiple(value: DecimalString, increment: string): boolean {
  return compareDecimal(floorToIncrement(value, decimal(increment)), value) === 0;
}

export interface OrderPlan {
  readonly type: 'market' | 'limit_ioc' | 'limit_gtc';
  readonly sizeInQuote: boolean;
  readonly targetBaseSize: DecimalString;
  readonly holdCurrency: string;
  readonly holdAmount: DecimalString;
  readonly limitPrice: DecimalString | undefined;
}

/** Works out what an order will fill and hold, or why it is refused. @internal */
export function planOrder(book: FakeExchangeBook, product: FakeProduct, request: z.output<typeof CreateOrderBodySchema>, quote: FakeQuote): OrderPlan | FakeRejection {
  const configuration = request.order_configuration;
  const market = configuration.market_market_ioc;
  const limit = configuration.sor_limit_ioc ?? configuration.limit_limit_gtc;
  const type = market !== undefined ? 'market' : configuration.sor_limit_ioc !== undefined ? 'limit_ioc' : 'limit_gtc';
  if (market === undefined && limit === undefined) return reject('UNSUPPORTED_ORDER_CONFIGURATION', 'Unsupported order configuration');
  if (product.trading_disabled || product.status !== 'online' || product.cancel_only || (type === 'market' && product.limit_only)) {
    return reject('ORDER_ENTRY_DISABLED', 'Order entry is disabled for this product');
  }
  const rate = book.takerFeeRate;
  const price = request.side === 'BUY' ? quote.ask : quote.bid;
  if (market?.quote_size !== undefined) {
    if (request.side !== 'BUY') return reject('INVALID_SIDE', 'quote_size market orders are BUY only here');
    const quoteSize = decimal(market.quote_size);
    if (!isMultiple(quoteSize, product.quote_increment)) return reject('INVALID_SIZE_PRECISION', 'Quote size too precise', 'PREVIEW_INVALID_QUOTE_SIZE_PRECISION');
    if (compareDecimal(quoteSize, decimal(product.quote_min_size)) < 0) return reject('INVALID_REQUEST', 'Quote size too small', 'PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL');
    const spend = divideDecimal(quoteSize, addDecimal(decimal('1'), rate), 18);
    const targetBaseSize = floorToIncrement(divideDecimal(spend, price, 18), decimal(product.base_increment));
    return { type: 'market', sizeInQuote: true, targetBaseSize, holdCurrency: product.quote_currency_id, holdAmount: quoteSize, limitPrice: undefined };
  }
  const baseSize = decimal(market?.base_size ?? limit!.base_size);
  if (!isMultiple(baseSize, product.base_increment)) return reject('INVALID_SIZE_PRECISION', 'Base size too precise', 'PREVIEW_INVALID_BASE_SIZE_PRECISION');
  if (compareDecimal(baseSize, decimal(product.base_min_size)) < 0 || isZeroDecimal(baseSize)) {
    return reject('INVALID_REQUEST', 'Base size too small', 'PREVIEW_INVALID_BASE_SIZE_TOO_SMALL');
  }
  const limitPrice = limit === undefined ? undefined : decimal(limit.limit_price);
  if (limitPrice !== undefined && !isMultiple(limitPrice, product.price_increment)) return reject('INVALID_PRICE_PRECISION', 'Limit price too precise');
  if (request.side === 'SELL') {
    return { type, sizeInQuote: false, targetBaseSize: baseSize, holdCurrency: product.base_currency_id, holdAmount: baseSize, limitPrice };
  }
  const holdPrice = limitPrice ?? price;
  const holdAmount = multiplyDecimal(multiplyDecimal(baseSize, holdPrice), addDecimal(decimal('1'), rate));
  return { type, sizeInQuote: false, targetBaseSize: baseSize, holdCurrency: product.quote_currency_id, holdAmount, limitPrice };
}

/** Whether a limit order crosses the book now. */
function crosses(side: 'BUY' | 'SELL', limitPrice: DecimalString | undefined, quote: FakeQuote): boolean {
  if (limitPrice === undefined) return true;
  return side === 'BUY' ? compareDecimal(quote.ask, limitPrice) <= 0 : compareDecimal(quote.bid, limitPrice) >= 0;
}

/**
 * `POST /orders` on the fake: idempotent on `client_order_id` (a repeat returns the existing order and
 * creates nothing), holds funds, refuses with HTTP 200 `success: false` like Coinbase, fills market and
 * crossing limit orders at the book unless fills are manual.
 * @internal
 */
export function placeFakeOrder(
  book: FakeExchangeBook,
  rawBody: unknown,
  context: {
    readonly nowIso: string;
    readonly quoteOf: (productId: string) => FakeQuote;
    readonly manualFills: boolean;
    readonly marketOrderFills?: FakeMarketOrderFills;
    readonly forcedRejection?: FakeRejection;
    readonly refuseDuplicate?: () => boolean;
  },
): FakeOrderOutcome {
  const parsed = CreateOrderBodySchema.safeParse(rawBody);
  if (!parsed.success) return { status: 400, body: { error: 'INVALID_ARGUMENT', error_details: 'invalid order request', message: 'invalid order request' } };
  const request = parsed.data;
  const clientOrderId = request.client_order_id === '' ? randomUUID().replace(/-/g, '') : request.client_order_id;
  const existing = book.ordersByClientId.get(clientOrderId);
  if (existing !== undefined) {
    if (context.refuseDuplicate?.() === true) return rejected(rawBody, reject('DUPLICATE_CLIENT_ORDER_ID', 'An order with this client_order_id exists'));
    return { status: 200, body: successBody(existing, rawBody) };
  }
  if (context.forcedRejection !== undefined) return rejected(rawBody, context.forcedRejection);
  const product = book.products.get(request.product_id);
  if (product === undefined) return rejected(rawBody, reject('INVALID_PRODUCT_ID', 'Product not found'));
  const quote = context.quoteOf(request.product_id);
  const plan = planOrder(book, product, request, quote);
  if ('error' in plan) return rejected(rawBody, plan);
  const holdRefusal = book.hold(plan.holdCurrency, plan.holdAmount);
  if (holdRefusal !== undefined) return rejected(rawBody, holdRefusal);
  const order: FakeOrder = {
    order_id: randomUUID(),
    product_id: request.product_id,
    user_id: book.userId,
    side: request.side,
    client_order_id: clientOrderId,
    order_configuration: request.order_configuration as FakeOrder['order_configuration'],
    status: 'OPEN',
    time_in_force: plan.type === 'limit_gtc' ? 'GOOD_UNTIL_CANCELLED' : 'IMMEDIATE_OR_CANCEL',
    created_time: context.nowIso,
    completion_percentage: '0',
    filled_size: '0',
    average_filled_price: '0',
    number_of_fills: '0',
    filled_value: '0',
    total_fees: '0',
    size_in_quote: plan.sizeInQuote,
    order_type: plan.type === 'market' ? 'MARKET' : 'LIMIT',
    reject_reason: 'REJECT_REASON_UNSPECIFIED',
    targetBaseSize: plan.targetBaseSize,
    holdCurrency: plan.holdCurrency,
    holdAmount: plan.holdAmount,
    limitPrice: plan.limitPrice,
  };
  book.orders.set(order.order_id, order);
  book.ordersByClientId.set(clientOrderId, order);
  if (!context.manualFills) matchOrder(book, order, quote, context.nowIso, context.marketOrderFills);
  return { status: 200, body: successBody(order, rawBody), created: order };
}

/**
 * Fills an order against the book if it crosses; an IOC order is then done, filled or not. A market order with
 * `marketOrderFills` of more than one fill fills its first part now and stays OPEN for the others
 * ({@link fillDueParts}); one already filling in parts is left to its schedule.
 * @internal
 */
export function matchOrder(book: FakeExchangeBook, order: FakeOrder, quote: FakeQuote, nowIso: string, marketOrderFills?: FakeMarketOrderFills): void {
  if (order.status !== 'OPEN' && order.status !== 'PENDING') return;
  if (book.partFills.has(order.order_id)) return;
  if (order.order_type === 'MARKET' && marketOrderFills !== undefined && marketOrderFills.count > 1) {
    const nowMs = Date.parse(nowIso);
    book.partFills.set(order.order_id, { partsLeft: marketOrderFills.count, nextAtMs: nowMs, intervalMs: marketOrderFills.intervalMs ?? 0 });
    fillDueParts(book, nowMs, () => quote);
    return;
  }
  if (crosses(order.side, order.limitPrice, quote)) {
    book.fill(order, { sizeBase: order.targetBaseSize, price: order.side === 'BUY' ? quote.ask : quote.bid, atIso: nowIso, liquidity: 'TAKER' });
  }
  if (order.time_in_force === 'IMMEDIATE_OR_CANCEL' && order.status === 'OPEN') book.finish(order, 'CANCELLED');
}

/**
 * Makes the fills of market orders filling in parts that are due by `nowMs` on the fake's clock, each at the book's
 * price now and stamped with the time it was due; an order that ended (filled, cancelled) has no parts left.
 * @internal
 */
export function fillDueParts(book: FakeExchangeBook, nowMs: number, quoteOf: (productId: string) => FakeQuote): void {
  for (const [orderId, parts] of book.partFills) {
    const order = book.orders.get(orderId)!;
    while (order.status === 'OPEN' && parts.partsLeft > 0 && parts.nextAtMs <= nowMs) {
      fillPart(book, order, parts.partsLeft, quoteOf(order.product_id), new Date(parts.nextAtMs).toISOString());
      parts.partsLeft -= 1;
      parts.nextAtMs += parts.intervalMs;
    }
    if (order.status !== 'OPEN' || parts.partsLeft === 0) book.partFills.delete(orderId);
  }
}

/**
 * One part of a market order's fills, at the book: an equal share of what is left of its base size, or of a
 * quote-size BUY's quote (so its fills' value plus fees never pass `quote_size`, whatever the prices met). The last
 * part fills the rest and ends the order FILLED (CANCELLED if nothing filled).
 */
function fillPart(book: FakeExchangeBook, order: FakeOrder, partsLeft: number, quote: FakeQuote, atIso: string): void {
  const increment = decimal(book.products.get(order.product_id)!.base_increment);
  const price = order.side === 'BUY' ? quote.ask : quote.bid;
  const last = partsLeft === 1;
  let sizeBase: DecimalString;
  if (order.size_in_quote) {
    // The quote not spent yet, before fees: the order's hold left ÷ (1 + taker fee rate).
    const spendLeft = divideDecimal(order.holdAmount, addDecimal(decimal('1'), book.takerFeeRate), 18);
    sizeBase = floorToIncrement(divideDecimal(divideDecimal(spendLeft, decimal(String(partsLeft)), 18), price, 18), increment);
    // Its last part spends the rest of the quote: the order fills what that bought, more or less than planned.
    if (last) order.targetBaseSize = addDecimal(decimal(order.filled_size), sizeBase);
  } else {
    const sizeLeft = subtractDecimal(order.targetBaseSize, decimal(order.filled_size));
    sizeBase = last ? sizeLeft : floorToIncrement(divideDecimal(sizeLeft, decimal(String(partsLeft)), 18), increment);
  }
  book.fill(order, { sizeBase, price, atIso, liquidity: 'TAKER' });
  if (last && order.status === 'OPEN') book.finish(order, isZeroDecimal(decimal(order.filled_size)) ? 'CANCELLED' : 'FILLED');
}

function successBody(order: FakeOrder, rawBody: unknown): unknown {
  return {
    success: true,
    failure_reason: 'UNKNOWN_FAILURE_REASON',
    order_id: order.order_id,
    success_response: { order_id: order.order_id, product_id: order.product_id, side: order.side, client_order_id: order.client_order_id },
    order_configuration: (rawBody as { order_configuration?: unknown }).order_configuration ?? order.order_configuration,
  };
}

/** The wire view of an order (without the fake's bookkeeping). @internal */
export function orderView(order: FakeOrder): Record<string, unknown> {
  const { targetBaseSize: _target, holdCurrency: _currency, holdAmount, limitPrice: _limit, ...wire } = order;
  const done = order.status !== 'OPEN' && order.status !== 'PENDING';
  return {
    ...wire,
    fee: '',
    pending_cancel: false,
    size_inclusive_of_fees: order.size_in_quote,
    total_value_after_fees: order.side === 'BUY' ? addDecimal(decimal(order.filled_value), decimal(order.total_fees)) : order.filled_value,
    settled: done,
    product_type: 'SPOT',
    outstanding_hold_amount: holdAmount,
    trigger_status: 'INVALID_ORDER_TYPE',
    reject_message: '',
    cancel_message: '',
    order_placement_source: 'RETAIL_ADVANCED',
    is_liquidation: false,
  };
}
