import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryOrders, type OrderListQuery } from './memory-orders.js';
import { OrderStatusSchema, canTransitionOrder, type Order, type OrderStatus } from './records/execution.js';

fc.configureGlobal({ seed: 20261206, numRuns: 200 });

const STATUSES = OrderStatusSchema.options;
const PRODUCTS = ['BTC-USD', 'ETH-USD'] as const;

function order(index: number, fields: { status: OrderStatus; productId: string; createdAtMs: number; recommendationId: string }): Order {
  return {
    id: `ord_${index}`,
    recommendationId: fields.recommendationId,
    approvalId: `apv_${index}`,
    clientOrderId: `client-${index}`,
    venue: 'paper',
    productId: fields.productId,
    side: 'BUY',
    orderType: 'market_ioc',
    quoteSize: '10' as Order['filledBaseSize'],
    status: fields.status,
    filledBaseSize: '0' as Order['filledBaseSize'],
    filledQuoteValue: '0' as Order['filledBaseSize'],
    totalFees: '0' as Order['filledBaseSize'],
    createdAtMs: fields.createdAtMs,
    updatedAtMs: fields.createdAtMs,
  };
}

/** What the store's listOrders gave before the indexes: a scan of every order in the order added, then a stable sort. */
function scan(orders: readonly Order[], query: OrderListQuery): Order[] {
  return orders
    .filter((stored) => query.statuses === undefined || query.statuses.includes(stored.status))
    .filter((stored) => query.productId === undefined || stored.productId === query.productId)
    .filter((stored) => query.createdSinceMs === undefined || stored.createdAtMs >= query.createdSinceMs)
    .sort((a, b) => a.createdAtMs - b.createdAtMs);
}

const fields = fc.record({
  status: fc.constantFrom(...STATUSES),
  productId: fc.constantFrom(...PRODUCTS),
  createdAtMs: fc.integer({ min: 0, max: 20 }),
  recommendationId: fc.constant('rec_a'),
});
const step = fc.oneof(
  fields.map((added) => ({ type: 'add' as const, added })),
  fc.record({ type: fc.constant('update' as const), pick: fc.nat(), status: fc.constantFrom(...STATUSES) }),
);
const query = fc.record(
  { statuses: fc.uniqueArray(fc.constantFrom(...STATUSES), { maxLength: 4 }).chain((statuses) => fc.constantFrom(statuses, [...statuses, ...statuses])), productId: fc.constantFrom(...PRODUCTS), createdSinceMs: fc.integer({ min: -1, max: 21 }) },
  { requiredKeys: [] },
);

describe('MemoryOrders', () => {
  it('lists, finds and counts as a scan of every order does, through adds and status changes (open and ended statuses asked for)', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.array(query, { minLength: 1, maxLength: 6 }), (steps, queries) => {
        const orders = new MemoryOrders();
        const model: Order[] = [];
        for (const current of steps) {
          if (current.type === 'add') {
            const added = order(model.length, current.added);
            orders.add(added);
            model.push(added);
          } else if (model.length > 0 && canTransitionOrder(model[current.pick % model.length]!.status, current.status)) {
            // The store moves an order only where its status may go (an ended one never reopens).
            const at = current.pick % model.length;
            const next = { ...model[at]!, status: current.status };
            orders.replace(next);
            model[at] = next;
          }
          for (const asked of queries) expect(orders.list(asked)).toEqual(scan(model, asked));
          for (const sinceMs of [0, 7, 21]) expect(orders.countSince(sinceMs)).toBe(model.filter((stored) => stored.createdAtMs >= sinceMs).length);
        }
        for (const stored of model) {
          expect(orders.get(stored.id)).toBe(stored);
          expect(orders.getByClientOrderId(stored.clientOrderId)).toBe(stored);
          expect(orders.has(stored.id, 'other')).toBe(true);
          expect(orders.has('other', stored.clientOrderId)).toBe(true);
        }
        expect(orders.has('ord_none', 'client-none')).toBe(false);
      }),
    );
  });
});
