import { z } from 'zod';
import {
  ORDER_REASON_NOTHING_PLACED,
  ORDER_REASON_SEND_IN_FLIGHT,
  TradepipeError,
  recordOrderIntent,
  verifyRiskApproval,
  clientOrderIdFor,
  toTradepipeError,
  type ApprovalSigner,
  type Order,
  type OrderExecutor,
  type Product,
  type RiskApproval,
  type StageContext,
  type TradeRecommendation,
} from '@tradepipe/core';
import type { CoinbaseClient } from './client.js';
import { ANSWER_ABOUT_ANOTHER_ORDER, syncExchangeOrder } from './coinbase-order-sync.js';
import { reconcileBalances, type BalanceReconciliation } from './coinbase-reconcile.js';
import { assertTradable, isTerminalOrder, minimumSizeRefusal, updateOrderStatus } from './executor-intent.js';
import type { CreateOrderRequest } from './order-request.js';
import { sleepInTimerSteps } from './timer-delay.js';

/** Orders per page of a search for an order by its client order id (Coinbase's maximum). */
const SEARCH_PAGE_SIZE = 250;

/** zod schema of the live executor's plain options. */
export const CoinbaseOrderExecutorOptionsSchema = z.object({
  /** The explicit opt-in: without both flags the executor refuses to start. */
  liveTrading: z.object({ enabled: z.boolean(), acknowledgeRealMoney: z.boolean() }).optional(),
  /** How long `execute` follows an order before returning it non-terminal (refresh continues later). */
  followTimeoutMs: z.number().int().nonnegative().default(10_000),
  pollIntervalMs: z.number().int().positive().default(250),
  /** How far back, before the order was recorded, to search the product's orders when an outcome is unknown. */
  unknownSearchWindowMs: z.number().int().positive().default(15 * 60_000),
  /**
   * Pages of 250 orders read per search (for each of its two status filters). A search that reaches this limit
   * with more pages left has failed, not missed: the order stays UNKNOWN and is searched for again.
   */
  unknownSearchPages: z.number().int().min(1).max(1_000).default(20),
  /**
   * An order that may be on the exchange (UNKNOWN) and may not be sent again (its approval expired, or the kill
   * switch stops BUYs) is declared never placed (FAILED `NOT_FOUND_ON_EXCHANGE`, reservation released) only when a
   * search at least this long after its last send does not find it; until then it is searched for with the
   * reconciler's capped backoff. Longer than the exchange's order lists can lag.
   */
  notFoundAfterMs: z.number().int().positive().default(10 * 60_000),
});

/** Options of {@link CoinbaseOrderExecutor}. */
export type CoinbaseOrderExecutorOptions = z.input<typeof CoinbaseOrderExecutorOptionsSchema> & {
  readonly client: CoinbaseClient;
  /** Verifies risk approvals (a verify-only signer is enough). */
  readonly approvalSigner: ApprovalSigner;
};

const REFUSED_CODES = new Set(['insufficient_funds', 'exchange_rejected', 'unknown_product']);
// Refusals that prove the order never reached the book and never will. An unreadable 2xx answer
// (`validation_failed`) is not one of them: the order may be on the book, so it goes UNKNOWN and is searched for.
const NOT_PLACED_CODES = new Set(['auth_failed', 'permission_denied', 'config_invalid']);

/**
 * What a failed `POST /orders` proves: `refused` (the exchange rejected the order: REJECTED), `failed` (the
 * request can never succeed: FAILED), `not_placed` (a 429 or a connection that never opened: nothing reached
 * the book, send it again later) or `unknown` (the order may be on the book: search for it).
 */
function classifySendFailure(error: unknown): { readonly kind: 'refused' | 'failed' | 'not_placed' | 'unknown'; readonly error: TradepipeError } {
  const failure = toTradepipeError(error);
  if (REFUSED_CODES.has(failure.code)) return { kind: 'refused', error: failure };
  if (NOT_PLACED_CODES.has(failure.code)) return { kind: 'failed', error: failure };
  if (failure.code === 'rate_limited' || failure.details.requestSent === false) return { kind: 'not_placed', error: failure };
  return { kind: 'unknown', error: failure };
}

function refusalReason(error: TradepipeError): string {
  return typeof error.details.failureReason === 'string' ? error.details.failureReason : error.code;
}

/**
 * Whether an order without an exchange order id may be on the exchange: UNKNOWN (a send in flight, a lost answer,
 * a process stopped mid-send), or SUBMITTED without the proof that nothing was placed (as an earlier version left
 * an order whose process stopped mid-send). INTENT_RECORDED and SUBMITTED {@link ORDER_REASON_NOTHING_PLACED} are not.
 */
function mayBeOnExchange(order: Order): boolean {
  if (order.exchangeOrderId !== undefined || order.status === 'UNKNOWN') return true;
  return order.status === 'SUBMITTED' && order.statusReason !== ORDER_REASON_NOTHING_PLACED;
}

function unknownOutcome(order: Order, message: string, cause?: unknown): TradepipeError {
  return new TradepipeError('order_state_unknown', message, { ...(cause === undefined ? {} : { cause }), details: { orderId: order.id, clientOrderId: order.clientOrderId } });
}

/**
 * Live Coinbase execution. Each order: the approval is verified and consumed with the intent in one store
 * transaction before any request; the request carries the deterministic `client_order_id`; the order is recorded
 * UNKNOWN just before each send, so a lost answer or a process stopped mid-send leaves it UNKNOWN, and UNKNOWN is
 * resolved first on every later call (search the product's recent orders, then, while the approval holds and the
 * kill switch allows, re-send the same `client_order_id`, which Coinbase answers with the existing order), so an
 * order is never placed twice. A refusal or failure of a re-send never ends an order an earlier send may have
 * placed: it is searched for until it is found, or until a search `notFoundAfterMs` after its last send misses it.
 * A send Coinbase refused without placing anything (429) is sent again by `refresh` (a BUY not while the kill
 * switch is engaged). Refuses to exist without `liveTrading: { enabled: true, acknowledgeRealMoney: true }`.
 * @example
 * const executor = new CoinbaseOrderExecutor({ client, approvalSigner, liveTrading: { enabled: true, acknowledgeRealMoney: true } });
 * await executor.start(context); // clock skew check + balance reconciliation
 * const order = await executor.execute({ recommendation, approval }, context);
 */
export class CoinbaseOrderExecutor implements OrderExecutor {
  /** This executor's name, `'coinbase'`. */
  readonly name = 'coinbase';
  /** The venue written on every order and fill it records: `'coinbase'` (real money). */
  readonly venue = 'coinbase' as const;
  private readonly settings: z.output<typeof CoinbaseOrderExecutorOptionsSchema>;
  private readonly products = new Map<string, Product>();

  /** @throws TradepipeError `live_trading_not_enabled` without the opt-in; `config_invalid` for invalid options. */
  constructor(private readonly options: CoinbaseOrderExecutorOptions) {
    const parsed = CoinbaseOrderExecutorOptionsSchema.safeParse(options);
    if (!parsed.success) throw new TradepipeError('config_invalid', 'Invalid Coinbase executor options', { details: { firstPath: parsed.error.issues[0]?.path.join('.') ?? '' } });
    if (parsed.data.liveTrading?.enabled !== true || parsed.data.liveTrading.acknowledgeRealMoney !== true) {
      throw new TradepipeError('live_trading_not_enabled', 'Live trading needs liveTrading: { enabled: true, acknowledgeRealMoney: true }');
    }
    this.settings = parsed.data;
  }

  /**
   * Checks the clock against Coinbase and reconciles balances with `/accounts`, reporting drift.
   * @throws TradepipeError `clock_skew`, `auth_failed`, `permission_denied`
   */
  async start(context: StageContext): Promise<BalanceReconciliation> {
    await this.options.client.checkClockSkew({ signal: context.signal });
    return this.reconcile(context);
  }

  /** Replaces the store's balances with `/accounts` and reports any drift from what the store held. */
  reconcile(context: StageContext): Promise<BalanceReconciliation> {
    return reconcileBalances(this.options.client, context);
  }

  /** Reconciles every `intervalMs` until `context.signal` aborts; failures are logged, not thrown. */
  async runReconciliation(intervalMs: number, context: StageContext): Promise<void> {
    while (!context.signal.aborted) {
      try {
        await sleepInTimerSteps(context.clock, intervalMs, context.signal);
        await this.reconcile(context);
      } catch (error) {
        if (context.signal.aborted) return;
        context.logger.warn('coinbase reconciliation failed', { error });
      }
    }
  }

  /**
   * Places the recommendation's order (or reconciles the one it already has) and follows it for up to
   * `followTimeoutMs`. A 429 (or a refused connection) on `POST /orders` places nothing: the order is returned
   * SUBMITTED ({@link ORDER_REASON_NOTHING_PLACED}) and `refresh` sends it again with the same `client_order_id`.
   * @throws TradepipeError `approval_*` (not retryable), `product_not_tradable`, `order_state_unknown` (retryable),
   * `rate_limited` (reading the product, before any intent)
   */
  async execute(input: { readonly recommendation: TradeRecommendation; readonly approval: RiskApproval | undefined }, context: StageContext): Promise<Order> {
    context.signal.throwIfAborted();
    const existing = await context.store.getOrderByClientOrderId(clientOrderIdFor(input.recommendation.id));
    if (existing !== undefined) return this.followPlaced(await this.advance(existing, context), context);
    const approval = verifyRiskApproval(this.options.approvalSigner, input.approval, context.clock.nowMs());
    const product = await this.options.client.getProduct(input.recommendation.productId, { signal: context.signal });
    this.products.set(product.productId, product);
    await context.store.putProduct(product);
    assertTradable(product);
    const intent = await recordOrderIntent({ store: context.store, signer: this.options.approvalSigner, nowMs: context.clock.nowMs(), recommendation: input.recommendation, approval, venue: 'coinbase', product });
    const refusal = minimumSizeRefusal(intent, product);
    if (refusal !== undefined) return updateOrderStatus(intent, { status: 'REJECTED', statusReason: refusal, completedAtMs: context.clock.nowMs() }, context);
    return this.followPlaced(await this.send(intent, context), context);
  }

  /**
   * Follows an order the exchange holds. A failure while following it (a 404 just after create, an odd
   * status) never ends it: the order is returned as it stands, non-terminal, and the fills stage keeps polling.
   */
  private async followPlaced(order: Order, context: StageContext): Promise<Order> {
    try {
      return await this.follow(order, context);
    } catch (error) {
      if (context.signal.aborted || order.exchangeOrderId === undefined) throw error;
      context.logger.warn('coinbase order follow-up failed; the fills stage will keep polling', { orderId: order.id, error });
      return (await context.store.getOrder(order.id)) ?? order;
    }
  }

  /** Advances a non-terminal order one step: resolves UNKNOWN (or an unsent intent) first, else polls once. */
  async refresh(order: Order, context: StageContext): Promise<Order> {
    return this.advance(order, context);
  }

  private async advance(order: Order, context: StageContext): Promise<Order> {
    if (isTerminalOrder(order)) return order;
    if (order.exchangeOrderId === undefined) return this.resolveUnknown(order, context);
    return syncExchangeOrder(order, { client: this.options.client, currencies: await this.currencies(order.productId, context), context });
  }

  /**
   * Sends the order (first send or re-send, same `client_order_id`). Just before, it is recorded UNKNOWN
   * ({@link ORDER_REASON_SEND_IN_FLIGHT}, `submittedAtMs` now): a process that stops before the answer is recorded
   * leaves an order that is searched for, never one taken as unsent. Then the answer: accepted → ACKNOWLEDGED;
   * nothing placed (429, no connection) → SUBMITTED ({@link ORDER_REASON_NOTHING_PLACED}) to be sent again, unless
   * an earlier send may have placed it; refused or failed → REJECTED or FAILED, unless an earlier send may have
   * placed it (a refused duplicate looks like any refusal); otherwise, or with a lost answer, it stays UNKNOWN and is
   * searched for at once, without a re-send in this attempt.
   * @throws TradepipeError `order_state_unknown` (retryable) when the outcome stays unknown
   */
  private async send(order: Order, context: StageContext): Promise<Order> {
    const earlierSendMayHavePlaced = mayBeOnExchange(order);
    // Compare-and-set on what this worker read: another worker that sent meanwhile makes this one re-read
    // (`order_conflict`) instead of deciding from a stale "nothing placed yet".
    const inFlight = await updateOrderStatus(
      order,
      { status: 'UNKNOWN', statusReason: ORDER_REASON_SEND_IN_FLIGHT, submittedAtMs: context.clock.nowMs(), expected: { status: order.status, statusReason: order.statusReason } },
      context,
    );
    let orderId: string;
    try {
      ({ orderId } = await this.options.client.createOrder(toCreateRequest(inFlight), { signal: context.signal }));
    } catch (error) {
      return this.sendFailed(inFlight, classifySendFailure(error), earlierSendMayHavePlaced, context);
    }
    return updateOrderStatus(inFlight, { status: 'ACKNOWLEDGED', exchangeOrderId: orderId, statusReason: undefined }, context);
  }

  private async sendFailed(inFlight: Order, failure: ReturnType<typeof classifySendFailure>, earlierSendMayHavePlaced: boolean, context: StageContext): Promise<Order> {
    const nowMs = context.clock.nowMs();
    if (!earlierSendMayHavePlaced) {
      if (failure.kind === 'refused') return updateOrderStatus(inFlight, { status: 'REJECTED', statusReason: refusalReason(failure.error), completedAtMs: nowMs }, context);
      if (failure.kind === 'failed') return updateOrderStatus(inFlight, { status: 'FAILED', statusReason: failure.error.code, completedAtMs: nowMs }, context);
      if (failure.kind === 'not_placed') {
        context.logger.warn('coinbase placed nothing this time; the order will be sent again', { orderId: inFlight.id, clientOrderId: inFlight.clientOrderId, code: failure.error.code });
        return updateOrderStatus(inFlight, { status: 'SUBMITTED', statusReason: ORDER_REASON_NOTHING_PLACED }, context);
      }
    }
    const reason = failure.kind === 'refused' ? refusalReason(failure.error) : failure.error.code;
    const unknown = await updateOrderStatus(inFlight, { status: 'UNKNOWN', statusReason: reason }, context);
    if (failure.error.code === 'aborted') throw failure.error;
    context.logger.warn('coinbase order outcome unknown; searching for it', { orderId: inFlight.id, clientOrderId: inFlight.clientOrderId, code: failure.error.code, reason, earlierSendMayHavePlaced });
    return this.resolveUnknown(unknown, context, { resend: false });
  }

  /**
   * Finds out what happened to an order without an exchange order id. One that may be on the exchange is first
   * searched for among the product's recent orders (no client id filter exists, so by scanning); found, it is
   * followed. Not found: while its approval holds (and, for a BUY, the kill switch is off) it is sent again with the
   * same `client_order_id` unless `resend` is false; otherwise one provably never placed ends FAILED with the reason
   * (`APPROVAL_EXPIRED_BEFORE_SEND`, `KILL_SWITCH_ENGAGED`), and one that may be on the exchange ends FAILED
   * `NOT_FOUND_ON_EXCHANGE` only when the search missed it `notFoundAfterMs` or more after its last send.
   * @throws TradepipeError `order_state_unknown` (retryable) while the outcome is unknown: the caller looks again later
   */
  private async resolveUnknown(order: Order, context: StageContext, options: { readonly resend: boolean } = { resend: true }): Promise<Order> {
    const mayBePlaced = mayBeOnExchange(order);
    if (mayBePlaced) {
      let found: string | undefined;
      try {
        found = await this.findByClientOrderId(order, context);
      } catch (error) {
        if (context.signal.aborted) throw error;
        context.logger.warn('coinbase order search failed', { orderId: order.id, error });
        throw unknownOutcome(order, 'The order outcome is unknown and the search failed; searching again later', error);
      }
      if (found !== undefined) return this.advance(await updateOrderStatus(order, { status: 'ACKNOWLEDGED', exchangeOrderId: found, statusReason: undefined }, context), context);
    }
    const nowMs = context.clock.nowMs();
    const blocked = await this.sendBlockedBy(order, context);
    if (blocked === undefined) {
      if (options.resend || !mayBePlaced) return this.send(order, context);
      throw unknownOutcome(order, 'The order outcome is unknown (not found yet); it is searched for again, then re-sent with the same client_order_id');
    }
    // Past its approval (prices, limits and the kill switch may all have moved since risk approved it), or a BUY
    // while the kill switch is engaged: never sent again. What may be on the exchange is searched for until a
    // search long enough after the last send misses it.
    if (!mayBePlaced) return updateOrderStatus(order, { status: 'FAILED', statusReason: blocked, completedAtMs: nowMs }, context);
    const lastSendMs = order.submittedAtMs ?? order.createdAtMs;
    if (nowMs - lastSendMs >= this.settings.notFoundAfterMs) {
      context.logger.warn('order not on the exchange long after its last send; it was never placed', { orderId: order.id, clientOrderId: order.clientOrderId, lastSendMs, blocked });
      return updateOrderStatus(order, { status: 'FAILED', statusReason: 'NOT_FOUND_ON_EXCHANGE', completedAtMs: nowMs }, context);
    }
    throw unknownOutcome(order, `The order outcome is unknown and it is not sent again (${blocked}); searching until ${new Date(lastSendMs + this.settings.notFoundAfterMs).toISOString()}`);
  }

  /** Why the order may not be sent (again) now, if it may not: its approval expired, or a BUY under the kill switch. */
  private async sendBlockedBy(order: Order, context: StageContext): Promise<'APPROVAL_EXPIRED_BEFORE_SEND' | 'KILL_SWITCH_ENGAGED' | undefined> {
    const approval = await context.store.getApproval(order.recommendationId);
    if (approval === undefined || context.clock.nowMs() >= approval.expiresAtMs) return 'APPROVAL_EXPIRED_BEFORE_SEND';
    // As when the approval is consumed: a BUY is never placed while the kill switch is engaged; reducing orders are.
    if (order.side === 'BUY' && (await context.store.getRiskState()).killSwitch.engaged) return 'KILL_SWITCH_ENGAGED';
    return undefined;
  }

  /**
   * Scans the product's recent orders for the client order id: first without a status filter, then OPEN only
   * (Coinbase's list may leave open orders out of an unfiltered query; scanning both costs one more request).
   * @returns the exchange order id, or `undefined` when every page of both scans was read and none matched
   * @throws TradepipeError `exchange_unavailable` (retryable) when a scan reached its page limit with more pages left
   */
  private async findByClientOrderId(order: Order, context: StageContext): Promise<string | undefined> {
    for (const orderStatus of [undefined, ['OPEN'] as const]) {
      let cursor: string | undefined;
      for (let page = 0; page < this.settings.unknownSearchPages; page += 1) {
        const result = await this.options.client.listOrders({
          productIds: [order.productId],
          startMs: order.createdAtMs - this.settings.unknownSearchWindowMs,
          limit: SEARCH_PAGE_SIZE,
          signal: context.signal,
          ...(orderStatus === undefined ? {} : { orderStatus }),
          ...(cursor === undefined ? {} : { cursor }),
        });
        const match = result.orders.find((candidate) => candidate.client_order_id === order.clientOrderId);
        if (match !== undefined) return match.order_id;
        if (!result.hasNext || result.cursor === '') break;
        if (page === this.settings.unknownSearchPages - 1) {
          // A scan cut short proves nothing: the order may be on a later page. A failed search never ends an order.
          throw new TradepipeError('exchange_unavailable', 'The order search stopped at its page limit before the end of the list', {
            details: { orderId: order.id, pages: this.settings.unknownSearchPages, pageSize: SEARCH_PAGE_SIZE },
          });
        }
        cursor = result.cursor;
      }
    }
    return undefined;
  }

  /** Polls an acknowledged order until it ends, `followTimeoutMs` passes, or Coinbase answers about another order (then the fills stage follows it). */
  private async follow(order: Order, context: StageContext): Promise<Order> {
    const deadlineMs = context.clock.nowMs() + this.settings.followTimeoutMs;
    let current = order;
    while (!isTerminalOrder(current) && current.exchangeOrderId !== undefined) {
      current = await this.advance(current, context);
      if (isTerminalOrder(current) || current.statusReason === ANSWER_ABOUT_ANOTHER_ORDER || context.clock.nowMs() >= deadlineMs) break;
      await sleepInTimerSteps(context.clock, this.settings.pollIntervalMs, context.signal);
    }
    return current;
  }

  private async currencies(productId: string, context: StageContext): Promise<{ readonly quoteCurrency: string; readonly baseCurrency: string }> {
    let product = this.products.get(productId) ?? (await context.store.getProduct(productId));
    if (product === undefined) product = await this.options.client.getProduct(productId, { signal: context.signal });
    this.products.set(productId, product);
    return { quoteCurrency: product.quoteCurrency, baseCurrency: product.baseCurrency };
  }
}

/** The `POST /orders` request of an order intent. @internal */
export function toCreateRequest(order: Order): CreateOrderRequest {
  const base = { clientOrderId: order.clientOrderId, productId: order.productId, side: order.side };
  if (order.orderType === 'limit_ioc' || order.orderType === 'limit_gtc') {
    return { ...base, configuration: { type: order.orderType, baseSize: order.baseSize!, limitPrice: order.limitPrice! } };
  }
  return { ...base, configuration: order.quoteSize !== undefined ? { type: 'market_ioc', quoteSize: order.quoteSize } : { type: 'market_ioc', baseSize: order.baseSize! } };
}
