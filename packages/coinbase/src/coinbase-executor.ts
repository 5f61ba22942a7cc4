import { z } from 'zod';
import {
  TradepipeError,
  recordOrderIntent,
  verifyRiskApproval,
  clientOrderIdFor,
  isTradepipeError,
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
import { syncExchangeOrder } from './coinbase-order-sync.js';
import { reconcileBalances, type BalanceReconciliation } from './coinbase-reconcile.js';
import { assertTradable, isTerminalOrder, minimumSizeRefusal, updateOrderStatus } from './executor-intent.js';
import type { CreateOrderRequest } from './order-request.js';

/** zod schema of the live executor's plain options. */
export const CoinbaseOrderExecutorOptionsSchema = z.object({
  /** The explicit opt-in: without both flags the executor refuses to start. */
  liveTrading: z.object({ enabled: z.boolean(), acknowledgeRealMoney: z.boolean() }).optional(),
  /** How long `execute` follows an order before returning it non-terminal (refresh continues later). */
  followTimeoutMs: z.number().int().nonnegative().default(10_000),
  pollIntervalMs: z.number().int().positive().default(250),
  /** How far back to search the product's orders when an outcome is unknown. */
  unknownSearchWindowMs: z.number().int().positive().default(15 * 60_000),
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
 * A send that placed nothing (429, or no connection): the order keeps its status, never becomes UNKNOWN, and
 * is sent again with the same `client_order_id` by the next `refresh` (the fills stage) until Coinbase takes it
 * or its approval expires. An order already UNKNOWN stays so: an earlier send may still have placed it.
 * @throws TradepipeError `order_state_unknown` for an UNKNOWN order
 */
function notPlaced(order: Order, error: TradepipeError, context: StageContext): Order {
  context.logger.warn('coinbase placed nothing this time; the order will be sent again', { orderId: order.id, clientOrderId: order.clientOrderId, code: error.code });
  if (order.status === 'UNKNOWN') {
    throw new TradepipeError('order_state_unknown', 'The order outcome is still unknown (the re-send placed nothing)', { cause: error, details: { orderId: order.id, clientOrderId: order.clientOrderId } });
  }
  return order;
}

/**
 * Live Coinbase execution. Each order: the approval is verified and consumed with the intent in one store
 * transaction before any request; the request carries the deterministic `client_order_id`; a lost response
 * leaves the order UNKNOWN, and UNKNOWN is resolved first on every later call (search the product's recent
 * orders, then re-send the same `client_order_id`, which Coinbase answers with the existing order), so an
 * order is never placed twice. A send Coinbase refused without placing anything (429) is sent again by `refresh`. Refuses to exist without `liveTrading: { enabled: true, acknowledgeRealMoney: true }`.
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
        await context.clock.sleep(intervalMs, context.signal);
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
   * SUBMITTED, never UNKNOWN, and `refresh` sends it again with the same `client_order_id`.
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
    const submitted = await updateOrderStatus(intent, { status: 'SUBMITTED', submittedAtMs: context.clock.nowMs() }, context);
    return this.followPlaced(await this.send(submitted, context), context);
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
   * Sends the order. A lost answer makes it UNKNOWN and is resolved before returning; an answer that proves
   * nothing was placed (429, no connection) leaves it SUBMITTED, to be sent again by `refresh`.
   */
  private async send(order: Order, context: StageContext): Promise<Order> {
    try {
      const { orderId } = await this.options.client.createOrder(toCreateRequest(order), { signal: context.signal });
      return await updateOrderStatus(order, { status: 'ACKNOWLEDGED', exchangeOrderId: orderId }, context);
    } catch (error) {
      const failure = classifySendFailure(error);
      if (failure.kind === 'refused') return updateOrderStatus(order, { status: 'REJECTED', statusReason: refusalReason(failure.error), completedAtMs: context.clock.nowMs() }, context);
      if (failure.kind === 'failed') return updateOrderStatus(order, { status: 'FAILED', statusReason: failure.error.code, completedAtMs: context.clock.nowMs() }, context);
      if (failure.kind === 'not_placed') return notPlaced(order, failure.error, context);
      const unknown = order.status === 'UNKNOWN' ? order : await updateOrderStatus(order, { status: 'UNKNOWN', statusReason: failure.error.code }, context);
      if (failure.error.code === 'aborted') throw failure.error;
      context.logger.warn('coinbase order outcome unknown', { orderId: order.id, clientOrderId: order.clientOrderId, code: failure.error.code });
      return this.resolveUnknown(unknown, context, { resend: false });
    }
  }

  /**
   * Finds out what happened to an order whose answer was lost: first among the product's recent orders (no
   * client id filter exists, so by scanning), then by re-sending the same `client_order_id`.
   * @throws TradepipeError `order_state_unknown` (retryable) if neither answers now.
   */
  private async resolveUnknown(order: Order, context: StageContext, options: { readonly resend: boolean } = { resend: true }): Promise<Order> {
    let searched = false;
    try {
      const found = await this.findByClientOrderId(order, context);
      searched = true;
      if (found !== undefined) {
        const acknowledged = await updateOrderStatus(order, { status: 'ACKNOWLEDGED', exchangeOrderId: found }, context);
        return this.advance(acknowledged, context);
      }
    } catch (error) {
      if (isTradepipeError(error, 'order_conflict')) throw error;
      context.logger.warn('coinbase order search failed', { orderId: order.id, error });
    }
    // Past its approval, an order that is not on the exchange is never sent: prices, limits and the kill switch
    // may all have moved since risk approved it.
    const approval = await context.store.getApproval(order.recommendationId);
    if (approval === undefined || context.clock.nowMs() >= approval.expiresAtMs) {
      if (!searched) throw new TradepipeError('order_state_unknown', 'The order outcome is unknown and its approval has expired; searching again', { details: { orderId: order.id } });
      return updateOrderStatus(order, { status: 'FAILED', statusReason: 'APPROVAL_EXPIRED_BEFORE_SEND', completedAtMs: context.clock.nowMs() }, context);
    }
    if (options.resend || order.status === 'UNKNOWN') {
      const ready = order.status === 'INTENT_RECORDED' ? await updateOrderStatus(order, { status: 'SUBMITTED', submittedAtMs: context.clock.nowMs() }, context) : order;
      try {
        const { orderId } = await this.options.client.createOrder(toCreateRequest(ready), { signal: context.signal });
        return await updateOrderStatus(ready, { status: 'ACKNOWLEDGED', exchangeOrderId: orderId }, context);
      } catch (error) {
        const failure = classifySendFailure(error);
        if (failure.kind === 'refused') {
          // A refused re-send may be the exchange refusing a duplicate client_order_id: of an order whose first
          // answer was lost (UNKNOWN), or of one whose process died between the send and recording its answer
          // (still SUBMITTED). Look once more before calling it rejected.
          const found = ready.status === 'UNKNOWN' || ready.status === 'SUBMITTED' ? await this.findByClientOrderId(ready, context).catch(() => undefined) : undefined;
          if (found !== undefined) return this.advance(await updateOrderStatus(ready, { status: 'ACKNOWLEDGED', exchangeOrderId: found }, context), context);
          return updateOrderStatus(ready, { status: 'REJECTED', statusReason: refusalReason(failure.error), completedAtMs: context.clock.nowMs() }, context);
        }
        if (failure.kind === 'not_placed') return notPlaced(ready, failure.error, context);
        if (ready.status !== 'UNKNOWN') await updateOrderStatus(ready, { status: 'UNKNOWN', statusReason: failure.error.code }, context);
        throw new TradepipeError('order_state_unknown', 'The order outcome is unknown; it will be reconciled on the next attempt', { cause: failure.error, details: { orderId: order.id, clientOrderId: order.clientOrderId } });
      }
    }
    throw new TradepipeError('order_state_unknown', 'The order outcome is unknown', { details: { orderId: order.id, clientOrderId: order.clientOrderId } });
  }

  /**
   * Scans the product's recent orders for the client order id: first without a status filter, then OPEN only
   * (Coinbase's list may leave open orders out of an unfiltered query; scanning both costs one more request).
   */
  private async findByClientOrderId(order: Order, context: StageContext): Promise<string | undefined> {
    for (const orderStatus of [undefined, ['OPEN'] as const]) {
      let cursor: string | undefined;
      for (let page = 0; page < 20; page += 1) {
        const result = await this.options.client.listOrders({
          productIds: [order.productId],
          startMs: order.createdAtMs - this.settings.unknownSearchWindowMs,
          limit: 250,
          signal: context.signal,
          ...(orderStatus === undefined ? {} : { orderStatus }),
          ...(cursor === undefined ? {} : { cursor }),
        });
        const match = result.orders.find((candidate) => candidate.client_order_id === order.clientOrderId);
        if (match !== undefined) return match.order_id;
        if (!result.hasNext || result.cursor === '') break;
        cursor = result.cursor;
      }
    }
    return undefined;
  }

  /** Polls an acknowledged order until it ends or `followTimeoutMs` passes. */
  private async follow(order: Order, context: StageContext): Promise<Order> {
    const deadlineMs = context.clock.nowMs() + this.settings.followTimeoutMs;
    let current = order;
    while (!isTerminalOrder(current) && current.exchangeOrderId !== undefined) {
      current = await this.advance(current, context);
      if (isTerminalOrder(current) || context.clock.nowMs() >= deadlineMs) break;
      await context.clock.sleep(this.settings.pollIntervalMs, context.signal);
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
