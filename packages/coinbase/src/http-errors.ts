import { TradepipeError, type ErrorCode } from '@tradepipe/core';
import { ErrorBodySchema } from './wire-schemas.js';

/** What a refused request's response told: status, the Coinbase error code and a retry hint. */
interface ResponseFacts {
  readonly status: number;
  readonly bodyText: string;
  readonly retryAfterHeader: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly notFound: 'unknown_product' | 'not_found';
  readonly nowMs: number;
}

/** Reads `{error, error_details, message}` from an error body; never returns the raw body. */
function errorFields(bodyText: string): { readonly error: string; readonly detail: string } {
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(bodyText));
    if (parsed.success) {
      return { error: parsed.data.error ?? '', detail: (parsed.data.error_details ?? parsed.data.message ?? '').slice(0, 200) };
    }
  } catch {
    // Plain-text bodies (401 `Unauthorized`) carry nothing more than the status.
  }
  return { error: '', detail: '' };
}

/**
 * Longest wait a 429 may impose, ms (one minute): a `Retry-After` hint past it is cut to it, and so is the doubling
 * backoff of a 429 without a hint. A hint is outside data: one absurd value (`Retry-After: 100000`) would otherwise
 * hold every private call, stop-loss SELLs included, for a day. Coinbase's limits refill within a second.
 * @example
 * retryAfterMs('100000', Date.now()); // MAX_RETRY_AFTER_MS
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/** `Retry-After` as delay-seconds (RFC 9110: digits; a fraction is accepted). */
const DELAY_SECONDS = /^\d+(\.\d+)?$/;

/**
 * Milliseconds to wait from a `Retry-After` header (seconds or an HTTP date), at most {@link MAX_RETRY_AFTER_MS}.
 * A header that is neither (negative, `NaN`, `Infinity`, too large to be a number) is no hint: `undefined`.
 * @internal
 */
export function retryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  const text = header?.trim() ?? '';
  let waitMs: number;
  if (DELAY_SECONDS.test(text)) waitMs = Number(text) * 1000;
  else if (/[a-z]/i.test(text)) waitMs = Math.max(0, Date.parse(text) - nowMs); // an HTTP date names its day and month
  else return undefined;
  return Number.isFinite(waitMs) ? Math.min(waitMs, MAX_RETRY_AFTER_MS) : undefined;
}

/**
 * Maps a non-2xx Coinbase response to a TradepipeError: 401 `auth_failed`, 403 `permission_denied`,
 * 404 `unknown_product` or `not_found`, 429 `rate_limited` (with `retryAfterMs`), 5xx `exchange_unavailable`,
 * other 4xx `exchange_rejected`. Details carry the status and Coinbase's error code, never the body.
 * @internal
 */
export function errorForResponse(facts: ResponseFacts): TradepipeError {
  const { error, detail } = errorFields(facts.bodyText);
  const base = { status: facts.status, method: facts.method, path: facts.path, ...(error === '' ? {} : { exchangeError: error }) };
  const make = (code: ErrorCode, message: string, extra: Record<string, string | number> = {}): TradepipeError =>
    new TradepipeError(code, message, { details: { ...base, ...extra } });
  if (facts.status === 401) return make('auth_failed', 'Coinbase refused the credentials (401)');
  if (facts.status === 403) return make('permission_denied', 'The Coinbase key lacks a permission (403)', detail === '' ? {} : { reason: detail });
  if (facts.status === 404) {
    return facts.notFound === 'unknown_product'
      ? make('unknown_product', 'Coinbase does not know the product (404)')
      : make('not_found', 'Coinbase does not know the resource (404)');
  }
  if (facts.status === 429) {
    const waitMs = retryAfterMs(facts.retryAfterHeader, facts.nowMs);
    return make('rate_limited', 'Coinbase rate limit reached (429)', waitMs === undefined ? {} : { retryAfterMs: waitMs });
  }
  if (facts.status >= 500) return make('exchange_unavailable', `Coinbase answered ${facts.status}`);
  return make('exchange_rejected', `Coinbase refused the request (${facts.status})`, detail === '' ? {} : { reason: detail });
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Maps a failure before any response (connection, timeout, abort) to a TradepipeError. `requestSent`
 * tells whether the request may have reached Coinbase: false only when the connection never opened.
 * @internal
 */
export function errorForTransportFailure(error: unknown, callerSignal: AbortSignal | undefined, facts: { readonly method: string; readonly path: string }): TradepipeError {
  if (error instanceof TradepipeError) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const name = error instanceof Error ? error.name : '';
  if (callerSignal?.aborted === true) return new TradepipeError('aborted', 'The Coinbase request was aborted', { cause: error, details: { ...facts } });
  if (name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new TradepipeError('timeout', 'The Coinbase request timed out', { cause: error, details: { ...facts, requestSent: true } });
  }
  const requestSent = !CONNECT_CODES.has(code);
  return new TradepipeError('network_error', 'The connection to Coinbase failed', {
    cause: error,
    details: { ...facts, requestSent, ...(code === '' ? {} : { errorCode: code }) },
  });
}
