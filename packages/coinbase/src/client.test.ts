import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decimal, GRANULARITIES, isTradepipeError } from '@tradepipe/core';
import { startFakeSetup, type FakeSetup } from './test-fixtures.js';

let setup: FakeSetup;
beforeEach(async () => {
  setup = await startFakeSetup({ fake: { balances: { USD: '1000', BTC: '0.5' } } });
});
afterEach(async () => {
  await setup.close();
});

describe('CoinbaseClient against the fake over HTTP', () => {
  it('reads server time and checks the skew', async () => {
    const serverMs = await setup.client.getServerTimeMs();
    expect(Math.abs(serverMs - Date.now())).toBeLessThan(5_000);
    expect(Math.abs(await setup.client.checkClockSkew())).toBeLessThan(5_000);
  });

  it('pages through accounts with the cursor', async () => {
    for (let index = 0; index < 300; index += 1) setup.fake.setBalance(`C${String(index).padStart(3, '0')}`, '1');
    const accounts = await setup.client.listAccounts();
    expect(accounts).toHaveLength(302);
    expect(accounts.find((account) => account.currency === 'USD')?.available_balance.value).toBe('1000');
    const pages = setup.fake.requests.filter((request) => request.path === '/accounts');
    expect(pages).toHaveLength(2);
  });

  it('maps products, private and public, with increments as decimals', async () => {
    const product = await setup.client.getProduct('BTC-USD');
    expect(product).toMatchObject({ productId: 'BTC-USD', baseCurrency: 'BTC', quoteCurrency: 'USD', baseIncrement: '0.00000001', quoteMinSize: '1', status: 'online' });
    expect(await setup.client.getProduct('ETH-USD', { public: true })).toMatchObject({ productId: 'ETH-USD' });
    expect((await setup.client.listProducts()).map((item) => item.productId)).toEqual(['BTC-USD', 'ETH-USD']);
    expect(await setup.client.listProducts({ public: true })).toHaveLength(2);
    setup.fake.updateProduct('ETH-USD', { cancel_only: true });
    expect((await setup.client.getProduct('ETH-USD')).status).toBe('cancel_only');
    setup.fake.updateProduct('ETH-USD', { cancel_only: false, limit_only: true });
    expect((await setup.client.getProduct('ETH-USD')).status).toBe('limit_only');
    setup.fake.updateProduct('ETH-USD', { limit_only: false, trading_disabled: true });
    expect((await setup.client.getProduct('ETH-USD')).status).toBe('disabled');
  });

  it('throws unknown_product for a product Coinbase does not list', async () => {
    await expect(setup.client.getProduct('NOPE-USD')).rejects.toMatchObject({ code: 'unknown_product', details: { status: 404, exchangeError: 'NOT_FOUND' } });
  });

  it('reads best bid/ask and the fee tier', async () => {
    setup.fake.setPrice('BTC-USD', { bid: '49999.99', ask: '50000.01' });
    expect(await setup.client.getBestBidAsk(['BTC-USD'])).toEqual([{ productId: 'BTC-USD', bid: '49999.99', ask: '50000.01' }]);
    expect(await setup.client.getFeeTier()).toEqual({ pricingTier: 'Advanced 1', takerFeeRate: '0.012', makerFeeRate: '0.006' });
  });

  it('reads candles oldest first within the range, public and private', async () => {
    const stepMs = GRANULARITIES.ONE_HOUR;
    const endMs = Math.floor(Date.now() / stepMs) * stepMs - 10 * stepMs;
    const startMs = endMs - 300 * stepMs;
    const candles = await setup.client.getCandles({ productId: 'BTC-USD', granularity: 'ONE_HOUR', startMs, endMs });
    expect(candles).toHaveLength(300);
    expect(candles[0]!.startMs).toBe(startMs);
    expect(candles.at(-1)!.startMs).toBe(endMs - stepMs);
    expect(candles.every((candle, index) => index === 0 || candle.startMs - candles[index - 1]!.startMs === stepMs)).toBe(true);
    const publicCandles = await setup.client.getCandles({ productId: 'BTC-USD', granularity: 'ONE_HOUR', startMs, endMs, public: true });
    expect(publicCandles).toEqual(candles);
    await expect(setup.client.getCandles({ productId: 'BTC-USD', granularity: 'ONE_HOUR', startMs, endMs: endMs + stepMs })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('previews, creates (idempotent on client_order_id), gets, lists and fills orders', async () => {
    const preview = await setup.client.previewOrder({ productId: 'BTC-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('101.2') } });
    expect(preview.commission_total).toBeDefined();
    expect(setup.fake.orders()).toHaveLength(0);
    const request = { clientOrderId: 'client-1', productId: 'BTC-USD', side: 'BUY' as const, configuration: { type: 'market_ioc' as const, quoteSize: decimal('101.2') } };
    const created = await setup.client.createOrder(request);
    const again = await setup.client.createOrder(request);
    expect(again.orderId).toBe(created.orderId);
    expect(setup.fake.orders()).toHaveLength(1);
    const order = await setup.client.getOrder(created.orderId);
    // 101.2 / 1.012 = 100 USD of BTC at 50000 = 0.002 BTC; fee 1.2 USD.
    expect(order).toMatchObject({ status: 'FILLED', client_order_id: 'client-1', filled_size: '0.002', filled_value: '100', total_fees: '1.2', average_filled_price: '50000' });
    const fills = await setup.client.listFills({ orderIds: [created.orderId] });
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ order_id: created.orderId, size: '100', size_in_quote: true, price: '50000', commission: '1.2', liquidity_indicator: 'TAKER' });
    const page = await setup.client.listOrders({ productIds: ['BTC-USD'], startMs: Date.now() - 60_000 });
    expect(page.orders.map((item) => item.order_id)).toEqual([created.orderId]);
    const balances = setup.fake.balances();
    expect(balances.USD!.available).toBe('898.8');
    expect(balances.BTC!.available).toBe('0.502');
  });

  it('refuses orders with HTTP 200 success:false and keeps the reason', async () => {
    const tooBig = setup.client.createOrder({ clientOrderId: 'c-big', productId: 'BTC-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('5000') } });
    await expect(tooBig).rejects.toMatchObject({ code: 'insufficient_funds', details: { failureReason: 'INSUFFICIENT_FUND', clientOrderId: 'c-big' } });
    const tooSmall = setup.client.createOrder({ clientOrderId: 'c-small', productId: 'BTC-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('0.5') } });
    await expect(tooSmall).rejects.toMatchObject({ code: 'exchange_rejected', details: { failureReason: 'PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL' } });
    setup.fake.updateProduct('ETH-USD', { limit_only: true });
    const limitOnly = setup.client.createOrder({ clientOrderId: 'c-eth', productId: 'ETH-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('10') } });
    await expect(limitOnly).rejects.toMatchObject({ code: 'exchange_rejected', details: { failureReason: 'ORDER_ENTRY_DISABLED' } });
    expect(setup.fake.orders()).toHaveLength(0);
  });

  it('places limit IOC with a price cap and limit GTC, and cancels', async () => {
    const capped = await setup.client.createOrder({ clientOrderId: 'ioc-1', productId: 'BTC-USD', side: 'BUY', configuration: { type: 'limit_ioc', baseSize: decimal('0.001'), limitPrice: decimal('49000') } });
    expect(await setup.client.getOrder(capped.orderId)).toMatchObject({ status: 'CANCELLED', filled_size: '0' });
    const crossing = await setup.client.createOrder({ clientOrderId: 'ioc-2', productId: 'BTC-USD', side: 'BUY', configuration: { type: 'limit_ioc', baseSize: decimal('0.001'), limitPrice: decimal('51000') } });
    expect(await setup.client.getOrder(crossing.orderId)).toMatchObject({ status: 'FILLED', filled_size: '0.001', average_filled_price: '50000' });
    const resting = await setup.client.createOrder({ clientOrderId: 'gtc-1', productId: 'BTC-USD', side: 'SELL', configuration: { type: 'limit_gtc', baseSize: decimal('0.1'), limitPrice: decimal('60000') } });
    expect((await setup.client.getOrder(resting.orderId)).status).toBe('OPEN');
    expect(setup.fake.balances().BTC!.hold).toBe('0.1');
    const results = await setup.client.cancelOrders([resting.orderId, 'missing']);
    expect(results).toEqual([
      { orderId: resting.orderId, success: true, failureReason: 'UNKNOWN_CANCEL_FAILURE_REASON' },
      { orderId: 'missing', success: false, failureReason: 'UNKNOWN_CANCEL_ORDER' },
    ]);
    expect(setup.fake.balances().BTC!.hold).toBe('0');
  });

  it('gets not_found for an unknown order id', async () => {
    await expect(setup.client.getOrder('nope')).rejects.toSatisfy((error) => isTradepipeError(error, 'not_found'));
  });
});
