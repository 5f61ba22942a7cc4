import { request } from 'undici';
import { WebSocket } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { addDecimal, compareDecimal, createManualClock, decimal, divideDecimal, subtractDecimal, type DecimalString } from '@tradepipe/core';
import { startFakeSetup, type FakeSetup } from '../test-fixtures.js';
import { startFakeCoinbase } from './fake-server.js';

let setup: FakeSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

function openSocket(url: string): Promise<{ socket: WebSocket; messages: unknown[]; closed: Promise<void> }> {
  const socket = new WebSocket(url);
  const messages: unknown[] = [];
  socket.addEventListener('message', (event) => messages.push(JSON.parse(String(event.data))));
  const closed = new Promise<void>((resolve) => socket.addEventListener('close', () => resolve()));
  return new Promise((resolve, reject) => {
    socket.addEventListener('open', () => resolve({ socket, messages, closed }));
    socket.addEventListener('error', reject);
  });
}

describe('startFakeCoinbase', () => {
  it('answers unknown paths with 404 and a Coinbase error body, and 401 without a token', async () => {
    const fake = await startFakeCoinbase();
    try {
      const missing = await request(`${fake.url}/api/v3/brokerage/nope`);
      expect(missing.statusCode).toBe(404);
      expect(await missing.body.json()).toMatchObject({ error: 'NOT_FOUND' });
      const anonymous = await request(`${fake.url}/api/v3/brokerage/accounts`);
      expect(anonymous.statusCode).toBe(401);
      expect(await anonymous.body.text()).toBe('Unauthorized');
    } finally {
      await fake.close();
    }
  });

  it('refuses candle ranges over 350 buckets with 400 INVALID_ARGUMENT', async () => {
    const fake = await startFakeCoinbase();
    try {
      const response = await request(`${fake.url}/api/v3/brokerage/market/products/BTC-USD/candles?start=0&end=${351 * 60}&granularity=ONE_MINUTE`);
      expect(response.statusCode).toBe(400);
      expect(await response.body.json()).toMatchObject({ error: 'INVALID_ARGUMENT', error_details: expect.stringContaining('less than 350') });
    } finally {
      await fake.close();
    }
  });

  it('offers no client_order_id filter on list orders, like the real API', async () => {
    setup = await startFakeSetup();
    await setup.client.createOrder({ clientOrderId: 'a', productId: 'BTC-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('10') } });
    await setup.client.createOrder({ clientOrderId: 'b', productId: 'BTC-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('10') } });
    const page = await setup.client.listOrders({ productIds: ['BTC-USD'] });
    expect(page.orders.map((order) => order.client_order_id).sort()).toEqual(['a', 'b']);
  });

  it('scripts refused duplicates and lagging order lists (the order is still found by id)', async () => {
    const { createManualClock } = await import('@tradepipe/core');
    const clock = createManualClock(Date.now());
    setup = await startFakeSetup({ clock });
    const request = { clientOrderId: 'dup', productId: 'BTC-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('10') } } as const;
    const { orderId } = await setup.client.createOrder(request);
    setup.fake.faults.refuseDuplicateOrders(1);
    await expect(setup.client.createOrder(request)).rejects.toMatchObject({ code: 'exchange_rejected', details: { failureReason: 'DUPLICATE_CLIENT_ORDER_ID' } });
    expect((await setup.client.createOrder(request)).orderId).toBe(orderId); // one refusal scripted, then the documented answer
    setup.fake.faults.orderListLag(60_000);
    expect((await setup.client.listOrders({ productIds: ['BTC-USD'] })).orders).toEqual([]);
    expect((await setup.client.getOrder(orderId)).order_id).toBe(orderId);
    clock.advance(60_000);
    expect((await setup.client.listOrders({ productIds: ['BTC-USD'] })).orders.map((order) => order.order_id)).toEqual([orderId]);
    expect(setup.fake.orders()).toHaveLength(1);
  });

  it('fills a market order in several fills over time (marketOrderFills), its totals always the sum of its fills', async () => {
    const clock = createManualClock(Date.parse('2026-12-07T10:00:00Z'));
    setup = await startFakeSetup({ clock, fake: { marketOrderFills: { count: 3, intervalMs: 1_000 } } });
    const { client, fake } = setup;
    const { orderId } = await client.createOrder({ clientOrderId: 'parts', productId: 'BTC-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('100') } });
    const sum = (values: readonly DecimalString[]): DecimalString => values.reduce((total, value) => addDecimal(total, value), decimal('0'));
    const expectTotalsOfFills = async (status: string, fillCount: number): Promise<void> => {
      const [order, fills] = await Promise.all([client.getOrder(orderId), client.listFills({ orderIds: [orderId] })]);
      expect(fills).toHaveLength(fillCount);
      // A quote-size BUY's fills carry their size in quote (their value, before the fee).
      const sizesBase = fills.map((fill) => divideDecimal(fill.size, fill.price, 8));
      expect(order).toMatchObject({ status, number_of_fills: String(fillCount), filled_size: sum(sizesBase), filled_value: sum(fills.map((fill) => fill.size)), total_fees: sum(fills.map((fill) => fill.commission)) });
      expect(order.average_filled_price).toBe(divideDecimal(order.filled_value!, order.filled_size!, 10));
      expect(compareDecimal(addDecimal(order.filled_value!, order.total_fees!), decimal('100'))).toBeLessThanOrEqual(0);
    };
    await expectTotalsOfFills('OPEN', 1);
    fake.setPrice('BTC-USD', '50500');
    clock.advance(1_000);
    await expectTotalsOfFills('OPEN', 2);
    fake.setPrice('BTC-USD', '51000');
    clock.advance(5_000);
    await expectTotalsOfFills('FILLED', 3);
    const fills = fake.fills();
    expect(fills.map((fill) => fill.price)).toEqual(['50000', '50500', '51000']);
    expect(fills.map((fill) => Date.parse(fill.trade_time) - Date.parse(fills[0]!.trade_time))).toEqual([0, 1_000, 2_000]);
    expect(new Set(fills.flatMap((fill) => [fill.entry_id, fill.trade_id])).size).toBe(6);
    const order = fake.orders()[0]!;
    expect(order).toMatchObject({ completion_percentage: '100', settled: true });
    // The whole quote is spent (but for each fill's rounding to the base increment), nothing is held, the base bought.
    expect(Number(order.total_value_after_fees)).toBeCloseTo(100, 1);
    expect(fake.balances()).toEqual({ USD: { available: subtractDecimal(decimal('10000'), decimal(order.total_value_after_fees as string)), hold: '0' }, BTC: { available: order.filled_size, hold: '0' } });
  });

  it('ends an order filling in parts early with the rest unfilled (an IOC whose book ran out)', async () => {
    const clock = createManualClock(Date.parse('2026-12-07T10:00:00Z'));
    setup = await startFakeSetup({ clock, fake: { balances: { USD: '0', BTC: '1' }, marketOrderFills: { count: 3, intervalMs: 1_000 } } });
    const { orderId } = await setup.client.createOrder({ clientOrderId: 'sell', productId: 'BTC-USD', side: 'SELL', configuration: { type: 'market_ioc', baseSize: decimal('0.001') } });
    expect(await setup.client.getOrder(orderId)).toMatchObject({ status: 'OPEN', filled_size: '0.00033333', number_of_fills: '1' });
    expect(setup.fake.orders()[0]!.completion_percentage).toBe('33.33');
    expect(setup.fake.balances().BTC).toEqual({ available: '0.999', hold: '0.00066667' });
    setup.fake.finishOrder(orderId, 'CANCELLED');
    clock.advance(10_000);
    expect(await setup.client.getOrder(orderId)).toMatchObject({ status: 'CANCELLED', filled_size: '0.00033333', number_of_fills: '1' });
    expect(setup.fake.fills()).toHaveLength(1);
    expect(setup.fake.balances().BTC).toEqual({ available: '0.99966667', hold: '0' });
  });

  it('enforces the public limit of 10 requests a second per IP', async () => {
    const fake = await startFakeCoinbase();
    try {
      // Load-proof: a batch spread over more time earns more tokens, so each batch is checked against its own
      // duration (10 at once plus 10 a second), and bursts go on until one is refused.
      let refused = 0;
      for (let batch = 0; batch < 10 && refused === 0; batch += 1) {
        const startedAtMs = performance.now();
        const statuses = await Promise.all(Array.from({ length: 30 }, async () => (await request(`${fake.url}/api/v3/brokerage/time`)).statusCode));
        const elapsedMs = performance.now() - startedAtMs;
        refused = statuses.filter((status) => status === 429).length;
        expect(statuses.length - refused).toBeLessThanOrEqual(10 + Math.ceil((elapsedMs * 10) / 1000) + 1);
      }
      expect(refused).toBeGreaterThan(0);
    } finally {
      await fake.close();
    }
  });

  it('runs a WebSocket: acks subscriptions, sends heartbeats, refuses user without a JWT, drops the silent', async () => {
    const fake = await startFakeCoinbase({ heartbeatIntervalMs: 20, subscribeTimeoutMs: 150 });
    try {
      const { socket, messages } = await openSocket(fake.wsUrl);
      socket.send(JSON.stringify({ type: 'subscribe', channel: 'heartbeats', product_ids: [] }));
      socket.send(JSON.stringify({ type: 'subscribe', channel: 'user', product_ids: ['BTC-USD'] }));
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(messages[0]).toMatchObject({ channel: 'subscriptions', sequence_num: 0, events: [{ subscriptions: { heartbeats: [] } }] });
      expect(messages).toContainEqual({ type: 'error', message: 'authentication failure' });
      expect(messages.some((message) => (message as { channel?: string }).channel === 'heartbeats')).toBe(true);
      socket.close();
      const silent = await openSocket(fake.wsUrl);
      await silent.closed;
      expect(fake.websocket.connectionCount).toBe(0);
    } finally {
      await fake.close();
    }
  });
});
