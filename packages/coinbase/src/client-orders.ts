import { TradepipeError } from '@tradepipe/core';
import type { z } from 'zod';
import type { Transport } from './http-transport.js';
import { toWireOrderConfiguration, type CreateOrderRequest } from './order-request.js';
import {
  BatchCancelSchema,
  CreateOrderResponseSchema,
  GetOrderSchema,
  ListFillsSchema,
  ListOrdersSchema,
  PreviewOrderResponseSchema,
  type WireFillSchema,
  type WireOrderSchema,
  type WireOrderStatusSchema,
} from './wire-schemas.js';

/** An order as Coinbase reports it (`GET /orders/historical/{id}`); amounts are decimal strings. */
export type CoinbaseOrder = z.output<typeof WireOrderSchema>;
/** A Coinbase order status (`PENDING`, `OPEN`, `FILLED`, `CANCELLED`, …). */
export type CoinbaseOrderStatus = z.output<typeof WireOrderStatusSchema>;
/** A fill as Coinbase reports it (`GET /orders/historical/fills`). */
export type CoinbaseFill = z.output<typeof WireFillSchema>;
/** An order preview (`POST /orders/preview`). */
export type OrderPreview = z.output<typeof PreviewOrderResponseSchema>;

/** A page of `GET /orders/historical/batch`. */
export interface OrdersPage {
  /** The orders of this page, as Coinbase reports them. */
  readonly orders: readonly CoinbaseOrder[];
  /** Whether another page follows; pass {@link OrdersPage.cursor} as `cursor` to read it. */
  readonly hasNext: boolean;
  /** The cursor of the next page; `''` when there is none. */
  readonly cursor: string;
}

/** The filters `GET /orders/historical/batch` offers (there is no client order id filter). */
export interface ListOrdersQuery {
  /** Only orders of these products (`product_ids`); default all. */
  readonly productIds?: readonly string[];
  /** Only these exchange order ids (`order_ids`); default all. */
  readonly orderIds?: readonly string[];
  /** Only orders in these statuses (`order_status`); default all. */
  readonly orderStatus?: readonly CoinbaseOrderStatus[];
  /** Only orders created at or after this instant, epoch ms (sent as the ISO `start_date`). */
  readonly startMs?: number;
  /** Only orders created up to this instant, epoch ms (sent as the ISO `end_date`). */
  readonly endMs?: number;
  /** Most orders in the page (Coinbase's `limit`; Coinbase's default when absent). */
  readonly limit?: number;
  /** The `cursor` of the previous page, to read the next one; absent for the first page. */
  readonly cursor?: string;
  /** Aborts the request and any retry wait: the call then rejects with TradepipeError `aborted`. */
  readonly signal?: AbortSignal;
}

/** The order endpoints of {@link CoinbaseClient}. */
export interface CoinbaseOrderCalls {
  /** `POST /orders/preview`: what an order would cost, without placing it. */
  previewOrder(request: Omit<CreateOrderRequest, 'clientOrderId'>, options?: { readonly signal?: AbortSignal }): Promise<OrderPreview>;
  /**
   * `POST /orders`. A repeated `clientOrderId` returns the existing order instead of placing another.
   * Not retried on 5xx or network failures (the caller reconciles): only 429, or a connection that never opened.
   * @returns the exchange order id
   * @throws TradepipeError `insufficient_funds` or `exchange_rejected` (HTTP 200 with `success: false`, reason in `details.failureReason`),
   * `network_error`/`timeout`/`exchange_unavailable` (outcome unknown), `rate_limited`, `auth_failed`.
   */
  createOrder(request: CreateOrderRequest, options?: { readonly signal?: AbortSignal }): Promise<{ readonly orderId: string; readonly clientOrderId: string }>;
  /** `GET /orders/historical/{id}`. @throws TradepipeError `not_found` */
  getOrder(orderId: string, options?: { readonly signal?: AbortSignal }): Promise<CoinbaseOrder>;
  /** `GET /orders/historical/batch`: one page. */
  listOrders(query?: ListOrdersQuery): Promise<OrdersPage>;
  /** `GET /orders/historical/fills` for some orders, every page. */
  listFills(query: { readonly orderIds: readonly string[]; readonly signal?: AbortSignal }): Promise<CoinbaseFill[]>;
  /** `POST /orders/batch_cancel`. */
  cancelOrders(orderIds: readonly string[], options?: { readonly signal?: AbortSignal }): Promise<{ readonly orderId: string; readonly success: boolean; readonly failureReason?: string }[]>;
}

const INSUFFICIENT = new Set(['INSUFFICIENT_FUND', 'INSUFFICIENT_FUNDS', 'PREVIEW_INSUFFICIENT_FUND', 'PREVIEW_INSUFFICIENT_FUNDS']);

function rejection(response: z.output<typeof CreateOrderResponseSchema>, clientOrderId: string): TradepipeError {
  const errorResponse = response.error_response ?? {};
  const reasons = [errorResponse.error, errorResponse.preview_failure_reason, errorResponse.new_order_failure_reason, response.failure_reason];
  // The most specific reason: `error` unless it is generic, then the preview and new-order reasons.
  const specific = (reason: string | undefined): reason is string => reason !== undefined && reason !== '' && !reason.startsWith('UNKNOWN_') && reason !== 'INVALID_REQUEST';
  const failureReason = reasons.find(specific) ?? reasons.find((reason) => reason !== undefined && reason !== '') ?? 'UNKNOWN_FAILURE_REASON';
  const insufficient = reasons.some((reason) => reason !== undefined && INSUFFICIENT.has(reason));
  return new TradepipeError(insufficient ? 'insufficient_funds' : 'exchange_rejected', 'Coinbase rejected the order', {
    details: {
      clientOrderId,
      failureReason,
      ...(errorResponse.message === undefined ? {} : { exchangeMessage: errorResponse.message.slice(0, 200) }),
    },
  });
}

/** Builds the order calls on a transport. @internal */
export function createOrderCalls(send: Transport): CoinbaseOrderCalls {
  return {
    async previewOrder(request, options = {}) {
      const body = { product_id: request.productId, side: request.side, order_configuration: toWireOrderConfiguration(request.configuration) };
      return send({ method: 'POST', path: '/orders/preview', body, access: 'private', schema: PreviewOrderResponseSchema, what: 'Coinbase order preview', retry: 'safe', ...options });
    },
    async createOrder(request, options = {}) {
      const body = {
        client_order_id: request.clientOrderId,
        product_id: request.productId,
        side: request.side,
        order_configuration: toWireOrderConfiguration(request.configuration),
      };
      const response = await send({ method: 'POST', path: '/orders', body, access: 'private', schema: CreateOrderResponseSchema, what: 'Coinbase create order', retry: 'rate-limit-only', notFound: 'unknown_product', ...options });
      if (!response.success) throw rejection(response, request.clientOrderId);
      const orderId = response.success_response?.order_id ?? response.order_id;
      if (orderId === undefined || orderId === '') {
        throw new TradepipeError('validation_failed', 'Coinbase accepted the order without an order id', { details: { clientOrderId: request.clientOrderId } });
      }
      return { orderId, clientOrderId: response.success_response?.client_order_id ?? request.clientOrderId };
    },
    async getOrder(orderId, options = {}) {
      const result = await send({ method: 'GET', path: `/orders/historical/${encodeURIComponent(orderId)}`, access: 'private', schema: GetOrderSchema, what: 'Coinbase order', retry: 'safe', ...options });
      return result.order;
    },
    async listOrders(query = {}) {
      const result = await send({
        method: 'GET',
        path: '/orders/historical/batch',
        query: {
          product_ids: query.productIds,
          order_ids: query.orderIds,
          order_status: query.orderStatus,
          start_date: query.startMs === undefined ? undefined : new Date(query.startMs).toISOString(),
          end_date: query.endMs === undefined ? undefined : new Date(query.endMs).toISOString(),
          limit: query.limit === undefined ? undefined : String(query.limit),
          cursor: query.cursor,
        },
        access: 'private',
        schema: ListOrdersSchema,
        what: 'Coinbase orders',
        retry: 'safe',
        signal: query.signal,
      });
      return { orders: result.orders, hasNext: result.has_next, cursor: result.cursor };
    },
    async listFills(query) {
      const fills: CoinbaseFill[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 1_000; page += 1) {
        const result = await send({ method: 'GET', path: '/orders/historical/fills', query: { order_ids: query.orderIds, limit: '100', cursor }, access: 'private', schema: ListFillsSchema, what: 'Coinbase fills', retry: 'safe', signal: query.signal });
        fills.push(...result.fills);
        if (result.cursor === '' || result.fills.length === 0) return fills;
        cursor = result.cursor;
      }
      throw new TradepipeError('internal', 'Coinbase fills kept paging past 1000 pages');
    },
    async cancelOrders(orderIds, options = {}) {
      const result = await send({ method: 'POST', path: '/orders/batch_cancel', body: { order_ids: orderIds }, access: 'private', schema: BatchCancelSchema, what: 'Coinbase cancel', retry: 'safe', ...options });
      return result.results.map((item) => ({ orderId: item.order_id, success: item.success, ...(item.failure_reason === undefined ? {} : { failureReason: item.failure_reason }) }));
    },
  };
}

