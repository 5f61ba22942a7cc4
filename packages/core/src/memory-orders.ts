import { TradepipeError } from './errors.js';
import { SortedTimes } from './memory-indexes.js';
import { parseWith } from './parse.js';
import { OrderSchema, TERMINAL_ORDER_STATUSES, canTransitionOrder, type Order } from './records/execution.js';
import type { OrderUpdate } from './store.js';
import { checkExpectedFigures, expectedFillCountOf, isOrderAsExpected, isRepeatedTerminalUpdate, orderChangedUnderneath, orderFillsChangedUnderneath } from './store-rules.js';

/** What {@link MemoryOrders.list} filters on (the store's `listOrders` query). @internal */
export interface OrderListQuery {
  readonly statuses?: readonly string[];
  readonly productId?: string;
  readonly createdSinceMs?: number;
}

/**
 * The in-memory store's orders with the indexes its reads use, so that no read per trade or per health check
 * scans every order ever placed: by client order id, the open ones by status (listing the open orders, as the
 * reconciler and the health check do, reads only those; an order leaves the index when it ends, so that an
 * ended one costs nothing more than its record), and their creation times (counting a window's orders). A
 * listing that asks for an ended status reads every order. Orders are replaced whole, never changed in place;
 * `id`, `clientOrderId` and `createdAtMs` never change.
 * @internal
 */
export class MemoryOrders {
  private readonly orders = new Map<string, Order>();
  private readonly idsByClientOrderId = new Map<string, string>();
  /**
   * The open orders by status: their ids, each with its place in the order added (a listing breaks `createdAtMs`
   * ties by it, as a scan of every order in that order does).
   */
  private readonly openByStatus = new Map<string, Map<string, number>>();
  private added = 0;
  /** Every order's `createdAtMs`, ascending. */
  private readonly times = new SortedTimes();

  /** The order of an id. */
  get(id: string): Order | undefined {
    return this.orders.get(id);
  }

  /** The order of a client order id. */
  getByClientOrderId(clientOrderId: string): Order | undefined {
    const id = this.idsByClientOrderId.get(clientOrderId);
    return id === undefined ? undefined : this.orders.get(id);
  }

  /** Whether an order has this id or this client order id. */
  has(id: string, clientOrderId: string): boolean {
    return this.orders.has(id) || this.idsByClientOrderId.has(clientOrderId);
  }

  /** Adds a new order (the caller has checked {@link has}). */
  add(order: Order): void {
    this.orders.set(order.id, order);
    this.idsByClientOrderId.set(order.clientOrderId, order.id);
    if (isOpen(order.status)) this.openIds(order.status).set(order.id, this.added);
    this.added += 1;
    this.times.insert(order.createdAtMs);
  }

  /**
   * Applies an update to a stored order (the store's `updateOrder`): checked against `expected` (its status, then its
   * fill count), then against the allowed status transitions; a repeated terminal status changes nothing. What an
   * update may not change stays, as in the SQL stores (the indexes rely on it: order times, an order per approval).
   * @param fillCountOf how many fills the store holds for an order (read only when `expected.fillCount` is given)
   * @returns the order as stored after the update
   * @throws TradepipeError `not_found`, `order_conflict`, `invalid_state_transition`, `validation_failed`
   */
  update(id: string, update: OrderUpdate, fillCountOf: (orderId: string) => number): Order {
    const fillCount = expectedFillCountOf(update);
    checkExpectedFigures(update);
    const order = this.orders.get(id);
    if (order === undefined) throw new TradepipeError('not_found', 'No such order', { details: { orderId: id } });
    const { expected, ...fields } = update;
    if (!isOrderAsExpected(order, expected)) throw orderChangedUnderneath(order, expected!);
    if (fillCount !== undefined) {
      const stored = fillCountOf(id);
      if (stored !== fillCount) throw orderFillsChangedUnderneath(id, fillCount, stored);
    }
    const status = fields.status ?? order.status;
    if (isRepeatedTerminalUpdate(order, status)) return order;
    if ((status !== order.status || TERMINAL_ORDER_STATUSES.includes(order.status)) && !canTransitionOrder(order.status, status)) {
      throw new TradepipeError('invalid_state_transition', 'The order cannot move to that status', { details: { orderId: id, from: order.status, to: status } });
    }
    const { id: orderId, clientOrderId, recommendationId, approvalId, createdAtMs } = order;
    const next = parseWith(OrderSchema, { ...order, ...fields, id: orderId, clientOrderId, recommendationId, approvalId, createdAtMs, status }, 'order');
    this.replace(next);
    return next;
  }

  /** Replaces a stored order by its next version (same `id`, `clientOrderId` and `createdAtMs`). */
  replace(next: Order): void {
    const previous = this.orders.get(next.id);
    if (previous === undefined) return;
    this.orders.set(next.id, next);
    if (previous.status === next.status || !isOpen(previous.status)) return; // an ended order never reopens
    const ids = this.openIds(previous.status);
    const place = ids.get(next.id)!;
    ids.delete(next.id);
    if (isOpen(next.status)) this.openIds(next.status).set(next.id, place);
  }

  /**
   * The orders matching a query, oldest `createdAtMs` first (ties in the order added). With `statuses` all open
   * ones, reads only the orders in those statuses.
   */
  list(query: OrderListQuery): Order[] {
    const { statuses } = query;
    const matches = (order: Order): boolean =>
      (statuses === undefined || statuses.includes(order.status)) &&
      (query.productId === undefined || order.productId === query.productId) &&
      (query.createdSinceMs === undefined || order.createdAtMs >= query.createdSinceMs);
    if (statuses === undefined || !statuses.every(isOpen)) return [...this.orders.values()].filter(matches).sort((a, b) => a.createdAtMs - b.createdAtMs);
    const listed: { readonly order: Order; readonly place: number }[] = [];
    for (const status of new Set(statuses)) {
      for (const [id, place] of this.openByStatus.get(status) ?? []) {
        const order = this.orders.get(id)!;
        if (matches(order)) listed.push({ order, place });
      }
    }
    return listed.sort((a, b) => a.order.createdAtMs - b.order.createdAtMs || a.place - b.place).map(({ order }) => order);
  }

  /** How many orders were created at or after `sinceMs`. */
  countSince(sinceMs: number): number {
    return this.times.countAtLeast(sinceMs);
  }

  private openIds(status: string): Map<string, number> {
    let ids = this.openByStatus.get(status);
    if (ids === undefined) this.openByStatus.set(status, (ids = new Map()));
    return ids;
  }
}

/** Whether an order in this status may still change (not ended). */
function isOpen(status: string): boolean {
  return !(TERMINAL_ORDER_STATUSES as readonly string[]).includes(status);
}
