import { request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { TradepipeError, parseWith, type Clock, type Logger } from '@tradepipe/core';
import { MAX_RETRY_AFTER_MS, errorForResponse, errorForTransportFailure } from './http-errors.js';
import type { JwtSigner } from './jwt-signer.js';
import type { RateLimiter } from './rate-limiter.js';
import { sleepInTimerSteps } from './timer-delay.js';

/** The path prefix of every Advanced Trade REST endpoint. */
export const BROKERAGE_PATH = '/api/v3/brokerage';

/** Query values: arrays become repeated keys (`product_ids=A&product_ids=B`), as Coinbase expects. */
export type QueryValues = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One REST call. @internal */
export interface RequestSpec<Schema extends z.ZodType> {
  readonly method: 'GET' | 'POST';
  /** Path under `/api/v3/brokerage`, e.g. `/accounts`. */
  readonly path: string;
  readonly query?: QueryValues;
  readonly body?: unknown;
  /** `private` endpoints carry a JWT and use the private limit; `public` ones neither. */
  readonly access: 'private' | 'public';
  readonly schema: Schema;
  readonly what: string;
  /** `safe`: retry 429, 5xx and network failures; `rate-limit-only`: retry only 429 (the request was not processed). */
  readonly retry: 'safe' | 'rate-limit-only';
  readonly notFound?: 'unknown_product' | 'not_found';
  readonly signal?: AbortSignal;
}

/** What the transport needs. @internal */
export interface TransportConfig {
  readonly baseUrl: URL;
  readonly signer: JwtSigner | undefined;
  /** What the transport waits on and times with (backoff, Retry-After, limiter pauses): real time, never a replay clock. */
  readonly networkClock: Clock;
  readonly logger: Logger;
  readonly dispatcher: Dispatcher;
  readonly timeoutMs: number;
  readonly privateLimiter: RateLimiter;
  readonly publicLimiter: RateLimiter;
  readonly maxRetries: number;
  readonly maxRateLimitRetries: number;
  readonly retryBaseDelayMs: number;
}

/** Sends REST calls with JWT, limits, timeouts, zod parsing and safe retries. @internal */
export type Transport = <Schema extends z.ZodType>(spec: RequestSpec<Schema>) => Promise<z.output<Schema>>;

function buildUrl(baseUrl: URL, path: string, query: QueryValues | undefined): URL {
  const url = new URL(`${baseUrl.pathname.replace(/\/$/, '')}${BROKERAGE_PATH}${path}`, baseUrl);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    for (const item of typeof value === 'string' ? [value] : value) url.searchParams.append(key, item);
  }
  return url;
}

/** Creates the transport. @internal */
export function createTransport(config: TransportConfig): Transport {
  const sendOnce = async <Schema extends z.ZodType>(spec: RequestSpec<Schema>): Promise<z.output<Schema>> => {
    const limiter = spec.access === 'private' ? config.privateLimiter : config.publicLimiter;
    await limiter.acquire(spec.signal);
    const url = buildUrl(config.baseUrl, spec.path, spec.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    if (spec.access === 'private') {
      if (config.signer === undefined) throw new TradepipeError('config_invalid', 'This Coinbase endpoint needs a CDP key', { details: { path: spec.path } });
      headers.authorization = `Bearer ${await config.signer.signRest({ method: spec.method, host: url.host, path: url.pathname })}`;
    }
    const facts = { method: spec.method, path: spec.path };
    // Deadlines of a second or more use undici's headers/body timeouts (cheap, ~1 s granularity); shorter ones an AbortSignal.
    const precise = config.timeoutMs < 1_000;
    const deadline = precise ? AbortSignal.timeout(config.timeoutMs) : undefined;
    const signal = deadline === undefined ? spec.signal : spec.signal === undefined ? deadline : AbortSignal.any([spec.signal, deadline]);
    const startedAtMs = config.networkClock.nowMs();
    let status: number;
    let bodyText: string;
    let retryAfterHeader: string | undefined;
    try {
      const response = await request(url, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? null : JSON.stringify(spec.body),
        ...(signal === undefined ? {} : { signal }),
        ...(precise ? {} : { headersTimeout: config.timeoutMs, bodyTimeout: config.timeoutMs }),
        dispatcher: config.dispatcher,
      });
      status = response.statusCode;
      const header = response.headers['retry-after'];
      retryAfterHeader = Array.isArray(header) ? header[0] : header;
      bodyText = await response.body.text();
    } catch (error) {
      throw errorForTransportFailure(error, spec.signal, facts);
    }
    config.logger.debug('coinbase request', { ...facts, status, durationMs: config.networkClock.nowMs() - startedAtMs });
    if (status < 200 || status >= 300) {
      throw errorForResponse({ status, bodyText, retryAfterHeader, ...facts, notFound: spec.notFound ?? 'not_found', nowMs: config.networkClock.nowMs() });
    }
    let json: unknown;
    try {
      json = JSON.parse(bodyText);
    } catch {
      throw new TradepipeError('validation_failed', `Coinbase sent a body that is not JSON for ${spec.what}`, { details: { ...facts, status } });
    }
    return parseWith(spec.schema, json, spec.what);
  };

  return async (spec) => {
    let failures = 0;
    let rateLimited = 0;
    for (;;) {
      try {
        return await sendOnce(spec);
      } catch (error) {
        const failure = error instanceof TradepipeError ? error : errorForTransportFailure(error, spec.signal, spec);
        const waitMs = retryDelayMs(failure, spec, { failures, rateLimited, config });
        if (waitMs === undefined) throw failure;
        if (failure.code === 'rate_limited') {
          rateLimited += 1;
          (spec.access === 'private' ? config.privateLimiter : config.publicLimiter).pauseUntil(config.networkClock.nowMs() + waitMs);
        } else failures += 1;
        config.logger.warn('coinbase request retried', { method: spec.method, path: spec.path, code: failure.code, waitMs });
        try {
          await sleepInTimerSteps(config.networkClock, waitMs, spec.signal);
        } catch (abortReason) {
          throw new TradepipeError('aborted', 'The Coinbase request was aborted', { cause: abortReason });
        }
      }
    }
  };
}

function retryDelayMs(
  failure: TradepipeError,
  spec: RequestSpec<z.ZodType>,
  state: { readonly failures: number; readonly rateLimited: number; readonly config: TransportConfig },
): number | undefined {
  const { config } = state;
  if (failure.code === 'rate_limited') {
    if (state.rateLimited >= config.maxRateLimitRetries) return undefined;
    // Both the hint and the doubling backoff are capped: a 429 never holds the client longer than MAX_RETRY_AFTER_MS.
    const hinted = failure.details.retryAfterMs;
    const waitMs = typeof hinted === 'number' && Number.isFinite(hinted) && hinted >= 0 ? hinted : config.retryBaseDelayMs * 2 ** state.rateLimited;
    return Math.min(waitMs, MAX_RETRY_AFTER_MS);
  }
  const transient = failure.code === 'exchange_unavailable' || failure.code === 'network_error' || failure.code === 'timeout';
  // A request that never left (connection refused) is safe to repeat whatever it was.
  const safe = spec.retry === 'safe' || failure.details.requestSent === false;
  if (!transient || !safe || state.failures >= config.maxRetries) return undefined;
  return Math.min(config.retryBaseDelayMs * 2 ** state.failures, 5_000);
}
