import { SortedTimes } from './memory-indexes.js';
import type { Order } from './records/execution.js';

/** What {@link MemoryOrders.list} filters on (the store's `listOrders` query). @internal */
export interface OrderListQuery {
  readonly statuses?: readonly string[];
  readonly productId?: string;
  readonly createdSinceMs?: number;
}

/**
 * The in-memory store's orders with the indexes its reads use, so that no read per trade or per health check
 * scans every order ever placed: by client order id, by status (listing the open orders reads only those), by
 * recommendation (whether a recommendation has an order), and their creation times (counting a window's orders).
 * Orders are replaced whole, never changed in place; `id`, `clientOrderId` and `createdAtMs` never change.
 * @internal
 */
export class MemoryOrders {
  private readonly orders = new Map<string, Order>();
  private readonly idsByClientOrderId = new Map<string, string>();
  /** Each order's place in the order added: a listing breaks `createdAtMs` ties by it, as a scan of every order in that order does. */
  private readonly sequence = new Map<string, number>();
  /** The ids of the orders in each status. */
  private readonly idsByStatus = new Map<string, Set<string>>();
  /** How many orders each recommendation has. */
  private readonly countByRecommendation = new Map<string, number>();
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
    this.sequence.set(order.id, this.sequence.size);
    this.idsByClientOrderId.set(order.clientOrderId, order.id);
    this.statusIds(order.status).add(order.id);
    this.countByRecommendation.set(order.recommendationId, (this.countByRecommendation.get(order.recommendationId) ?? 0) + 1);
    this.times.insert(order.createdAtMs);
  }

  /** Replaces a stored order by its next version (same `id`, `clientOrderId` and `createdAtMs`). */
  replace(next: Order): void {
    const previous = this.orders.get(next.id);
    if (previous === undefined) return;
    this.orders.set(next.id, next);
    if (previous.status !== next.status) {
      this.statusIds(previous.status).delete(next.id);
      this.statusIds(next.status).add(next.id);
    }
    if (previous.recommendationId !== next.recommendationId) {
      this.countByRecommendation.set(previous.recommendationId, this.countByRecommendation.get(previous.recommendationId)! - 1);
      this.countByRecommendation.set(next.recommendationId, (this.countByRecommendation.get(next.recommendationId) ?? 0) + 1);
    }
  }

  /**
   * The orders matching a query, oldest `createdAtMs` first (ties in the order added). With `statuses`, reads only
   * the orders in those statuses.
   */
  list(query: OrderListQuery): Order[] {
    const matches = (order: Order): boolean =>
      (query.productId === undefined || order.productId === query.productId) && (query.createdSinceMs === undefined || order.createdAtMs >= query.createdSinceMs);
    if (query.statuses === undefined) return [...this.orders.values()].filter(matches).sort((a, b) => a.createdAtMs - b.createdAtMs);
    const listed: Order[] = [];
    for (const status of new Set(query.statuses)) {
      for (const id of this.idsByStatus.get(status) ?? []) {
        const order = this.orders.get(id)!;
        if (matches(order)) listed.push(order);
      }
    }
    return listed.sort((a, b) => a.createdAtMs - b.createdAtMs || this.sequence.get(a.id)! - this.sequence.get(b.id)!);
  }

  /** Whether a recommendation has an order. */
  hasOrderFor(recommendationId: string): boolean {
    return (this.countByRecommendation.get(recommendationId) ?? 0) > 0;
  }

  /** How many orders were created at or after `sinceMs`. */
  countSince(sinceMs: number): number {
    return this.times.countAtLeast(sinceMs);
  }

  private statusIds(status: string): Set<string> {
    let ids = this.idsByStatus.get(status);
    if (ids === undefined) this.idsByStatus.set(status, (ids = new Set()));
    return ids;
  }
}
