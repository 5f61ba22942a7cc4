import { addDecimal, multiplyDecimal, GRANULARITIES, type Clock, type Granularity } from '@tradepipe/core';
import type { FakeApiKey } from './fake-auth.js';
import type { FakeCandleBook } from './fake-candles.js';
import type { FakeExchangeBook, FakeProduct } from './fake-exchange.js';
import { CreateOrderBodySchema, orderView, placeFakeOrder, planOrder, type FakeMarketOrderFills, type FakeQuote } from './fake-orders.js';
import type { FakeRejection } from './fake-exchange.js';

/** What a route handler sees. @internal */
export interface RouteContext {
  readonly book: FakeExchangeBook;
  readonly candles: FakeCandleBook;
  readonly clock: Clock;
  readonly url: URL;
  readonly params: readonly string[];
  readonly body: unknown;
  readonly key: FakeApiKey | undefined;
  readonly quoteOf: (productId: string) => FakeQuote;
  readonly manualFills: boolean;
  /** How market orders fill in parts, if they do (`marketOrderFills`). */
  readonly marketOrderFills: FakeMarketOrderFills | undefined;
  readonly takeForcedRejection: () => FakeRejection | undefined;
  /** Whether this repeat of a known `client_order_id` is refused (uses up one scripted refusal). */
  readonly takeDuplicateRefusal: () => boolean;
  /** Orders younger than this (on the fake's clock) are left out of order lists. */
  readonly orderListLagMs: number;
}

/** A route's answer. @internal */
export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
}

/** A route of the fake. @internal */
export interface Route {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly access: 'public' | 'private';
  /** Needs the trade scope. */
  readonly trade?: boolean;
  readonly handle: (context: RouteContext) => RouteResult;
}

const ok = (body: unknown): RouteResult => ({ status: 200, body });
const error = (status: number, code: string, message: string, details = message): RouteResult => ({ status, body: { error: code, error_details: details, message } });

function pageOf<T>(items: readonly T[], url: URL, defaultLimit: number): { readonly page: T[]; readonly hasNext: boolean; readonly cursor: string } {
  const limit = Math.max(1, Math.min(Number(url.searchParams.get('limit') ?? defaultLimit) || defaultLimit, 1000));
  const offset = Number(url.searchParams.get('cursor') ?? '0') || 0;
  const page = items.slice(offset, offset + limit);
  const hasNext = offset + limit < items.length;
  return { page, hasNext, cursor: hasNext ? String(offset + limit) : '' };
}

function productOr404(context: RouteContext): { readonly product: FakeProduct } | { readonly failure: RouteResult } {
  const product = context.book.products.get(decodeURIComponent(context.params[0] ?? ''));
  return product === undefined ? { failure: error(404, 'NOT_FOUND', `Product ${context.params[0] ?? ''} not supported`) } : { product };
}

function getProduct(context: RouteContext): RouteResult {
  const found = productOr404(context);
  return 'failure' in found ? found.failure : ok(found.product);
}

function candles(context: RouteContext): RouteResult {
  const found = productOr404(context);
  if ('failure' in found) return found.failure;
  const { product } = found;
  const start = context.url.searchParams.get('start');
  const end = context.url.searchParams.get('end');
  const granularity = context.url.searchParams.get('granularity') ?? '';
  if (start === null || end === null || !/^\d+$/.test(start) || !/^\d+$/.test(end)) return error(400, 'INVALID_ARGUMENT', 'start and end are required UNIX seconds');
  if (!(granularity in GRANULARITIES)) return error(400, 'INVALID_ARGUMENT', 'granularity is invalid');
  const stepSeconds = GRANULARITIES[granularity as Granularity] / 1000;
  if ((Number(end) - Number(start)) / stepSeconds > 350) {
    return error(400, 'INVALID_ARGUMENT', 'start and end argument is invalid - number of candles requested should be less than 350');
  }
  return ok({ candles: context.candles.range(product.product_id, granularity as Granularity, Number(start) * 1000, Number(end) * 1000, context.clock.nowMs()) });
}

function accounts(context: RouteContext): RouteResult {
  const all = [...context.book.balances.entries()].map(([currency, balance]) => ({
    uuid: `acct-${currency.toLowerCase()}`,
    name: `${currency} Wallet`,
    currency,
    available_balance: { value: balance.available, currency },
    default: false,
    active: true,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    deleted_at: null,
    type: currency === 'USD' ? 'ACCOUNT_TYPE_FIAT' : 'ACCOUNT_TYPE_CRYPTO',
    ready: true,
    hold: { value: balance.hold, currency },
    retail_portfolio_id: 'portfolio-1',
  }));
  const { page, hasNext, cursor } = pageOf(all, context.url, 49);
  return ok({ accounts: page, has_next: hasNext, cursor, size: page.length });
}

function listOrders(context: RouteContext): RouteResult {
  const params = context.url.searchParams;
  const productIds = params.getAll('product_ids');
  const orderIds = params.getAll('order_ids');
  const statuses = params.getAll('order_status');
  const startMs = params.get('start_date') === null ? undefined : Date.parse(params.get('start_date')!);
  const endMs = params.get('end_date') === null ? undefined : Date.parse(params.get('end_date')!);
  const matching = [...context.book.orders.values()]
    .filter((order) => productIds.length === 0 || productIds.includes(order.product_id))
    .filter((order) => orderIds.length === 0 || orderIds.includes(order.order_id))
    .filter((order) => statuses.length === 0 || statuses.includes(order.status))
    .filter((order) => startMs === undefined || Date.parse(order.created_time) >= startMs)
    .filter((order) => endMs === undefined || Date.parse(order.created_time) <= endMs)
    .filter((order) => context.orderListLagMs === 0 || Date.parse(order.created_time) <= context.clock.nowMs() - context.orderListLagMs)
    .sort((a, b) => Date.parse(b.created_time) - Date.parse(a.created_time));
  const { page, hasNext, cursor } = pageOf(matching, context.url, 100);
  return ok({ orders: page.map(orderView), sequence: '0', has_next: hasNext, cursor });
}

function listFills(context: RouteContext): RouteResult {
  const params = context.url.searchParams;
  const orderIds = params.getAll('order_ids');
  const productIds = params.getAll('product_ids');
  const tradeIds = params.getAll('trade_ids');
  const matching = context.book.fills
    .filter((fill) => orderIds.length === 0 || orderIds.includes(fill.order_id))
    .filter((fill) => productIds.length === 0 || productIds.includes(fill.product_id))
    .filter((fill) => tradeIds.length === 0 || tradeIds.includes(fill.trade_id));
  const { page, cursor } = pageOf(matching, context.url, 100);
  return ok({ fills: page, cursor });
}

function preview(context: RouteContext): RouteResult {
  const parsed = CreateOrderBodySchema.safeParse(context.body);
  if (!parsed.success) return error(400, 'INVALID_ARGUMENT', 'invalid preview request');
  const product = context.book.products.get(parsed.data.product_id);
  if (product === undefined) return error(404, 'NOT_FOUND', `Product ${parsed.data.product_id} not supported`);
  const quote = context.quoteOf(product.product_id);
  const plan = planOrder(context.book, product, parsed.data, quote);
  if ('error' in plan) return ok({ errs: [plan.previewFailureReason], warning: [], order_total: '0', commission_total: '0', is_max: false });
  const price = parsed.data.side === 'BUY' ? quote.ask : quote.bid;
  const value = multiplyDecimal(plan.targetBaseSize, price);
  const commission = multiplyDecimal(value, context.book.takerFeeRate);
  return ok({
    order_total: addDecimal(value, commission),
    commission_total: commission,
    quote_size: value,
    base_size: plan.targetBaseSize,
    best_bid: quote.bid,
    best_ask: quote.ask,
    slippage: '0',
    preview_id: `preview-${context.clock.nowMs()}`,
    errs: [],
    warning: [],
    is_max: false,
  });
}

function cancel(context: RouteContext): RouteResult {
  const ids = (context.body as { order_ids?: unknown } | undefined)?.order_ids;
  if (!Array.isArray(ids)) return error(400, 'INVALID_ARGUMENT', 'order_ids is required');
  const results = ids.map((id) => {
    const order = typeof id === 'string' ? context.book.orders.get(id) : undefined;
    if (order === undefined || (order.status !== 'OPEN' && order.status !== 'PENDING')) {
      return { success: false, failure_reason: 'UNKNOWN_CANCEL_ORDER', order_id: String(id) };
    }
    context.book.finish(order, 'CANCELLED');
    return { success: true, failure_reason: 'UNKNOWN_CANCEL_FAILURE_REASON', order_id: order.order_id };
  });
  return ok({ results });
}

function time(context: RouteContext): RouteResult {
  const nowMs = context.clock.nowMs();
  return ok({ iso: new Date(nowMs).toISOString(), epochSeconds: String(Math.floor(nowMs / 1000)), epochMillis: String(nowMs) });
}

/** The routes of the fake, under `/api/v3/brokerage`. @internal */
export const FAKE_ROUTES: readonly Route[] = [
  { method: 'GET', pattern: /^\/time$/, access: 'public', handle: time },
  { method: 'GET', pattern: /^\/market\/products$/, access: 'public', handle: (c) => ok({ products: [...c.book.products.values()], num_products: c.book.products.size }) },
  { method: 'GET', pattern: /^\/market\/products\/([^/]+)$/, access: 'public', handle: getProduct },
  { method: 'GET', pattern: /^\/market\/products\/([^/]+)\/candles$/, access: 'public', handle: candles },
  { method: 'GET', pattern: /^\/accounts$/, access: 'private', handle: accounts },
  { method: 'GET', pattern: /^\/products$/, access: 'private', handle: (c) => ok({ products: [...c.book.products.values()], num_products: c.book.products.size }) },
  { method: 'GET', pattern: /^\/products\/([^/]+)$/, access: 'private', handle: getProduct },
  { method: 'GET', pattern: /^\/products\/([^/]+)\/candles$/, access: 'private', handle: candles },
  {
    method: 'GET',
    pattern: /^\/best_bid_ask$/,
    access: 'private',
    handle: (c) =>
      ok({
        pricebooks: c.url.searchParams.getAll('product_ids').filter((id) => c.book.products.has(id)).map((id) => {
          const quote = c.quoteOf(id);
          return { product_id: id, bids: [{ price: quote.bid, size: '1' }], asks: [{ price: quote.ask, size: '1' }], time: new Date(c.clock.nowMs()).toISOString() };
        }),
      }),
  },
  {
    method: 'GET',
    pattern: /^\/transaction_summary$/,
    access: 'private',
    handle: (c) => ok({ total_volume: 0, total_fees: 0, fee_tier: { pricing_tier: 'Advanced 1', usd_from: '0', usd_to: '1000', taker_fee_rate: c.book.takerFeeRate, maker_fee_rate: c.book.makerFeeRate }, advanced_trade_only_volume: 0, advanced_trade_only_fees: 0 }),
  },
  { method: 'POST', pattern: /^\/orders\/preview$/, access: 'private', trade: true, handle: preview },
  {
    method: 'POST',
    pattern: /^\/orders$/,
    access: 'private',
    trade: true,
    handle: (c) => placeFakeOrder(c.book, c.body, { nowIso: new Date(c.clock.nowMs()).toISOString(), quoteOf: c.quoteOf, manualFills: c.manualFills, ...(c.marketOrderFills === undefined ? {} : { marketOrderFills: c.marketOrderFills }), forcedRejection: c.takeForcedRejection(), refuseDuplicate: c.takeDuplicateRefusal }),
  },
  { method: 'POST', pattern: /^\/orders\/batch_cancel$/, access: 'private', trade: true, handle: cancel },
  { method: 'GET', pattern: /^\/orders\/historical\/batch$/, access: 'private', handle: listOrders },
  { method: 'GET', pattern: /^\/orders\/historical\/fills$/, access: 'private', handle: listFills },
  {
    method: 'GET',
    pattern: /^\/orders\/historical\/([^/]+)$/,
    access: 'private',
    handle: (c) => {
      const order = c.book.orders.get(decodeURIComponent(c.params[0] ?? ''));
      return order === undefined ? error(404, 'NOT_FOUND', 'order not found') : ok({ order: orderView(order) });
    },
  },
];

