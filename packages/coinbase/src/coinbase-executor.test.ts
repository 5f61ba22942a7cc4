import { afterEach, describe, expect, it } from 'vitest';
import { decimal, systemClock, type StageContext } from '@tradepipe/core';
import { CoinbaseOrderExecutor } from './coinbase-executor.js';
import { createExecutorKit, type ExecutorKit } from './executor-test-kit.js';
import { createCapturingLogger, startFakeSetup, type FakeSetup } from './test-fixtures.js';

const LIVE = { liveTrading: { enabled: true, acknowledgeRealMoney: true } };
let setup: FakeSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

async function liveKit(options: { readonly fake?: Parameters<typeof startFakeSetup>[0]; readonly logger?: ReturnType<typeof createCapturingLogger> } = {}): Promise<{ kit: ExecutorKit; context: StageContext; executor: CoinbaseOrderExecutor; setup: FakeSetup }> {
  // The fake checks JWT expiry on the real clock, the store uses a manual one set to now.
  const kit = await createExecutorKit({ startAtMs: Date.now(), ...(options.logger === undefined ? {} : { logger: options.logger }) });
  setup = await startFakeSetup({ clock: systemClock, ...options.fake, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  const context: StageContext = { ...kit.context, clock: { nowMs: kit.clock.nowMs, sleep: (ms, signal) => systemClock.sleep(Math.min(ms, 20), signal) } };
  const executor = new CoinbaseOrderExecutor({ client: setup.client, approvalSigner: kit.signer, pollIntervalMs: 10, followTimeoutMs: 2_000, ...LIVE });
  return { kit, context, executor, setup };
}

describe('CoinbaseOrderExecutor', () => {
  it('refuses to start without the explicit opt-in', async () => {
    const kit = await createExecutorKit();
    const { createCoinbaseClient } = await import('./client.js');
    const client = createCoinbaseClient();
    expect(() => new CoinbaseOrderExecutor({ client, approvalSigner: kit.signer })).toThrow(expect.objectContaining({ code: 'live_trading_not_enabled' }));
    expect(() => new CoinbaseOrderExecutor({ client, approvalSigner: kit.signer, liveTrading: { enabled: true, acknowledgeRealMoney: false } })).toThrow(expect.objectContaining({ code: 'live_trading_not_enabled' }));
    await client.close();
  });

  it('places a market order and follows it to EXECUTED with fills, average price and fees', async () => {
    const { kit, context, executor, setup } = await liveKit();
    const order = await executor.execute(await kit.approve(), context);
    expect(order).toMatchObject({ status: 'EXECUTED', venue: 'coinbase', quoteSize: '100', filledBaseSize: '0.00197628', averageFillPrice: '50000' });
    expect(order.exchangeOrderId).toBe(setup.fake.orders()[0]!.order_id);
    const fills = await kit.store.listFills(order.id);
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ price: '50000', sizeBase: '0.00197628', commission: '1.185768' });
    expect((await kit.store.getPosition('BTC-USD'))?.sizeBase).toBe('0.00197628');
  });

  it('survives a dropped response and retries: exactly one order on the exchange', async () => {
    const { kit, context, executor, setup } = await liveKit();
    setup.fake.faults.dropResponses(1);
    const input = await kit.approve();
    const order = await executor.execute(input, context);
    expect(order.status).toBe('EXECUTED');
    // A second call for the same recommendation reconciles, never places again.
    expect((await executor.execute(input, context)).id).toBe(order.id);
    expect(setup.fake.orders()).toHaveLength(1);
    expect(setup.fake.requests.filter((request) => request.method === 'POST' && request.path === '/orders').map((request) => request.status)).toEqual(['dropped']);
  });

  it('keeps UNKNOWN and throws order_state_unknown while Coinbase cannot answer, then resolves without a second order', async () => {
    const { kit, context, executor, setup } = await liveKit();
    setup.fake.faults.dropResponses(1);
    setup.fake.faults.serverErrors(40, { path: '/orders/historical/batch' });
    setup.fake.faults.serverErrors(1, { method: 'POST', path: '/orders' });
    const input = await kit.approve();
    await expect(executor.execute(input, context)).rejects.toMatchObject({ code: 'order_state_unknown', retryable: true });
    const stored = (await kit.store.listOrders({}))[0]!;
    expect(stored.status).toBe('UNKNOWN');
    setup.fake.faults.clear();
    const resolved = await executor.execute(input, context);
    expect(resolved.status).toBe('EXECUTED');
    expect(setup.fake.orders()).toHaveLength(1);
  });

  it('re-sends an order whose request was cut, with the same client_order_id, on the next attempt (not in the same one)', async () => {
    const { kit, context, executor, setup } = await liveKit();
    setup.fake.faults.dropRequests(1);
    const input = await kit.approve();
    await expect(executor.execute(input, context)).rejects.toMatchObject({ code: 'order_state_unknown', retryable: true });
    expect(setup.fake.orders()).toHaveLength(0);
    expect(await executor.execute(input, context)).toMatchObject({ status: 'EXECUTED' });
    expect(setup.fake.orders()).toHaveLength(1);
    expect(setup.fake.orders()[0]!.client_order_id).toBe(input.approval.clientOrderId);
  });

  it('records REJECTED with the exchange reason', async () => {
    const { kit, context, executor, setup } = await liveKit({ fake: { fake: { balances: { USD: '20' } } } });
    const order = await executor.execute(await kit.approve(), context);
    expect(order).toMatchObject({ status: 'REJECTED', statusReason: 'INSUFFICIENT_FUND' });
    expect(setup.fake.orders()).toHaveLength(0);
  });

  it('follows partial fills to EXECUTED (manual fills) and an IOC cancelled without fill to FAILED', async () => {
    const { kit, context, executor, setup } = await liveKit({ fake: { fake: { orderFills: 'manual' } } });
    const executorShort = new CoinbaseOrderExecutor({ client: setup.client, approvalSigner: kit.signer, followTimeoutMs: 0, ...LIVE });
    const order = await executorShort.execute(await kit.approve(), context);
    expect(order.status).toBe('ACKNOWLEDGED');
    const exchangeId = order.exchangeOrderId!;
    setup.fake.fillOrder(exchangeId, { baseSize: '0.001' });
    const partial = await executor.refresh(order, context);
    expect(partial).toMatchObject({ status: 'PARTIALLY_FILLED', filledBaseSize: '0.001' });
    setup.fake.fillOrder(exchangeId, { baseSize: '0.0005', price: '50100' });
    setup.fake.finishOrder(exchangeId, 'CANCELLED');
    const done = await executor.refresh(partial, context);
    expect(done).toMatchObject({ status: 'EXECUTED', filledBaseSize: '0.0015', statusReason: 'CANCELLED_AFTER_PARTIAL_FILL' });
    expect(await kit.store.listFills(order.id)).toHaveLength(2);
    const second = await executorShort.execute(await kit.approve({ index: 1 }), context);
    setup.fake.finishOrder(second.exchangeOrderId!, 'CANCELLED');
    expect(await executor.refresh(second, context)).toMatchObject({ status: 'FAILED', statusReason: 'CANCELLED_WITHOUT_FILL' });
  });

  it('refuses cancel-only products before consuming the approval', async () => {
    const { kit, context, executor, setup } = await liveKit();
    setup.fake.updateProduct('BTC-USD', { cancel_only: true });
    await expect(executor.execute(await kit.approve(), context)).rejects.toMatchObject({ code: 'product_not_tradable' });
    expect(await kit.store.listOrders({})).toHaveLength(0);
  });

  it('reconciles balances with /accounts at start and reports drift', async () => {
    const { kit, context, executor } = await liveKit({ fake: { fake: { balances: { USD: '1234.5', BTC: '0.1' } } } });
    await kit.store.putBalances([{ currency: 'USD', available: decimal('1000'), hold: decimal('0'), updatedAtMs: kit.clock.nowMs() }]);
    const result = await executor.start(context);
    expect(result.drift).toEqual([
      { currency: 'USD', storedAvailable: '1000', exchangeAvailable: '1234.5' },
      { currency: 'BTC', storedAvailable: '0', exchangeAvailable: '0.1' },
    ]);
    expect((await kit.store.listBalances()).find((balance) => balance.currency === 'USD')?.available).toBe('1234.5');
    expect((await executor.reconcile(context)).drift).toEqual([]);
  });

  it('reports a position the account cannot cover', async () => {
    const { kit, context, executor } = await liveKit({ fake: { fake: { balances: { USD: '1000', BTC: '0.001' } } } });
    const input = await kit.approve();
    const order = await executor.execute(input, context);
    expect(order.status).toBe('EXECUTED');
    expect((await executor.reconcile(context)).positionDrift).toEqual([]);
    // A position larger than the account holds (a fill recorded twice by hand, a withdrawal outside the pipeline).
    await kit.store.recordFill({ ...(await kit.store.listFills(order.id))[0]!, id: 'manual-extra', sizeBase: decimal('1') }, { quoteCurrency: 'USD', baseCurrency: 'BTC' });
    const { positionDrift } = await executor.reconcile(context);
    expect(positionDrift).toHaveLength(1);
    expect(positionDrift[0]).toMatchObject({ productId: 'BTC-USD' });
  });

  it('keeps secrets out of logs, errors and stored rows', async () => {
    const logger = createCapturingLogger();
    const { kit, context, executor, setup } = await liveKit({ logger });
    setup.fake.faults.dropResponses(1);
    setup.fake.faults.rateLimitBurst(1);
    await executor.execute(await kit.approve(), context);
    const rows = JSON.stringify([await kit.store.listOrders({}), await kit.store.listBalances(), await kit.store.listPositions()]);
    const everything = [...logger.lines, rows].join('\n');
    expect(logger.lines.length).toBeGreaterThan(3);
    for (const line of setup.keys.privateKeyPem.split('\n').filter((text) => text.length > 20)) expect(everything).not.toContain(line);
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\./);
    expect(everything).not.toContain('PRIVATE KEY');
  });
});
