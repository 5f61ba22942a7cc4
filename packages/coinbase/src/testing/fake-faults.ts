/** Which requests a scripted fault hits: a method and a path under `/api/v3/brokerage` (default: any). */
export interface FaultMatch {
  /** Only requests with this method (default any). */
  readonly method?: 'GET' | 'POST';
  /** Only requests to this exact path under `/api/v3/brokerage`, without the query, e.g. `/orders` (default any). */
  readonly path?: string;
}

/** A scripted fault waiting for its requests. @internal */
export interface FaultRule extends FaultMatch {
  readonly kind: 'rate_limit' | 'server_error' | 'drop_response' | 'drop_request';
  remaining: number;
  readonly status?: number;
  readonly retryAfterSeconds?: number;
}

/** Scriptable faults of the fake exchange. */
export interface FakeFaults {
  /** The next `count` matching requests get 429 (with `Retry-After` when `retryAfterSeconds` is given). */
  rateLimitBurst(count: number, options?: FaultMatch & { readonly retryAfterSeconds?: number }): void;
  /** The next `count` matching requests get a 5xx (default 503) without being processed. */
  serverErrors(count: number, options?: FaultMatch & { readonly status?: number }): void;
  /**
   * The next `count` matching requests are processed (an order is placed), then the connection is
   * dropped without a response: the double-order trap. Defaults to `POST /orders`.
   */
  dropResponses(count: number, options?: FaultMatch): void;
  /** The next `count` matching requests are dropped before being processed. */
  dropRequests(count: number, options?: FaultMatch): void;
  /** Delays every response by `latencyMs` (0 to stop). */
  latency(latencyMs: number): void;
  /** The next new order is refused with this Coinbase error (e.g. `INSUFFICIENT_FUND`). */
  rejectNextOrder(error: string, previewFailureReason?: string): void;
  /**
   * The next `count` `POST /orders` that repeat a `client_order_id` already on the book are refused (HTTP 200,
   * `success: false`, error `DUPLICATE_CLIENT_ORDER_ID`) instead of answered with the existing order: an exchange
   * whose duplicate answer is not the documented one. Nothing is placed.
   */
  refuseDuplicateOrders(count: number): void;
  /**
   * Order lists (`GET /orders/historical/batch`) leave out every order created less than `lagMs` ago on the
   * fake's clock, as a lagging read replica would (0 to stop); `GET /orders/historical/{id}` still finds them.
   */
  orderListLag(lagMs: number): void;
  /** Removes every scripted fault. */
  clear(): void;
}

/** Finds and uses up the first rule of a kind matching a request. @internal */
export function takeFault(rules: FaultRule[], kind: FaultRule['kind'], method: string, path: string): FaultRule | undefined {
  const rule = rules.find((candidate) => candidate.kind === kind && candidate.remaining > 0 && (candidate.method === undefined || candidate.method === method) && (candidate.path === undefined || candidate.path === path));
  if (rule === undefined) return undefined;
  rule.remaining -= 1;
  if (rule.remaining === 0) rules.splice(rules.indexOf(rule), 1);
  return rule;
}
