import { z } from 'zod';
import { MAX_TIMER_DELAY_MS } from './timer-delay.js';

/**
 * zod schema of the plain (serialisable) options of {@link createCoinbaseClient}. Defaults follow
 * Coinbase's published REST limits: 30 requests/s per key on private endpoints, 10/s per IP on public ones.
 */
export const CoinbaseClientOptionsSchema = z.object({
  /** Scheme and host of the API (a local fake's `url` in tests). */
  baseUrl: z.url().default('https://api.coinbase.com'),
  /** Deadline of one request attempt: for the headers, then again for the body (undici timeouts; an AbortSignal below 1 s). */
  timeoutMs: z.number().int().positive().max(MAX_TIMER_DELAY_MS).default(10_000),
  privateRatePerSecond: z.number().positive().default(30),
  privateBurst: z.number().int().positive().default(10),
  publicRatePerSecond: z.number().positive().default(10),
  publicBurst: z.number().int().positive().default(5),
  /** Retries of safe requests after 5xx, network failures and timeouts. */
  maxRetries: z.number().int().nonnegative().default(3),
  /** Retries after 429, waiting the hinted delay (`Retry-After`) or a doubling backoff. */
  maxRateLimitRetries: z.number().int().nonnegative().default(6),
  retryBaseDelayMs: z.number().int().nonnegative().default(250),
  /** Most difference allowed between the local clock and Coinbase's `/time`. */
  maxClockSkewMs: z.number().int().positive().default(30_000),
  /** Sockets kept open to the API. */
  connections: z.number().int().positive().default(8),
});

/** Input of {@link CoinbaseClientOptionsSchema}. */
export interface CoinbaseClientSettings extends z.input<typeof CoinbaseClientOptionsSchema> {}
