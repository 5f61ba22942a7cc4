import { Agent, type Dispatcher } from 'undici';
import { z } from 'zod';
import { TradepipeError, childLogger, silentLogger, systemClock, type Candle, type Clock, type Granularity, type Logger, type Product } from '@tradepipe/core';
import type { CdpKey } from './cdp-key.js';
import { bucketCount, toCandles, toProduct } from './client-mapping.js';
import { CoinbaseClientOptionsSchema, type CoinbaseClientSettings } from './client-options.js';
import { createTransport } from './http-transport.js';
import { createJwtSigner, type JwtSigner } from './jwt-signer.js';
import { createOrderCalls, type CoinbaseOrderCalls } from './client-orders.js';
import { createRateLimiter } from './rate-limiter.js';
import { AccountsPageSchema, BestBidAskSchema, CandlesSchema, ProductsSchema, ServerTimeSchema, TransactionSummarySchema, WireProductSchema, type AccountSchema } from './wire-schemas.js';

/** A Coinbase account (one currency's balance) as the API returns it. */
export type CoinbaseAccount = z.output<typeof AccountSchema>;

/** Best bid and ask of a product. */
export interface BestBidAsk {
  /** The product the prices are for, e.g. `BTC-USD`. */
  readonly productId: string;
  /** The best bid price (quote currency per base unit); undefined when the book has no bids. */
  readonly bid: Product['price'];
  /** The best ask price (quote currency per base unit); undefined when the book has no asks. */
  readonly ask: Product['price'];
}

/** The fee tier from `/transaction_summary`, rates as decimal fractions (`0.012` = 1.2 %). */
export interface FeeTier {
  /** The tier's name as Coinbase reports it (e.g. `Advanced 1`); `''` when Coinbase omits it. */
  readonly pricingTier: string;
  /** Fee rate on taker (market and crossing) fills, a decimal fraction: `0.012` is 1.2 %. */
  readonly takerFeeRate: NonNullable<Product['price']>;
  /** Fee rate on maker (resting limit) fills, a decimal fraction: `0.006` is 0.6 %. */
  readonly makerFeeRate: NonNullable<Product['price']>;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the request and any retry wait: the call then rejects with TradepipeError `aborted`. */
  readonly signal?: AbortSignal;
}

/** A typed Coinbase Advanced Trade REST client. Every response is parsed with zod; amounts stay decimal strings. */
export interface CoinbaseClient extends CoinbaseOrderCalls {
  /** `GET /time`: Coinbase's clock, epoch ms. */
  getServerTimeMs(options?: CallOptions): Promise<number>;
  /** Compares the local clock with `/time`. @returns the skew (local − server), ms. @throws TradepipeError `clock_skew` past `maxClockSkewMs`. */
  checkClockSkew(options?: CallOptions): Promise<number>;
  /** `GET /accounts`, every page. */
  listAccounts(options?: CallOptions): Promise<CoinbaseAccount[]>;
  /** `GET /products/{id}` (or `/market/products/{id}` when `public`). @throws TradepipeError `unknown_product` */
  getProduct(productId: string, options?: CallOptions & { readonly public?: boolean }): Promise<Product>;
  /** `GET /products` (or `/market/products`). */
  listProducts(options?: CallOptions & { readonly public?: boolean }): Promise<Product[]>;
  /** `GET /best_bid_ask?product_ids=…`. */
  getBestBidAsk(productIds: readonly string[], options?: CallOptions): Promise<BestBidAsk[]>;
  /**
   * `GET /products/{id}/candles` (or the public one): candles with `startMs <= start < endMs`, oldest
   * first. At most 300 buckets per call. The newest may still be open: callers filter.
   * @throws TradepipeError `validation_failed` if the range spans more than 300 buckets.
   */
  getCandles(request: { readonly productId: string; readonly granularity: Granularity; readonly startMs: number; readonly endMs: number; readonly public?: boolean }, options?: CallOptions): Promise<Candle[]>;
  /** `GET /transaction_summary`: the fee tier. */
  getFeeTier(options?: CallOptions): Promise<FeeTier>;
  /** Closes the client's sockets. */
  close(): Promise<void>;
}

/**
 * Options of {@link createCoinbaseClient}: the settings plus key, clocks, logger and an optional undici dispatcher.
 * Two clocks: `clock` stamps what the exchange checks against its own time (JWT `nbf`/`exp`, the clock-skew
 * check); `networkClock` is what the client waits on (retry backoff, `Retry-After`, the rate limiter). They are
 * apart so that a client wired to a replay or manual clock still returns from a retried or paced request:
 * network waits happen in real time whatever time the pipeline reads.
 */
export type CoinbaseClientOptions = CoinbaseClientSettings & {
  /** The CDP key; without it (and without `signer`) only public endpoints work. */
  readonly key?: CdpKey;
  /** Signs the JWTs (default one made from `key` on `clock`). */
  readonly signer?: JwtSigner;
  /** Time of JWT claims and of the clock-skew check (default the system clock). A manual clock is fine here. */
  readonly clock?: Clock;
  /**
   * What retries and the rate limiter wait on and time with (default the system clock). Keep it real time; a
   * manual clock here would stall every retry until it is advanced. Tests may pass one that returns at once.
   */
  readonly networkClock?: Clock;
  /** Where request and retry lines go (default silent). */
  readonly logger?: Logger;
  /** An undici dispatcher to send through (default the client's own keep-alive agent). */
  readonly dispatcher?: Dispatcher;
};

/** Most buckets asked per candle request (Coinbase refuses more than 350). */
export const MAX_CANDLES_PER_REQUEST = 300;

/**
 * Creates a Coinbase Advanced Trade REST client on undici with per-request JWTs, client-side rate
 * limits, timeouts and retries where safe (429 always with its hint; 5xx and network failures only for
 * reads and for requests that never left).
 * @returns the client
 * @throws TradepipeError `config_invalid` if the settings are invalid.
 * @example
 * const client = createCoinbaseClient({ key: await loadCdpKey({ keyFile: './cdp_api_key.json' }) });
 * const accounts = await client.listAccounts();
 */
export function createCoinbaseClient(options: CoinbaseClientOptions = {}): CoinbaseClient {
  const parsed = CoinbaseClientOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new TradepipeError('config_invalid', 'Invalid Coinbase client options', { details: { firstPath: parsed.error.issues[0]?.path.join('.') ?? '' } });
  }
  const settings = parsed.data;
  const clock = options.clock ?? systemClock;
  const networkClock = options.networkClock ?? systemClock;
  const ownDispatcher = options.dispatcher === undefined ? new Agent({ connections: settings.connections, keepAliveTimeout: 30_000 }) : undefined;
  const signer = options.signer ?? (options.key === undefined ? undefined : createJwtSigner({ key: options.key, clock }));
  const send = createTransport({
    baseUrl: new URL(settings.baseUrl),
    signer,
    networkClock,
    logger: childLogger(options.logger ?? silentLogger, {}), // redacts before a user's own sink
    dispatcher: options.dispatcher ?? ownDispatcher!,
    timeoutMs: settings.timeoutMs,
    privateLimiter: createRateLimiter({ ratePerSecond: settings.privateRatePerSecond, burst: settings.privateBurst, clock: networkClock }),
    publicLimiter: createRateLimiter({ ratePerSecond: settings.publicRatePerSecond, burst: settings.publicBurst, clock: networkClock }),
    maxRetries: settings.maxRetries,
    maxRateLimitRetries: settings.maxRateLimitRetries,
    retryBaseDelayMs: settings.retryBaseDelayMs,
  });
  const productPath = (isPublic: boolean | undefined): string => (isPublic === true ? '/market/products' : '/products');
  const access = (isPublic: boolean | undefined): 'public' | 'private' => (isPublic === true ? 'public' : 'private');
  const getServerTimeMs = async (callOptions: CallOptions = {}): Promise<number> => {
    const time = await send({ method: 'GET', path: '/time', access: 'public', schema: ServerTimeSchema, what: 'Coinbase time', retry: 'safe', ...callOptions });
    return Number(time.epochMillis);
  };

  return {
    ...createOrderCalls(send),
    getServerTimeMs,
    async checkClockSkew(callOptions = {}) {
      const beforeMs = clock.nowMs();
      const serverMs = await getServerTimeMs(callOptions);
      const skewMs = Math.round((beforeMs + clock.nowMs()) / 2 - serverMs);
      if (Math.abs(skewMs) > settings.maxClockSkewMs) {
        throw new TradepipeError('clock_skew', 'The local clock differs from Coinbase by more than allowed', { details: { skewMs, maxClockSkewMs: settings.maxClockSkewMs } });
      }
      return skewMs;
    },
    async listAccounts(callOptions = {}) {
      const accounts = [];
      let cursor: string | undefined;
      for (let page = 0; page < 1_000; page += 1) {
        const result = await send({ method: 'GET', path: '/accounts', query: { limit: '250', cursor }, access: 'private', schema: AccountsPageSchema, what: 'Coinbase accounts', retry: 'safe', ...callOptions });
        accounts.push(...result.accounts);
        if (!result.has_next || result.cursor === '') return accounts;
        cursor = result.cursor;
      }
      throw new TradepipeError('internal', 'Coinbase accounts kept paging past 1000 pages');
    },
    async getProduct(productId, callOptions = {}) {
      const wire = await send({ method: 'GET', path: `${productPath(callOptions.public)}/${encodeURIComponent(productId)}`, access: access(callOptions.public), schema: WireProductSchema, what: 'Coinbase product', retry: 'safe', notFound: 'unknown_product', signal: callOptions.signal });
      return toProduct(wire);
    },
    async listProducts(callOptions = {}) {
      const result = await send({ method: 'GET', path: productPath(callOptions.public), access: access(callOptions.public), schema: ProductsSchema, what: 'Coinbase products', retry: 'safe', signal: callOptions.signal });
      return result.products.map(toProduct);
    },
    async getBestBidAsk(productIds, callOptions = {}) {
      const result = await send({ method: 'GET', path: '/best_bid_ask', query: { product_ids: productIds }, access: 'private', schema: BestBidAskSchema, what: 'Coinbase best bid/ask', retry: 'safe', ...callOptions });
      return result.pricebooks.map((book) => ({ productId: book.product_id, bid: book.bids[0]?.price, ask: book.asks[0]?.price }));
    },
    async getCandles(request, callOptions = {}) {
      if (bucketCount(request.startMs, request.endMs, request.granularity) > MAX_CANDLES_PER_REQUEST) {
        throw new TradepipeError('validation_failed', 'A candle request may span at most 300 buckets', { details: { productId: request.productId } });
      }
      const result = await send({
        method: 'GET',
        path: `${productPath(request.public)}/${encodeURIComponent(request.productId)}/candles`,
        query: { start: String(Math.floor(request.startMs / 1000)), end: String(Math.floor(request.endMs / 1000)), granularity: request.granularity },
        access: access(request.public),
        schema: CandlesSchema,
        what: 'Coinbase candles',
        retry: 'safe',
        notFound: 'unknown_product',
        signal: callOptions.signal,
      });
      return toCandles(result.candles, request.productId, request.granularity).filter((candle) => candle.startMs >= request.startMs && candle.startMs < request.endMs);
    },
    async getFeeTier(callOptions = {}) {
      const result = await send({ method: 'GET', path: '/transaction_summary', access: 'private', schema: TransactionSummarySchema, what: 'Coinbase transaction summary', retry: 'safe', ...callOptions });
      return { pricingTier: result.fee_tier.pricing_tier ?? '', takerFeeRate: result.fee_tier.taker_fee_rate, makerFeeRate: result.fee_tier.maker_fee_rate };
    },
    async close() {
      await ownDispatcher?.close();
    },
  };
}

