import { GRANULARITIES, TradepipeError, candleCloseMs, systemClock, type Candle, type Clock, type Granularity } from '@tradepipe/core';
import { MAX_CANDLES_PER_REQUEST, type CoinbaseClient } from './client.js';
import { createRateLimiter } from './rate-limiter.js';

/** Where downloaded candles go: a CSV file, a store, or your own. */
export interface CandleSink {
  /** A short description for messages (`csv data/btc.csv`, `store pglite`). */
  readonly name: string;
  /** The newest candle already held for the series, if any: the download resumes after it. */
  lastCandle(series: { readonly productId: string; readonly granularity: Granularity }): Promise<Candle | undefined>;
  /** Appends closed candles of one series, oldest first, all newer than the sink's last. Must be durable on return. */
  append(candles: readonly Candle[]): Promise<void>;
}

/** Progress after each page of a download. */
export interface DownloadProgress {
  /** Requests made so far. */
  readonly pages: number;
  /** Requests this call plans in all, from its start to its end. */
  readonly pagesTotal: number;
  /** Candles written so far by this call. */
  readonly candles: number;
  /** The end of the range downloaded so far (exclusive), epoch ms. */
  readonly reachedMs: number;
}

/** Options of {@link downloadCandles}. */
export interface DownloadCandlesOptions {
  /** A Coinbase client (no key needed: the public candle endpoints are used by default). */
  readonly client: CoinbaseClient;
  /** The product to download, e.g. `BTC-USD`. */
  readonly productId: string;
  /** The candle size. */
  readonly granularity: Granularity;
  /** First bucket wanted (inclusive), epoch ms. */
  readonly fromMs: number;
  /** End of the range (exclusive), epoch ms; default now. Buckets that have not closed are never written. */
  readonly toMs?: number;
  /** Where the candles go; its last candle of the series is where the download resumes. */
  readonly sink: CandleSink;
  /** Buckets per request: at most 300 (Coinbase refuses more than 350). Default 300. */
  readonly pageCandles?: number;
  /** Requests per second at most (default 3: well under Coinbase's 10/s per IP for public endpoints). */
  readonly requestsPerSecond?: number;
  /** Use the authenticated endpoints instead of the public ones (default false). */
  readonly authenticated?: boolean;
  /** Decides which buckets have closed (default the system clock); requests are paced in real time. */
  readonly clock?: Clock;
  /** Stops the download while it waits for the rate limiter, during a request or between pages; the call throws `aborted`. */
  readonly signal?: AbortSignal;
  /** Called after each page is appended (before the next request); throwing from it stops the download. */
  readonly onPage?: (progress: DownloadProgress) => void | Promise<void>;
}

/** What a download did. */
export interface DownloadResult {
  /** Candles written by this call. */
  readonly candles: number;
  /** Requests made. */
  readonly pages: number;
  /** Where this call started: after the sink's last candle when it had one (`resumed`), else `fromMs`. */
  readonly startMs: number;
  /** Whether the sink already held candles of the series (the download started after its last one). */
  readonly resumed: boolean;
  /** End of the range, exclusive (the last closed bucket's end at most). */
  readonly endMs: number;
  /** The newest candle held once done. */
  readonly lastStartMs: number | undefined;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new TradepipeError('aborted', 'The download was aborted', { cause: signal.reason });
}

function checkOptions(options: DownloadCandlesOptions, pageCandles: number): void {
  if (!(options.granularity in GRANULARITIES)) throw new TradepipeError('validation_failed', 'Unknown granularity', { details: { granularity: String(options.granularity) } });
  if (!Number.isInteger(pageCandles) || pageCandles < 1 || pageCandles > MAX_CANDLES_PER_REQUEST) {
    throw new TradepipeError('validation_failed', `pageCandles must be between 1 and ${MAX_CANDLES_PER_REQUEST}`, { details: { pageCandles } });
  }
  if (!Number.isFinite(options.fromMs) || (options.toMs !== undefined && !(options.toMs > options.fromMs))) {
    throw new TradepipeError('validation_failed', 'The download range is empty or invalid', { details: { fromMs: options.fromMs, toMs: options.toMs ?? 'now' } });
  }
}

/**
 * Downloads candles of any product and granularity from Coinbase's candle endpoints (public by default) in
 * pages of at most 300 buckets, oldest first, paced at `requestsPerSecond`, into a sink (a CSV file or a
 * store). Resumable: it starts after the newest candle the sink already holds, and each page is appended
 * before the next is asked for, so an interrupted download (abort, network failure, Ctrl-C) loses at most the
 * page in flight and the next call carries on. Buckets with no trade are absent, as Coinbase sends them (fill
 * them with core's gap policy when loading); the bucket still open is never written.
 * @returns how many candles and pages, and where it started and ended
 * @throws TradepipeError `validation_failed` for a bad range, granularity or page size; `unknown_product`;
 * `rate_limited`, `exchange_unavailable`, `network_error`, `timeout` once the client's retries are spent;
 * `aborted` when `signal` aborts
 * @example
 * const client = createCoinbaseClient({});
 * await downloadCandles({ client, productId: 'ETH-USD', granularity: 'ONE_HOUR', fromMs: Date.UTC(2024, 0, 1), sink: createCsvCandleSink('eth-usd-1h.csv') });
 */
export async function downloadCandles(options: DownloadCandlesOptions): Promise<DownloadResult> {
  const pageCandles = options.pageCandles ?? MAX_CANDLES_PER_REQUEST;
  checkOptions(options, pageCandles);
  throwIfAborted(options.signal);
  const clock = options.clock ?? systemClock;
  const stepMs = GRANULARITIES[options.granularity];
  const last = await options.sink.lastCandle({ productId: options.productId, granularity: options.granularity });
  const firstMs = Math.ceil(options.fromMs / stepMs) * stepMs;
  const startMs = last === undefined ? firstMs : Math.max(firstMs, last.startMs + stepMs);
  // Only closed buckets: the end is the start of the bucket open now, at the latest.
  const endMs = Math.min(options.toMs ?? Number.POSITIVE_INFINITY, Math.floor(clock.nowMs() / stepMs) * stepMs);
  const pagesTotal = Math.max(0, Math.ceil((endMs - startMs) / (pageCandles * stepMs)));
  // Pacing is about real time, whatever clock decides which buckets have closed.
  const limiter = createRateLimiter({ ratePerSecond: options.requestsPerSecond ?? 3, burst: 1, clock: systemClock });
  let written = 0;
  let pages = 0;
  let lastStartMs = last?.startMs;
  for (let pageStartMs = startMs; pageStartMs < endMs; pageStartMs += pageCandles * stepMs) {
    await limiter.acquire(options.signal);
    const pageEndMs = Math.min(pageStartMs + pageCandles * stepMs, endMs);
    const candles = await options.client.getCandles(
      { productId: options.productId, granularity: options.granularity, startMs: pageStartMs, endMs: pageEndMs, public: options.authenticated !== true },
      options.signal === undefined ? {} : { signal: options.signal },
    );
    const fresh = candles.filter((candle) => (lastStartMs === undefined || candle.startMs > lastStartMs) && candleCloseMs(candle) <= clock.nowMs());
    if (fresh.length > 0) {
      await options.sink.append(fresh);
      lastStartMs = fresh.at(-1)!.startMs;
      written += fresh.length;
    }
    pages += 1;
    await options.onPage?.({ pages, pagesTotal, candles: written, reachedMs: pageEndMs });
    throwIfAborted(options.signal);
  }
  return { candles: written, pages, startMs, resumed: last !== undefined, endMs: Math.max(startMs, endMs), lastStartMs };
}
