/**
 * Every stable error code of tradepipe, with whether a failure of that kind is worth retrying.
 * Callers branch on `code`; messages may change, codes may not.
 */
export const ERROR_CODES = {
  /** Input failed a schema (candle, config, exchange response, LLM output, database row). */
  validation_failed: { retryable: false },
  /** Configuration is missing or inconsistent. */
  config_invalid: { retryable: false },
  /** Live trading was requested without the explicit opt-in. */
  live_trading_not_enabled: { retryable: false },
  /** A record with the same id already exists with different content; the first write stands. */
  record_conflict: { retryable: false },
  /** A record that should exist does not. */
  not_found: { retryable: false },
  /** A state transition that the record's current state does not allow. */
  invalid_state_transition: { retryable: false },
  /** An operator asked to re-run a recommendation that has an order: an order is never placed twice. */
  order_recorded: { retryable: false },
  /** A claim was completed after its lease passed to another worker (fencing token mismatch). */
  lease_lost: { retryable: false },
  /** Candles arrived out of order or duplicated with other content. */
  candle_out_of_order: { retryable: false },
  /** A candle was offered before its bucket closed at the store's clock: its values may still change, and acting on it would look ahead. */
  candle_not_closed: { retryable: false },
  /** A gap in candles that the gap policy does not fill. */
  candle_gap: { retryable: false },
  /** Features are requested before every feature is warm. */
  not_ready: { retryable: false },
  /** A model does not match the features it is given (names, order, version, granularity). */
  model_mismatch: { retryable: false },
  /** A model could not be loaded or run. */
  model_failed: { retryable: false },
  /** The LLM validator's server answered something that is not a valid verdict. */
  llm_invalid_response: { retryable: false },
  /** The LLM model does not exist on the server. */
  llm_model_not_found: { retryable: false },
  /** The LLM server is unreachable, timed out or answered 5xx. */
  llm_unavailable: { retryable: true },
  /** A risk limit refused the trade. */
  risk_limit_exceeded: { retryable: false },
  /** Reserving exposure would exceed a limit. */
  exposure_limit_exceeded: { retryable: false },
  /** A risk approval is missing, unsigned, forged or altered. */
  approval_invalid: { retryable: false },
  /** A risk approval has expired. */
  approval_expired: { retryable: false },
  /** A risk approval was already consumed. */
  approval_consumed: { retryable: false },
  /** The kill switch is engaged. */
  kill_switch_engaged: { retryable: false },
  /** The product cannot be traded this way (disabled, cancel-only, limit-only). */
  product_not_tradable: { retryable: false },
  /** The exchange refused credentials (401). */
  auth_failed: { retryable: false },
  /** The credentials lack a permission (403). */
  permission_denied: { retryable: false },
  /** The exchange rejected the order (HTTP 200 with success false). */
  exchange_rejected: { retryable: false },
  /** Not enough funds for the order. */
  insufficient_funds: { retryable: false },
  /** The exchange does not know the product. */
  unknown_product: { retryable: false },
  /** Too many requests (429); retry after the hinted delay. */
  rate_limited: { retryable: true },
  /** The exchange answered 5xx. */
  exchange_unavailable: { retryable: true },
  /** A connection failed before a response arrived. */
  network_error: { retryable: true },
  /** A deadline passed before a response arrived. */
  timeout: { retryable: true },
  /** Another worker moved the order first (two executors on one approval): re-read the order, never overwrite it. */
  order_conflict: { retryable: true },
  /** An order's outcome is unknown (response lost); reconcile before anything else. */
  order_state_unknown: { retryable: true },
  /** The local clock and the exchange's disagree by more than allowed. */
  clock_skew: { retryable: false },
  /** The store failed in a way that may pass (connection lost, serialization failure). */
  storage_unavailable: { retryable: true },
  /** The store failed permanently (constraint, migration, bad SQL). */
  storage_failed: { retryable: false },
  /** The operation was aborted through its AbortSignal. */
  aborted: { retryable: false },
  /** A pipeline was built with a missing or invalid stage. */
  pipeline_invalid: { retryable: false },
  /** A bug: an invariant that should hold did not. */
  internal: { retryable: false },
} as const satisfies Record<string, { readonly retryable: boolean }>;

/** A stable error code; see {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Extra facts about an error: ids, status codes, counts. Never secrets or raw bodies. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean>>;

/** A cause reduced to what is safe to print: name, code, status and a redacted message. */
export interface SanitizedCause {
  /** The original error's `name` (e.g. `TypeError`), or `typeof` the thrown value when it was not an Error. */
  readonly name: string;
  /** The original message with secrets redacted. */
  readonly message: string;
  /** The original error's `code` (e.g. `ECONNREFUSED`, a PostgreSQL SQLSTATE), when it had a string or number one. */
  readonly code?: string | number;
  /** The HTTP status the original error carried (`status`, `statusCode` or `status_code`), when numeric. */
  readonly status?: number;
}

/**
 * The one error class of tradepipe. `code` is stable; `retryable` follows from it unless overridden.
 * @example
 * throw new TradepipeError('rate_limited', 'Coinbase answered 429', { details: { retryAfterMs: 1000 } });
 */
export class TradepipeError extends Error {
  /** Stable code callers branch on. */
  readonly code: ErrorCode;
  /** Safe facts about the failure. */
  readonly details: ErrorDetails;
  /** Whether the same operation may succeed if tried again. */
  readonly retryable: boolean;

  /**
   * Creates an error; the message is redacted (PEM, JWTs, bearer tokens, URL passwords) and the cause reduced by
   * {@link sanitizeCause}.
   * @param code the stable code; it decides `retryable` unless `options.retryable` is given
   * @param message a sentence for people; put ids and figures in `details`
   * @param options.cause the original failure (a TradepipeError is kept as it is)
   * @param options.details safe facts: ids, status codes, counts; never secrets or raw bodies
   * @param options.retryable overrides the code's default from {@link ERROR_CODES}
   */
  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: ErrorDetails; retryable?: boolean } = {},
  ) {
    super(redactText(message), options.cause === undefined ? {} : { cause: sanitizeCause(options.cause) });
    this.name = 'TradepipeError';
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
  }

  /** A plain object for logs and stored rows. */
  toJSON(): { name: string; code: ErrorCode; message: string; retryable: boolean; details: ErrorDetails } {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

/** Whether `error` is a {@link TradepipeError}, optionally with the given code. */
export function isTradepipeError(error: unknown, code?: ErrorCode): error is TradepipeError {
  return error instanceof TradepipeError && (code === undefined || error.code === code);
}

/** Whether a failure is worth retrying: a retryable TradepipeError. Anything else is not. */
export function isRetryableError(error: unknown): boolean {
  return error instanceof TradepipeError && error.retryable;
}

/**
 * Reduces any thrown value to its name, code, status and a redacted message, dropping everything else
 * (request headers, bodies, configs), since HTTP and database libraries attach those to their errors.
 */
export function sanitizeCause(cause: unknown): SanitizedCause | TradepipeError {
  if (cause instanceof TradepipeError) return cause;
  if (cause instanceof Error) {
    const record = cause as Error & { code?: unknown; status?: unknown; statusCode?: unknown; status_code?: unknown };
    const status = [record.status, record.statusCode, record.status_code].find((value) => typeof value === 'number');
    const code = typeof record.code === 'string' || typeof record.code === 'number' ? record.code : undefined;
    return {
      name: cause.name,
      message: redactText(cause.message),
      ...(code === undefined ? {} : { code }),
      ...(status === undefined ? {} : { status: status as number }),
    };
  }
  return { name: typeof cause, message: redactText(String(cause)) };
}

/**
 * Throws `aborted` (a TradepipeError, the signal's reason as its cause) if `signal` has aborted; what
 * `AbortSignal.throwIfAborted` does, with the SDK's typed error.
 * @throws TradepipeError `aborted`
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted !== true) return;
  if (signal.reason instanceof TradepipeError && signal.reason.code === 'aborted') throw signal.reason;
  throw new TradepipeError('aborted', 'The operation was aborted', { cause: signal.reason });
}

/** Wraps an unknown failure in a TradepipeError, keeping a TradepipeError as it is. */
export function toTradepipeError(error: unknown, fallback: ErrorCode = 'internal'): TradepipeError {
  if (error instanceof TradepipeError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new TradepipeError('aborted', 'The operation was aborted', { cause: error });
  }
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new TradepipeError('timeout', 'The operation timed out', { cause: error });
  }
  return new TradepipeError(fallback, error instanceof Error ? error.message : 'Unexpected failure', { cause: error });
}

const PEM_PATTERN = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;
const JWT_PATTERN = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
// The password runs to the last `@` before a `/`, `?`, `#` or whitespace (greedy): a raw `@` in it (`app:p@ss@db`) must
// not leak its tail; a host list after it (`@db,backup@host`) is redacted with it. A raw `/`, `?` or `#` in a password
// ends the match, and that password is not redacted: such a URL is invalid anyway (they must be percent-encoded).
const URL_PASSWORD_PATTERN = /([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*):([^/?#\s]+)@/gi;
const BEARER_PATTERN = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
// The key may end an env-var style name (`RISK_APPROVAL_SECRET=`, `DB_PASSWORD=`): no letter or digit before it, `_`
// allowed. Only a key followed by `:` or `=` has its value removed: a name alone (`needs RISK_APPROVAL_SECRET`) stays.
const KEY_VALUE_PATTERN = /(?<![a-z0-9])(password|passwd|secret|api[_-]?key|private[_-]?key|token|authorization)(["']?\s*[:=]\s*["']?)([^"'\s,;&}]+)/gi;

/** Placeholder written where a secret was removed. */
export const REDACTED = '[REDACTED]';

/**
 * Removes secrets from free text: PEM blocks, JWTs, bearer tokens, passwords in URLs (up to the last `@` before
 * the host) and `password=…`-style pairs, including env-var style names (`DB_PASSWORD=…`, `COINBASE_API_PRIVATE_KEY=…`).
 * @example
 * redactText('postgres://app:hunter2@db/trades'); // 'postgres://app:[REDACTED]@db/trades'
 */
export function redactText(text: string): string {
  return text
    .replace(PEM_PATTERN, REDACTED)
    .replace(JWT_PATTERN, REDACTED)
    .replace(BEARER_PATTERN, `$1 ${REDACTED}`)
    .replace(URL_PASSWORD_PATTERN, `$1:${REDACTED}@`)
    .replace(KEY_VALUE_PATTERN, `$1$2${REDACTED}`);
}
