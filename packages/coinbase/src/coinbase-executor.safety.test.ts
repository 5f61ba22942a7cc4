// Money-safety regressions found in review: each of these once lost an order, kept following nothing, or
// placed an order it should not have. They run the live executor against the fake Coinbase.
import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isTradepipeError, systemClock, type StageContext } from '@tradepipe/core';
import { CoinbaseOrderExecutor } from './coinbase-executor.js';
import { createExecutorKit } from './executor-test-kit.js';
import { startFakeSetup, type FakeSetup } from './test-fixtures.js';
import type { CoinbaseClient } from './client.js';

const LIVE = { liveTrading: { enabled: true, acknowledgeRealMoney: true } };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

/** A pass-through proxy to the fake that garbles the body of the 2xx answer to POST /orders (the order IS placed). */
async function garblingProxy(target: string): Promise<{ url: string; server: Server }> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const upstream = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        const body: Buffer[] = [];
        up.on('data', (c: Buffer) => body.push(c));
        up.on('end', () => {
          const garble = req.method === 'POST' && req.url === '/api/v3/brokerage/orders' && (up.statusCode ?? 0) < 300;
          const text = garble ? '<html>502 upstream hiccup</html>' : Buffer.concat(body).toString();
          res.writeHead(up.statusCode ?? 500, { 'content-type': garble ? 'text/html' : 'application/json' });
          res.end(text);
        });
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, server };
}

async function setupWith(client?: (setup: FakeSetup) => Promise<{ client: CoinbaseClient }>, followTimeoutMs = 500) {
  const kit = await createExecutorKit({ startAtMs: systemClock.nowMs() });
  const setup = await startFakeSetup({ clock: systemClock });
  cleanups.push(() => setup.close());
  const context: StageContext = { ...kit.context, clock: { nowMs: kit.clock.nowMs, sleep: (ms, signal) => systemClock.sleep(Math.min(ms, 20), signal) } };
  const used = client === undefined ? setup.client : (await client(setup)).client;
  const executor = new CoinbaseOrderExecutor({ client: used, approvalSigner: kit.signer, pollIntervalMs: 10, followTimeoutMs, ...LIVE });
  return { kit, setup, context, executor };
}

describe('live executor: an unreadable answer to a placed order', () => {
  it('searches for the order instead of failing it, and records its fills and position', async () => {
    const { kit, setup, context, executor } = await setupWith(async (setup) => {
      const proxy = await garblingProxy(setup.fake.url);
      cleanups.push(() => new Promise<void>((r) => proxy.server.close(() => r())));
      const { createCoinbaseClient } = await import('./client.js');
      const client = createCoinbaseClient({ baseUrl: proxy.url, key: setup.key, clock: systemClock, retryBaseDelayMs: 20 });
      cleanups.push(() => client.close());
      return { client };
    });
    const input = await kit.approve();
    const order = await executor.execute(input, context);
    expect(setup.fake.orders()).toHaveLength(1);
    expect(order.status).toBe('EXECUTED');
    expect(order.exchangeOrderId).toBe(setup.fake.orders()[0]!.order_id);
    expect((await kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(setup.fake.orders()[0]!.filled_size);
    expect(await executor.execute(input, context)).toMatchObject({ status: 'EXECUTED' });
    expect(setup.fake.orders()).toHaveLength(1);
  });
});

describe('live executor: fills lagging the order status', () => {
  it('keeps the order open until every fill is recorded', async () => {
    let lagging = true;
    const { kit, setup, context, executor } = await setupWith(async (setup) => ({
      client: { ...setup.client, listFills: async (query) => (lagging ? [] : setup.client.listFills(query)) },
    }), 0);
    const input = await kit.approve();
    const order = await executor.execute(input, context);
    expect(order.status).toBe('PARTIALLY_FILLED');
    expect(await kit.store.listFills(order.id)).toHaveLength(0);
    lagging = false;
    const later = await executor.refresh(order, context);
    expect(later.status).toBe('EXECUTED');
    expect((await kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(setup.fake.orders()[0]!.filled_size);
  });
});

describe('pipeline with the live executor: a failure while following a placed order', () => {
  it('hands the order to the fills stage instead of failing the recommendation', async () => {
    const { TradepipeError, createPipeline } = await import('@tradepipe/core');
    let notYetVisible = 1;
    const { kit, setup, context, executor } = await setupWith(async (setup) => ({
      client: {
        ...setup.client,
        getOrder: async (orderId, options) => {
          if (notYetVisible-- > 0) throw new TradepipeError('not_found', 'Coinbase does not know the resource (404)', { details: { status: 404 } });
          return setup.client.getOrder(orderId, options);
        },
      },
    }));
    const input = await kit.approve();
    const pipeline = createPipeline({ pipelineId: 'review', store: kit.store, executor, stages: ['execution', 'fills'], clock: context.clock });
    await pipeline.runUntilIdle();
    expect(notYetVisible).toBeLessThan(0); // the 404 happened while following
    expect((await kit.store.getRecommendation(input.recommendation.id))?.status.state).toBe('EXECUTED');
    expect((await kit.store.listOrders({}))[0]!.status).toBe('EXECUTED');
    expect((await kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(setup.fake.orders()[0]!.filled_size);
    expect(await kit.store.listActiveReservations()).toEqual([]);
    expect(setup.fake.orders()).toHaveLength(1);
  });
});

describe('live executor: kill switch', () => {
  it('places no BUY approved before the kill switch was engaged', async () => {
    const { kit, setup, context, executor } = await setupWith();
    const input = await kit.approve(); // risk approved before the incident
    await kit.store.updateRiskState({ killSwitch: { engaged: true, mode: 'freeze', reason: 'exchange incident', changedAtMs: kit.clock.nowMs() }, updatedAtMs: kit.clock.nowMs() });
    const error = await executor.execute(input, context).catch((thrown: unknown) => thrown);
    expect(isTradepipeError(error, 'kill_switch_engaged')).toBe(true);
    expect(setup.fake.orders()).toHaveLength(0);
    expect(await kit.store.listOrders({})).toEqual([]);
  });
});

describe('live executor: an order that never left', () => {
  it('is never sent after its approval expired', async () => {
    const { kit, setup, context, executor } = await setupWith();
    setup.fake.faults.dropRequests(50, { method: 'POST', path: '/orders' });
    const input = await kit.approve(); // approval TTL 60 s
    const first = await executor.execute(input, context).catch((error: unknown) => error);
    expect(isTradepipeError(first, 'order_state_unknown')).toBe(true);
    expect(setup.fake.orders()).toHaveLength(0);
    setup.fake.faults.clear();
    kit.clock.advance(24 * 3_600_000);
    const later = await executor.execute(input, context);
    // Its sends may have reached the exchange (cut connections): a search long after the last send decides.
    expect(later).toMatchObject({ status: 'FAILED', statusReason: 'NOT_FOUND_ON_EXCHANGE' });
    expect(setup.fake.orders()).toHaveLength(0);
    expect(await kit.store.listActiveReservations()).toEqual([]);
  });
});

describe('live executor: a refused re-send of an order whose answer was lost', () => {
  it('finds the order placed by the first request instead of calling it rejected', async () => {
    const { TradepipeError } = await import('@tradepipe/core');
    let blindSearches = 2;
    const { kit, setup, context, executor } = await setupWith(async (setup) => ({
      client: {
        ...setup.client,
        // The first scans miss the order (the exchange's list lags), and the re-send is refused as a duplicate.
        listOrders: async (query) => (blindSearches-- > 0 ? { orders: [], hasNext: false, cursor: '' } : setup.client.listOrders(query)),
        createOrder: async (request, options) => {
          if (setup.fake.orders().length > 0) throw new TradepipeError('exchange_rejected', 'duplicate client_order_id', { details: { failureReason: 'DUPLICATE' } });
          return setup.client.createOrder(request, options);
        },
      },
    }));
    setup.fake.faults.dropResponses(1);
    const input = await kit.approve();
    const order = await executor.execute(input, context).catch(() => undefined);
    const settled = order ?? (await executor.execute(input, context));
    expect(settled.status).toBe('EXECUTED');
    expect(settled.exchangeOrderId).toBe(setup.fake.orders()[0]!.order_id);
    expect(setup.fake.orders()).toHaveLength(1);
  });
});

