// An order Coinbase reports FILLED while its fills list stays empty is held open for good (HELD_…, reservation held):
// the operator reads the fills off Coinbase and settles it with settleHeldOrder. The live executor runs in the
// pipeline (execution + fills) on a manual clock; its client talks HTTP to the fake through a proxy on 127.0.0.1 that
// empties the fills list, as a Coinbase whose fills endpoint never catches up would.
import { afterEach, describe, expect, it } from 'vitest';
import { decimal, isTradepipeError, multiplyDecimal, type Order } from '@tradepipe/core';
import { exchangeFills, startPipelineBehindProxy, type AnswerRewrite, type PipelineBehindProxy } from './answer-rewriting-proxy.js';
import { createCoinbaseClient } from './client.js';
import { syncExchangeOrder } from './coinbase-order-sync.js';
import { isHeldOrder, listHeldOrders, settleHeldOrder, type OperatorFill } from './held-orders.js';
import { createCapturingLogger } from './test-fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Coinbase says FILLED with no `filled_size` while its fills list is empty, for as long as `emptyAnswers` lasts (default: for ever). */
function fillsNeverListed(state: { emptyAnswers: number } = { emptyAnswers: Number.POSITIVE_INFINITY }): AnswerRewrite {
  return (request, body) => {
    if (request.path === '/orders/historical/fills') return state.emptyAnswers-- > 0 ? { ...body, fills: [] } : body;
    if (request.path.startsWith('/orders/historical/') && body.order !== undefined) {
      const { number_of_fills: _count, ...order } = body.order as Record<string, unknown>;
      return { ...body, order: { ...order, filled_size: '' } };
    }
    return body;
  };
}

async function heldHarness(rewrite: AnswerRewrite = fillsNeverListed()): Promise<{ harness: PipelineBehindProxy; order: Order }> {
  const logger = createCapturingLogger();
  const harness = await startPipelineBehindProxy(rewrite, { logger });
  cleanups.push(() => harness.close());
  expect(await harness.runUntilFinished(5)).toBe('SUBMITTED');
  const [order] = await harness.kit.store.listOrders({});
  expect(order!.statusReason).toMatch(/^HELD_FILL/);
  expect(isHeldOrder(order!)).toBe(true);
  return { harness, order: order! };
}

/**
 * The store with `before` run once, just before the first call of `method`: another writer's commit landing at that
 * moment (the real interleaving on PostgreSQL is tested in storage-pg's concurrency tests).
 */
function withWriteBefore<T extends object>(store: T, method: keyof T & string, before: () => Promise<void>): T {
  let fired = false;
  return new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== 'function') return value;
      if (key !== method) return value.bind(target);
      return async (...args: unknown[]) => {
        if (!fired) {
          fired = true;
          await before();
        }
        return (value as (...args: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** One order sync of `staleCopy` (the fill tracker's copy of the order, read before) against the fake, through `store`. */
async function syncStaleCopy(harness: PipelineBehindProxy, staleCopy: Order, store: PipelineBehindProxy['kit']['store']) {
  const client = createCoinbaseClient({ baseUrl: harness.setup.fake.url, key: harness.setup.key, clock: harness.kit.clock, retryBaseDelayMs: 1 });
  cleanups.push(() => client.close());
  const logger = createCapturingLogger();
  const synced = await syncExchangeOrder(staleCopy, {
    client,
    currencies: { quoteCurrency: 'USD', baseCurrency: 'BTC' },
    context: { pipelineId: 'test', clock: harness.kit.clock, logger, signal: new AbortController().signal, store },
  });
  return { synced, logger };
}

async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (isTradepipeError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('settleHeldOrder: the operator ends an order Coinbase never accounts for', () => {
  it('records the fills read off Coinbase, ends the order EXECUTED, releases its reservation; the pipeline ends the recommendation', async () => {
    const { harness, order } = await heldHarness();
    const store = harness.kit.store;
    expect(await listHeldOrders(store)).toEqual([{ order, recordedFills: { count: 0, sizeBase: '0', valueQuote: '0', commissionQuote: '0' } }]);
    expect(await store.listActiveReservations()).toHaveLength(1);
    expect(await store.getPosition('BTC-USD')).toBeUndefined();

    const fills = exchangeFills(harness);
    expect(fills).toHaveLength(1);
    const settled = await settleHeldOrder(store, { orderId: order.id, fills, reason: 'fills read off Coinbase, support ticket 123', nowMs: harness.kit.clock.nowMs() });

    const real = harness.setup.fake.orders()[0]!;
    expect(settled).toMatchObject({ fillsRecorded: 1, fillsAlreadyRecorded: 0 });
    expect(settled.order).toMatchObject({ status: 'EXECUTED', filledBaseSize: real.filled_size, statusReason: `OPERATOR_SETTLED_AFTER_${order.statusReason!}: fills read off Coinbase, support ticket 123` });
    expect(isHeldOrder(settled.order)).toBe(false);
    expect(await listHeldOrders(store)).toEqual([]);
    expect((await store.listFills(order.id)).map((fill) => fill.id)).toEqual([`cb-${String(harness.setup.fake.fills()[0]!.entry_id)}`]);
    expect((await store.getPosition('BTC-USD'))?.sizeBase).toBe(real.filled_size);
    expect(await store.listActiveReservations()).toEqual([]);

    // The fills stage sees the ended order at its next poll and ends the recommendation; the order is not polled again.
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    expect((await store.listFills(order.id))).toHaveLength(1);
    expect((await store.getOrder(order.id))?.statusReason).toBe(settled.order.statusReason);
  });

  it('a fill the order sync already booked is counted, not booked again; a second settlement is refused', async () => {
    // Coinbase's filled_size says twice what its fills list holds: the one listed fill is booked, the order held.
    const doubledFilledSize: AnswerRewrite = (request, body) =>
      request.path.startsWith('/orders/historical/') && request.path !== '/orders/historical/fills' && body.order !== undefined
        ? { ...body, order: { ...(body.order as Record<string, unknown>), filled_size: multiplyDecimal(decimal(String((body.order as Record<string, unknown>).filled_size)), decimal('2')) } }
        : body;
    const logger = createCapturingLogger();
    const harness = await startPipelineBehindProxy(doubledFilledSize, { logger });
    cleanups.push(() => harness.close());
    expect(await harness.runUntilFinished(5)).toBe('SUBMITTED');
    const store = harness.kit.store;
    const [order] = await store.listOrders({});
    expect(order!.statusReason).toBe('HELD_FILLS_BEHIND_FILLED_SIZE');
    expect(await store.listFills(order!.id)).toHaveLength(1);

    const fills = exchangeFills(harness);
    // The same trade under another id (its trade_id, say) would be booked twice: refused.
    expect(await refusal(settleHeldOrder(store, { orderId: order!.id, fills: [{ ...fills[0]!, coinbaseFillId: 'the-trade-id' }], overrideCoinbaseFigures: true, reason: 'x', nowMs: harness.kit.clock.nowMs() }))).toBe('validation_failed');
    // Neither fills nor a word on them: refused.
    expect(await refusal(settleHeldOrder(store, { orderId: order!.id, fills: [], overrideCoinbaseFigures: true, reason: 'x', nowMs: harness.kit.clock.nowMs() }))).toBe('validation_failed');
    // Short of Coinbase's (doubled) figure: refused unless the operator says Coinbase's figure is wrong.
    expect(await refusal(settleHeldOrder(store, { orderId: order!.id, fills, reason: 'one fill on the account', nowMs: harness.kit.clock.nowMs() }))).toBe('validation_failed');
    const settled = await settleHeldOrder(store, { orderId: order!.id, fills, overrideCoinbaseFigures: true, reason: 'filled_size is wrong: one fill on the account', nowMs: harness.kit.clock.nowMs() });
    expect(settled).toMatchObject({ fillsRecorded: 0, fillsAlreadyRecorded: 1 });
    expect(settled.order).toMatchObject({ status: 'EXECUTED', filledBaseSize: harness.setup.fake.orders()[0]!.filled_size });
    expect(await store.listFills(order!.id)).toHaveLength(1);
    expect(await refusal(settleHeldOrder(store, { orderId: order!.id, fills, reason: 'again', nowMs: harness.kit.clock.nowMs() }))).toBe('invalid_state_transition');
    expect(await store.listFills(order!.id)).toHaveLength(1);
  });

  it('refuses, writing nothing: fills past the order size, a repeated or malformed fill, no fill without nothingFilled, a blank reason, an order not held', async () => {
    const { harness, order } = await heldHarness();
    const store = harness.kit.store;
    const nowMs = harness.kit.clock.nowMs();
    const [fill] = exchangeFills(harness);
    const settle = (fills: readonly OperatorFill[], extra: { reason?: string; nothingFilled?: boolean } = {}) =>
      refusal(settleHeldOrder(store, { orderId: order.id, fills, reason: extra.reason ?? 'checked', nowMs, ...(extra.nothingFilled === undefined ? {} : { nothingFilled: extra.nothingFilled }) }));

    // A $100 BUY cannot have filled twice its size.
    expect(await settle([fill!, { ...fill!, coinbaseFillId: 'second-fill' }])).toBe('validation_failed');
    expect(await settle([fill!, fill!])).toBe('validation_failed');
    expect(await settle([{ ...fill!, price: '0' }])).toBe('validation_failed');
    expect(await settle([{ ...fill!, size: '-0.001' }])).toBe('validation_failed');
    expect(await settle([{ ...fill!, price: '1e5' }])).toBe('validation_failed');
    expect(await settle([{ ...fill!, coinbaseFillId: 'has space' }])).toBe('validation_failed');
    expect(await settle([{ ...fill!, filledAtMs: order.createdAtMs - 60_001 }])).toBe('validation_failed');
    expect(await settle([{ ...fill!, filledAtMs: nowMs + 60_001 }])).toBe('validation_failed');
    expect(await settle([])).toBe('validation_failed');
    expect(await settle([fill!], { nothingFilled: true })).toBe('validation_failed');
    expect(await settle([fill!], { reason: '   ' })).toBe('validation_failed');
    expect(await settle([fill!], { reason: 'line\nbreak' })).toBe('validation_failed');
    expect(await settle([fill!], { reason: 'ok \u202e deyalpsid' })).toBe('validation_failed');
    expect(await settle([fill!], { reason: 'csi \u009b2J' })).toBe('validation_failed');
    expect(await refusal(settleHeldOrder(store, { orderId: 'ord_missing', fills: [fill!], reason: 'checked', nowMs }))).toBe('not_found');
    expect(await store.listFills(order.id)).toEqual([]);
    expect((await store.getOrder(order.id))?.statusReason).toBe(order.statusReason);

    // A fill recorded under the same id with other figures is a conflict, not an overwrite.
    await settleHeldOrder(store, { orderId: order.id, fills: [fill!], reason: 'checked', nowMs });
    const { order: other, harness: second } = await heldHarness();
    const [otherFill] = exchangeFills(second);
    await second.kit.store.recordFill({ ...(await store.listFills(order.id))[0]!, id: `cb-${otherFill!.coinbaseFillId}`, orderId: other.id, clientOrderId: other.clientOrderId, price: decimal('1') }, { quoteCurrency: 'USD', baseCurrency: 'BTC' });
    expect(await refusal(settleHeldOrder(second.kit.store, { orderId: other.id, fills: [otherFill!], reason: 'checked', nowMs: second.kit.clock.nowMs() }))).toBe('record_conflict');
  });

  it('an order that is followed normally is not held and is refused', async () => {
    const harness = await startPipelineBehindProxy(fillsNeverListed({ emptyAnswers: 0 }), { logger: createCapturingLogger() });
    cleanups.push(() => harness.close());
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    const [order] = await harness.kit.store.listOrders({});
    expect(await refusal(settleHeldOrder(harness.kit.store, { orderId: order!.id, fills: exchangeFills(harness), reason: 'checked', nowMs: harness.kit.clock.nowMs() }))).toBe('invalid_state_transition');
  });

  it('nothingFilled ends an order with no fill FAILED, its reservation released', async () => {
    // Coinbase says FILLED but the fills list stays empty, and the operator finds no fill on the account (the
    // exchange's answer was wrong): ended FAILED with nothing booked.
    const { harness, order } = await heldHarness();
    const nothing = { orderId: order.id, fills: [], nothingFilled: true, reason: 'no fill on the account', nowMs: harness.kit.clock.nowMs() };
    // Coinbase reported a filled value: "nothing filled" contradicts it unless its figure is overridden.
    expect(Number(order.filledQuoteValue)).toBeGreaterThan(0);
    expect(await refusal(settleHeldOrder(harness.kit.store, nothing))).toBe('validation_failed');
    const settled = await settleHeldOrder(harness.kit.store, { ...nothing, overrideCoinbaseFigures: true });
    expect(settled.order).toMatchObject({ status: 'FAILED', filledBaseSize: '0', statusReason: `OPERATOR_SETTLED_AFTER_${order.statusReason!}: no fill on the account` });
    expect(await harness.kit.store.listActiveReservations()).toEqual([]);
    expect(await harness.kit.store.getPosition('BTC-USD')).toBeUndefined();
  });

  it('an order sync that read the order before the settlement books nothing into the ended order', async () => {
    // The fill tracker polled the held order (its copy: held) while the operator ended it with nothing filled; Coinbase
    // then lists the fill at last. The sync re-reads the order before booking: ended, so nothing is booked.
    const { harness, order: staleCopy } = await heldHarness();
    const store = harness.kit.store;
    await settleHeldOrder(store, { orderId: staleCopy.id, fills: [], nothingFilled: true, overrideCoinbaseFigures: true, reason: 'no fill on the account', nowMs: harness.kit.clock.nowMs() });
    const { synced } = await syncStaleCopy(harness, staleCopy, store);
    expect(synced.status).toBe('FAILED');
    expect(await store.listFills(staleCopy.id)).toEqual([]);
    expect(await store.getPosition('BTC-USD')).toBeUndefined();
  });

  it('a fill the order sync books while the operator settles makes the settlement refuse, the order still held; run again, it settles with that fill', async () => {
    const { harness, order } = await heldHarness();
    const store = harness.kit.store;
    const fills = exchangeFills(harness);
    // Coinbase lists a second, small fill at last; the fill tracker books it onto the held order between the
    // settlement's read of the fills and its end.
    const late = { id: 'cb-late-entry', orderId: order.id, clientOrderId: order.clientOrderId, venue: order.venue, productId: order.productId, side: order.side, price: decimal('50000'), sizeBase: decimal('0.00000001'), commission: decimal('0'), liquidity: 'TAKER' as const, filledAtMs: harness.kit.clock.nowMs() };
    const racing = withWriteBefore(store, 'updateOrder', async () => {
      await store.recordFill(late, { quoteCurrency: 'USD', baseCurrency: 'BTC', expectedOrder: { status: order.status, statusReason: order.statusReason } });
    });
    expect(await refusal(settleHeldOrder(racing, { orderId: order.id, fills, reason: 'fills read off Coinbase', nowMs: harness.kit.clock.nowMs() }))).toBe('order_conflict');
    // Nothing ended: the order is held with both fills, its reservation held.
    expect(await store.getOrder(order.id)).toMatchObject({ status: order.status, statusReason: order.statusReason });
    expect((await store.listFills(order.id)).map((fill) => fill.id).sort()).toEqual([fills.map((fill) => `cb-${fill.coinbaseFillId}`)[0]!, 'cb-late-entry'].sort());
    expect(await store.listActiveReservations()).toHaveLength(1);
    expect(await listHeldOrders(store)).toHaveLength(1);
    // The operator looks again: the recorded fills are complete now.
    const settled = await settleHeldOrder(store, { orderId: order.id, recordedFillsComplete: true, reason: 'both fills on the account', nowMs: harness.kit.clock.nowMs() });
    expect(settled.order.status).toBe('EXECUTED');
    expect(await store.listActiveReservations()).toEqual([]);
  });

  it('Coinbase\'s figures the order sync raises while the operator settles make the settlement refuse, the order still held; run again, it is short of them', async () => {
    const { harness, order } = await heldHarness();
    const store = harness.kit.store;
    const fills = exchangeFills(harness);
    // A poll between the settlement's read and its end: Coinbase's filled_size now given, twice what its one fill
    // holds (no new fill listed).
    const higher = multiplyDecimal(decimal(String(harness.setup.fake.orders()[0]!.filled_size)), decimal('2'));
    expect(higher).not.toBe(order.filledBaseSize);
    const racing = withWriteBefore(store, 'updateOrder', async () => {
      await store.updateOrder(order.id, { filledBaseSize: higher, updatedAtMs: harness.kit.clock.nowMs(), expected: { status: order.status, statusReason: order.statusReason } });
    });
    expect(await refusal(settleHeldOrder(racing, { orderId: order.id, fills, reason: 'fills read off Coinbase', nowMs: harness.kit.clock.nowMs() }))).toBe('order_conflict');
    expect(await store.getOrder(order.id)).toMatchObject({ status: order.status, statusReason: order.statusReason, filledBaseSize: higher });
    expect(await store.listFills(order.id)).toHaveLength(1);
    expect(await store.listActiveReservations()).toHaveLength(1);
    // The operator looks again: the fills are short of the figure now, refused unless they say Coinbase's is wrong.
    expect(await refusal(settleHeldOrder(store, { orderId: order.id, recordedFillsComplete: true, reason: 'one fill on the account', nowMs: harness.kit.clock.nowMs() }))).toBe('validation_failed');
    const settled = await settleHeldOrder(store, { orderId: order.id, recordedFillsComplete: true, overrideCoinbaseFigures: true, reason: 'filled_size is off: one fill on the account', nowMs: harness.kit.clock.nowMs() });
    expect(settled.order.status).toBe('EXECUTED');
    expect(await store.listActiveReservations()).toEqual([]);
  });

  it('a fill the order sync read before the settlement and books after it is not booked onto the settled order, and is logged', async () => {
    const listing = { emptyAnswers: Number.POSITIVE_INFINITY };
    const { harness, order: staleCopy } = await heldHarness(fillsNeverListed(listing));
    const store = harness.kit.store;
    // Coinbase lists the fill at last; the sync reads it and the held order, and the operator's settlement (nothing
    // filled, their word) commits before the sync books it.
    listing.emptyAnswers = 0;
    const settling = withWriteBefore(store, 'listFills', async () => {
      await settleHeldOrder(store, { orderId: staleCopy.id, nothingFilled: true, overrideCoinbaseFigures: true, reason: 'no fill on the account', nowMs: harness.kit.clock.nowMs() });
    });
    const { synced, logger } = await syncStaleCopy(harness, staleCopy, settling);
    expect(synced).toMatchObject({ status: 'FAILED', statusReason: expect.stringMatching(/^OPERATOR_SETTLED_AFTER_HELD_/) });
    expect(await store.listFills(staleCopy.id)).toEqual([]);
    expect(await store.getPosition('BTC-USD')).toBeUndefined();
    const errors = logger.lines.map((line) => JSON.parse(line) as { level: string; message: string; fillId?: string }).filter((entry) => entry.level === 'error');
    expect(errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/operator settled it/), fillId: `cb-${String(harness.setup.fake.fills()[0]!.entry_id)}` })]);
  });
});
