import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decimal, systemClock, type Clock, type DecimalString, type Granularity } from '@tradepipe/core';
import { verifyFakeJwt, type FakeApiKey } from './fake-auth.js';
import { FakeCandleBook, type FakeWireCandle } from './fake-candles.js';
import { FakeExchangeBook, type FakeBalance, type FakeFill, type FakeOrder, type FakeRejection } from './fake-exchange.js';
import { takeFault, type FakeFaults, type FaultRule } from './fake-faults.js';
import { fillDueParts, matchOrder, orderView, type FakeMarketOrderFills, type FakeQuote } from './fake-orders.js';
import { FAKE_ROUTES, type Route } from './fake-routes.js';
import { FakeWebSocketHub, type FakeWebSocketControls } from './fake-websocket.js';
import { buildProducts, type FakeProductInput } from './fake-products.js';
import { createWindowLimiter } from './fake-rate-limit.js';
import { MAX_TIMER_DELAY_MS } from '../timer-delay.js';

/** Options of {@link startFakeCoinbase}. */
export interface FakeCoinbaseOptions {
  /** Keys whose JWTs are accepted (e.g. from `createTestKeyPair`). */
  readonly keys?: readonly FakeApiKey[];
  /** Products (default BTC-USD and ETH-USD with Coinbase's increments). */
  readonly products?: readonly FakeProductInput[];
  /** Starting balances by currency (default 10000 USD). */
  readonly balances?: Readonly<Record<string, string>>;
  /** Clock for JWT checks, order times and candles (default the system clock). */
  readonly clock?: Clock;
  /** Fee rates of the account's tier (default taker 0.012, maker 0.006: entry tier). */
  readonly takerFeeRate?: string;
  /** Fee rate of maker fills, a decimal fraction (default `0.006`); `fillOrder` and matching make taker fills only. */
  readonly makerFeeRate?: string;
  /** `manual`: orders stay OPEN until `fillOrder`; `immediate` (default): market/crossing orders fill at once. */
  readonly orderFills?: 'immediate' | 'manual';
  /**
   * With immediate fills, market orders fill in `count` fills instead of one: the first at placement, then one every
   * `intervalMs` of the fake's clock (default 0: all at placement), each at the book's price when due, with its own
   * `entry_id` and `trade_id`. Each fills an equal share of what is left of the order's base size, or of a quote-size
   * BUY's quote (its fills' value plus fees stay within `quote_size`); the last fills the rest and ends it FILLED.
   * Between fills the order is OPEN with its totals so far; `finishOrder` or a cancel ends it with the rest unfilled.
   */
  readonly marketOrderFills?: FakeMarketOrderFills;
  /** Enforce Coinbase's published limits (30/s per key private, 10/s per IP public) with 429. Default true. */
  readonly enforceRateLimits?: boolean;
  /** Omit every n-th synthetic candle bucket (no trades), to exercise gap handling. */
  readonly omitEveryNthCandle?: number;
  /** How often subscribed WebSocket connections get a `heartbeats` message, ms (default 1000, as Coinbase). */
  readonly heartbeatIntervalMs?: number;
  /** A WebSocket with no subscription after this long is closed (Coinbase: 5 s). */
  readonly subscribeTimeoutMs?: number;
}

/** One request the fake saw. */
export interface FakeRequestLogEntry {
  /** The HTTP method, e.g. `GET`. */
  readonly method: string;
  /** The path without `/api/v3/brokerage` and without the query, e.g. `/orders`. */
  readonly path: string;
  /** The HTTP status answered, or `'dropped'` when a scripted fault cut the connection without an answer. */
  readonly status: number | 'dropped';
}

/** A running fake Coinbase exchange. */
export interface FakeCoinbase {
  /** Base URL for `createCoinbaseClient({ baseUrl })`, e.g. `http://127.0.0.1:51234`. */
  readonly url: string;
  /** WebSocket URL, e.g. `ws://127.0.0.1:51234/ws`. */
  readonly wsUrl: string;
  /**
   * Scripts failures of the next requests: 429 bursts, 5xx, dropped requests or responses, latency, a refused order,
   * refused duplicates, lagging order lists.
   */
  readonly faults: FakeFaults;
  /**
   * Drives the `/ws` endpoint: publish candles and trades, drop connections, skip sequence numbers, pause heartbeats.
   */
  readonly websocket: FakeWebSocketControls;
  /** Every request seen, in order (paths under `/api/v3/brokerage`). */
  readonly requests: readonly FakeRequestLogEntry[];
  /** Every request as it arrived (body read), before latency and faults: one that is held or dropped shows here first. */
  readonly received: readonly Omit<FakeRequestLogEntry, 'status'>[];
  /** Orders on the fake, as `GET /orders/historical/{id}` shows them. */
  orders(): Record<string, unknown>[];
  /** Every fill the fake made, oldest first (a copy of the list). */
  fills(): readonly FakeFill[];
  /** Balances by currency now (copies): `available` and the `hold` that open orders keep. */
  balances(): Readonly<Record<string, FakeBalance>>;
  /** Sets a currency's available amount (a decimal string); its hold is left as it is. */
  setBalance(currency: string, available: string): void;
  /** Sets the book: a price (bid = ask) or a bid and an ask. */
  setPrice(productId: string, price: string | { readonly bid: string; readonly ask: string }): void;
  /** Changes a product (e.g. `{ cancel_only: true }`). */
  updateProduct(productId: string, changes: Partial<FakeProductInput>): void;
  /**
   * Serves these candles for a series instead of the synthetic ones; from then on a bucket of that series without a set
   * candle has none.
   */
  setCandles(productId: string, granularity: Granularity, candles: readonly FakeWireCandle[]): void;
  /** Serves no candle for these buckets (bucket start, epoch ms), as Coinbase does where nothing traded. */
  omitCandles(productId: string, granularity: Granularity, startMsList: readonly number[]): void;
  /** The candle the fake serves for a bucket (synthetic unless set), if any. */
  candleAt(productId: string, granularity: Granularity, startMs: number): FakeWireCandle | undefined;
  /** Fills (part of) an OPEN order at the current price, or `price`. */
  fillOrder(orderId: string, options?: { readonly baseSize?: string; readonly price?: string }): void;
  /** Ends an OPEN order (`CANCELLED`, `EXPIRED`, `FAILED`), releasing its hold. */
  finishOrder(orderId: string, status: 'CANCELLED' | 'EXPIRED' | 'FAILED'): void;
  /** Closes every WebSocket and HTTP connection and stops the server. */
  close(): Promise<void>;
}

/**
 * Starts a fake Coinbase Advanced Trade exchange on 127.0.0.1 (random port): the real paths and
 * shapes under `/api/v3/brokerage`, JWT verification (401 for a bad signature, `uri` or expiry), balances,
 * orders and fills, `client_order_id` idempotency, no filters the real API lacks, scriptable faults and a
 * WebSocket endpoint at `/ws` (subscriptions, heartbeats, candles, market trades).
 * @returns the running fake; call `close()` when done
 * @example
 * const keys = createTestKeyPair();
 * const fake = await startFakeCoinbase({ keys: [keys], balances: { USD: '1000' } });
 * const client = createCoinbaseClient({ baseUrl: fake.url, key: parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem }) });
 * await fake.close();
 */
export async function startFakeCoinbase(options: FakeCoinbaseOptions = {}): Promise<FakeCoinbase> {
  const parts = options.marketOrderFills;
  if (parts !== undefined && !(Number.isInteger(parts.count) && parts.count >= 1 && Number.isFinite(parts.intervalMs ?? 0) && (parts.intervalMs ?? 0) >= 0)) {
    throw new Error('marketOrderFills needs an integer count of at least 1 and a finite intervalMs of at least 0');
  }
  const clock = options.clock ?? systemClock;
  const book = new FakeExchangeBook(decimal(options.takerFeeRate ?? '0.012'), decimal(options.makerFeeRate ?? '0.006'));
  const quotes = new Map<string, FakeQuote>();
  for (const product of buildProducts(options.products)) {
    book.products.set(product.product_id, product);
    quotes.set(product.product_id, { bid: decimal(product.price), ask: decimal(product.price) });
  }
  for (const [currency, amount] of Object.entries(options.balances ?? { USD: '10000' })) book.balance(currency).available = decimal(amount);
  const candles = new FakeCandleBook(new Map([...book.products.values()].map((product) => [product.product_id, Number(product.price)])), options.omitEveryNthCandle);
  const keys = new Map((options.keys ?? []).map((key) => [key.name, key]));
  const hub = new FakeWebSocketHub({ clock, keys, heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000, subscribeTimeoutMs: options.subscribeTimeoutMs ?? 5_000 });
  const rules: FaultRule[] = [];
  const requests: FakeRequestLogEntry[] = [];
  const received: Omit<FakeRequestLogEntry, 'status'>[] = [];
  let latencyMs = 0;
  let forcedRejection: FakeRejection | undefined;
  let duplicateRefusals = 0;
  let orderListLagMs = 0;
  const limiter = createWindowLimiter(options.enforceRateLimits ?? true);
  const quoteOf = (productId: string): FakeQuote => quotes.get(productId) ?? { bid: decimal('0'), ask: decimal('0') };
  /** Makes the part fills due by now on the fake's clock (`marketOrderFills`). */
  const fillDue = (): void => fillDueParts(book, clock.nowMs(), quoteOf);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`);
    const method = request.method ?? 'GET';
    const path = url.pathname.startsWith('/api/v3/brokerage') ? url.pathname.slice('/api/v3/brokerage'.length) : url.pathname;
    const bodyText = await readBody(request);
    received.push({ method, path });
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(latencyMs, MAX_TIMER_DELAY_MS)));
    const log = (status: number | 'dropped'): void => void requests.push({ method, path, status });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      log(status);
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      response.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
      response.end(text);
    };
    let route: Route | undefined;
    let params: string[] = [];
    for (const candidate of FAKE_ROUTES) {
      const match = candidate.method === method ? candidate.pattern.exec(path) : null;
      if (match !== null && url.pathname.startsWith('/api/v3/brokerage')) {
        route = candidate;
        params = match.slice(1);
        break;
      }
    }
    if (route === undefined) return send(404, { error: 'NOT_FOUND', error_details: 'Not Found', message: 'Not Found' });
    let key: FakeApiKey | undefined;
    if (route.access === 'private') {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      key = token === undefined ? undefined : await verifyFakeJwt(token, keys, { nowMs: clock.nowMs(), expectedUri: `${method} ${url.host}${url.pathname}` });
      if (key === undefined) return send(401, 'Unauthorized');
      if (route.trade === true && key.canTrade === false) return send(403, { error: 'PERMISSION_DENIED', error_details: 'Missing required scopes', message: 'Missing required scopes' });
    }
    const limited = takeFault(rules, 'rate_limit', method, path);
    const limitKey = route.access === 'private' ? `key:${key!.name}` : `ip:${request.socket.remoteAddress ?? ''}`;
    const window = limiter.take(limitKey, route.access === 'private' ? 30 : 10);
    if (limited !== undefined || !window.allowed) {
      const retryHeaders: Record<string, string> = limited?.retryAfterSeconds === undefined ? {} : { 'retry-after': String(limited.retryAfterSeconds) };
      return send(429, { error: 'RESOURCE_EXHAUSTED', error_details: 'Too many requests', message: 'Too many requests' }, retryHeaders);
    }
    const failed = takeFault(rules, 'server_error', method, path);
    if (failed !== undefined) return send(failed.status ?? 503, { error: 'UNAVAILABLE', error_details: 'Service unavailable', message: 'Service unavailable' });
    if (takeFault(rules, 'drop_request', method, path) !== undefined) {
      log('dropped');
      request.socket.destroy();
      return;
    }
    let body: unknown;
    try {
      body = bodyText === '' ? undefined : JSON.parse(bodyText);
    } catch {
      return send(400, { error: 'INVALID_ARGUMENT', error_details: 'body is not JSON', message: 'body is not JSON' });
    }
    const takeForcedRejection = (): FakeRejection | undefined => {
      const rejection = forcedRejection;
      forcedRejection = undefined;
      return rejection;
    };
    const takeDuplicateRefusal = (): boolean => {
      if (duplicateRefusals === 0) return false;
      duplicateRefusals -= 1;
      return true;
    };
    fillDue();
    const result = route.handle({ book, candles, clock, url, params, body, key, quoteOf, manualFills: options.orderFills === 'manual', marketOrderFills: parts, takeForcedRejection, takeDuplicateRefusal, orderListLagMs });
    if (takeFault(rules, 'drop_response', method, path) !== undefined) {
      log('dropped');
      request.socket.destroy();
      return;
    }
    const rateHeaders: Record<string, string> = route.access === 'private' ? { 'x-ratelimit-limit': '30', 'x-ratelimit-remaining': String(window.remaining), 'x-ratelimit-reset': String(Math.ceil(clock.nowMs() / 1000) + 1) } : {};
    send(result.status, result.body, rateHeaders);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'INTERNAL', error_details: 'fake failure', message: 'fake failure' }));
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on('upgrade', (request, socket) => {
    if (new URL(request.url ?? '/', 'http://127.0.0.1').pathname === '/ws') hub.handleUpgrade(request, socket);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const orderOr = (orderId: string): FakeOrder => {
    const order = book.orders.get(orderId);
    if (order === undefined) throw new Error(`The fake has no order ${orderId}`);
    return order;
  };

  const faults: FakeFaults = {
    rateLimitBurst: (count, match = {}) => void rules.push({ kind: 'rate_limit', remaining: count, ...match }),
    serverErrors: (count, match = {}) => void rules.push({ kind: 'server_error', remaining: count, ...match }),
    dropResponses: (count, match = { method: 'POST', path: '/orders' }) => void rules.push({ kind: 'drop_response', remaining: count, ...match }),
    dropRequests: (count, match = { method: 'POST', path: '/orders' }) => void rules.push({ kind: 'drop_request', remaining: count, ...match }),
    latency: (ms) => void (latencyMs = ms),
    rejectNextOrder: (error, previewFailureReason = 'UNKNOWN_PREVIEW_FAILURE_REASON') => void (forcedRejection = { error, message: error, previewFailureReason }),
    refuseDuplicateOrders: (count) => void (duplicateRefusals = count),
    orderListLag: (lagMs) => void (orderListLagMs = lagMs),
    clear: () => {
      rules.length = 0;
      latencyMs = 0;
      forcedRejection = undefined;
      duplicateRefusals = 0;
      orderListLagMs = 0;
    },
  };

  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    faults,
    websocket: hub,
    requests,
    received,
    orders() {
      fillDue();
      return [...book.orders.values()].map(orderView);
    },
    fills() {
      fillDue();
      return [...book.fills];
    },
    balances() {
      fillDue();
      return Object.fromEntries([...book.balances.entries()].map(([currency, balance]) => [currency, { ...balance }]));
    },
    setBalance: (currency, available) => void (book.balance(currency).available = decimal(available)),
    setPrice(productId, price) {
      fillDue(); // part fills due before the move are made at the old price
      const quote = typeof price === 'string' ? { bid: decimal(price), ask: decimal(price) } : { bid: decimal(price.bid), ask: decimal(price.ask) };
      quotes.set(productId, quote);
      const product = book.products.get(productId);
      if (product !== undefined) product.price = quote.ask;
      for (const order of book.orders.values()) {
        if (order.product_id === productId && order.status === 'OPEN' && options.orderFills !== 'manual') matchOrder(book, order, quote, new Date(clock.nowMs()).toISOString());
      }
    },
    updateProduct(productId, changes) {
      const product = book.products.get(productId);
      if (product === undefined) throw new Error(`The fake has no product ${productId}`);
      Object.assign(product, buildProducts([{ ...product, ...changes }])[0]);
    },
    setCandles: (productId, granularity, list) => candles.set(productId, granularity, list),
    omitCandles: (productId, granularity, list) => candles.omit(productId, granularity, list),
    candleAt: (productId, granularity, startMs) => candles.candleAt(productId, granularity, startMs),
    fillOrder(orderId, fillOptions = {}) {
      const order = orderOr(orderId);
      const quote = quoteOf(order.product_id);
      const price: DecimalString = fillOptions.price === undefined ? (order.side === 'BUY' ? quote.ask : quote.bid) : decimal(fillOptions.price);
      book.fill(order, { sizeBase: decimal(fillOptions.baseSize ?? order.targetBaseSize), price, atIso: new Date(clock.nowMs()).toISOString(), liquidity: 'TAKER' });
    },
    finishOrder: (orderId, status) => book.finish(orderOr(orderId), status),
    async close() {
      hub.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
