import { request } from 'undici';
import { WebSocket } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { decimal } from '@tradepipe/core';
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
