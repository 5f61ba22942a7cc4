import {
  OrderSchema,
  TERMINAL_ORDER_STATUSES,
  TradepipeError,
  canTransitionOrder,
  isRepeatedTerminalUpdate,
  checkExpectedFigures,
  expectedFillCountOf,
  isOrderAsExpected,
  orderChangedUnderneath,
  orderFillsChangedUnderneath,
  parseWith,
  type Order,
  type OrderStatus,
  type OrderUpdate,
} from '@tradepipe/core';
import { nowParam, nowSql, perContext, type StoreContext } from './context.js';
import { rowLock } from './row-locks.js';
import { compact, decimalColumn, int8, optionalDecimal, optionalInt8, optionalText, parseStored } from './rows.js';
import type { SqlRow } from './sql-driver.js';

/** The orders table's columns, in the order of {@link orderValues}. @internal */
export const ORDER_COLUMNS = [
  'id',
  'recommendation_id',
  'approval_id',
  'client_order_id',
  'venue',
  'product_id',
  'side',
  'order_type',
  'quote_size',
  'base_size',
  'limit_price',
  'status',
  'exchange_order_id',
  'filled_base_size',
  'filled_quote_value',
  'average_fill_price',
  'total_fees',
  'status_reason',
  'created_at_ms',
  'updated_at_ms',
  'submitted_at_ms',
  'completed_at_ms',
] as const;

const ORDER_UPDATE_SCHEMA = OrderSchema.partial();

/** An order's column values, in the order of {@link ORDER_COLUMNS}. @internal */
export function orderValues(order: Order): unknown[] {
  return [
    order.id,
    order.recommendationId,
    order.approvalId,
    order.clientOrderId,
    order.venue,
    order.productId,
    order.side,
    order.orderType,
    order.quoteSize ?? null,
    order.baseSize ?? null,
    order.limitPrice ?? null,
    order.status,
    order.exchangeOrderId ?? null,
    order.filledBaseSize,
    order.filledQuoteValue,
    order.averageFillPrice ?? null,
    order.totalFees,
    order.statusReason ?? null,
    order.createdAtMs,
    order.updatedAtMs,
    order.submittedAtMs ?? null,
    order.completedAtMs ?? null,
  ];
}

/** An orders row back to a parsed {@link Order}. @internal */
export function orderFromRow(row: SqlRow): Order {
  return parseStored(
    OrderSchema,
    compact({
      id: row.id,
      recommendationId: row.recommendation_id,
      approvalId: row.approval_id,
      clientOrderId: row.client_order_id,
      venue: row.venue,
      productId: row.product_id,
      side: row.side,
      orderType: row.order_type,
      quoteSize: optionalDecimal(row.quote_size, 'quote_size'),
      baseSize: optionalDecimal(row.base_size, 'base_size'),
      limitPrice: optionalDecimal(row.limit_price, 'limit_price'),
      status: row.status,
      exchangeOrderId: optionalText(row.exchange_order_id),
      filledBaseSize: decimalColumn(row.filled_base_size, 'filled_base_size'),
      filledQuoteValue: decimalColumn(row.filled_quote_value, 'filled_quote_value'),
      averageFillPrice: optionalDecimal(row.average_fill_price, 'average_fill_price'),
      totalFees: decimalColumn(row.total_fees, 'total_fees'),
      statusReason: optionalText(row.status_reason),
      createdAtMs: int8(row.created_at_ms, 'created_at_ms'),
      updatedAtMs: int8(row.updated_at_ms, 'updated_at_ms'),
      submittedAtMs: optionalInt8(row.submitted_at_ms, 'submitted_at_ms'),
      completedAtMs: optionalInt8(row.completed_at_ms, 'completed_at_ms'),
    }),
    'order',
  );
}

const ORDER_BY_SQL = {
  id: perContext((context) => `SELECT * FROM ${context.s}.orders WHERE id = $1`),
  client_order_id: perContext((context) => `SELECT * FROM ${context.s}.orders WHERE client_order_id = $1`),
} as const;

/** One order by id or by client order id. @internal */
export async function getOrderBy(context: StoreContext, column: 'id' | 'client_order_id', value: string): Promise<Order | undefined> {
  const [row] = await context.driver.query(ORDER_BY_SQL[column](context), [value]);
  return row === undefined ? undefined : orderFromRow(row);
}

/** Orders by status, product and creation time, oldest first. @internal */
export async function listOrders(
  context: StoreContext,
  query: { readonly statuses?: readonly OrderStatus[]; readonly productId?: string; readonly createdSinceMs?: number },
): Promise<Order[]> {
  const rows = await context.driver.query(
    `SELECT * FROM ${context.s}.orders
     WHERE ($1::text[] IS NULL OR status = ANY($1::text[])) AND ($2::text IS NULL OR product_id = $2) AND ($3::bigint IS NULL OR created_at_ms >= $3)
     ORDER BY created_at_ms, id COLLATE "C"`,
    [query.statuses === undefined ? null : [...query.statuses], query.productId ?? null, query.createdSinceMs ?? null],
  );
  return rows.map(orderFromRow);
}

/** Orders created at or after `sinceMs`. @internal */
export async function countOrdersSince(context: StoreContext, sinceMs: number): Promise<number> {
  const [row] = await context.driver.query(`SELECT count(*) AS count FROM ${context.s}.orders WHERE created_at_ms >= $1`, [sinceMs]);
  return int8(row?.count ?? '0', 'count');
}

/** The order's row locked (a server; PGlite runs each transaction alone: see `rowLock`). */
const LOCK_ORDER_SQL = perContext((context) => `SELECT * FROM ${context.s}.orders WHERE id = $1 ${rowLock(context, 'FOR UPDATE')}`);

const COUNT_ORDER_FILLS_SQL = perContext((context) => `SELECT count(*) AS count FROM ${context.s}.fills WHERE order_id = $1`);

/** Every column of an order set from `$1`… in {@link ORDER_COLUMNS}' order. */
const ORDER_ASSIGNMENTS = ORDER_COLUMNS.map((column, index) => `${column} = $${index + 1}`).join(', ');

const UPDATE_ORDER_SQL = perContext((context) => `UPDATE ${context.s}.orders SET ${ORDER_ASSIGNMENTS} WHERE id = $1`);

/** An order's update that ends it, releasing its reservation; the store's now is parameter `valueCount + 1`. */
function endOrderSql(context: StoreContext, valueCount: number): string {
  return `WITH updated AS (UPDATE ${context.s}.orders SET ${ORDER_ASSIGNMENTS} WHERE id = $1 RETURNING id, approval_id)
       UPDATE ${context.s}.exposure_reservations SET released_at_ms = ${nowSql(valueCount + 1)}
       WHERE approval_id = (SELECT approval_id FROM updated) AND order_id = (SELECT id FROM updated) AND released_at_ms IS NULL`;
}

const END_ORDER_SQL = perContext((context) => endOrderSql(context, ORDER_COLUMNS.length));

/**
 * Applies an order update under the row's lock, checking the transition; a terminal status releases the
 * order's exposure reservation in the same transaction.
 * @throws TradepipeError `not_found`, `invalid_state_transition`, `validation_failed`
 * @internal
 */
export async function updateOrder(context: StoreContext, id: string, update: OrderUpdate): Promise<Order> {
  const { expected, ...fields } = update;
  parseWith(ORDER_UPDATE_SCHEMA, fields, 'order update');
  const fillCount = expectedFillCountOf(update);
  checkExpectedFigures(update);
  return context.driver.transaction(async (executor) => {
    const [row] = await executor.query(LOCK_ORDER_SQL(context), [id]);
    if (row === undefined) throw new TradepipeError('not_found', 'No such order', { details: { orderId: id } });
    const order = orderFromRow(row);
    // Compare-and-set under the row lock: the caller's copy must still be what is stored.
    if (!isOrderAsExpected(order, expected)) throw orderChangedUnderneath(order, expected!);
    if (fillCount !== undefined) {
      // Counted after the lock, in a statement of its own (READ COMMITTED: it sees every fill committed before it). A
      // fill recorded with `expectedOrder` holds the order's row (FOR SHARE) until it commits: the lock above waited
      // for it, and a later one waits for this update.
      const [counted] = await executor.query(COUNT_ORDER_FILLS_SQL(context), [id]);
      const stored = Number(counted?.count ?? 0);
      if (stored !== fillCount) throw orderFillsChangedUnderneath(id, fillCount, stored);
    }
    const status = fields.status ?? order.status;
    if (isRepeatedTerminalUpdate(order, status)) return order;
    if ((status !== order.status || TERMINAL_ORDER_STATUSES.includes(order.status)) && !canTransitionOrder(order.status, status)) {
      throw new TradepipeError('invalid_state_transition', 'The order cannot move to that status', {
        details: { orderId: id, from: order.status, to: status },
      });
    }
    // An order's identity and its links stay as stored, as on the memory store (the release below finds the
    // reservation by the stored approval): an update carrying other ones changes only what may change.
    const { clientOrderId, recommendationId, approvalId, createdAtMs } = order;
    const next = parseWith(OrderSchema, { ...order, ...fields, id: order.id, clientOrderId, recommendationId, approvalId, createdAtMs, status }, 'order');
    const values = orderValues(next);
    if (!TERMINAL_ORDER_STATUSES.includes(next.status)) {
      await executor.query(UPDATE_ORDER_SQL(context), values, { commits: true });
      return next;
    }
    // An order that ends releases its reservation in the same statement (one round trip, the store's now read there).
    // Found by its key, the order's approval (an order is recorded against its approval's reservation only: see
    // consumeApproval), not by scanning the active reservations.
    await executor.query(
      values.length === ORDER_COLUMNS.length ? END_ORDER_SQL(context) : endOrderSql(context, values.length),
      [...values, nowParam(context)],
      { commits: true },
    );
    return next;
  });
}
