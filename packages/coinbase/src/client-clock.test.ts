// Issue 13: a client given a manual (replay) clock must still return from a retried or paced request. Its waits
// (retry backoff, Retry-After, the rate limiter) run on its `networkClock`, real time by default, never on `clock`.
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, decimal, systemClock, type Clock } from '@tradepipe/core';
import { createCoinbaseClient, parseCdpKey, type CoinbaseClient } from './index.js';
import { createTestKeyPair, startFakeCoinbase, type FakeCoinbase } from './testing.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A fake and a client that both read a manual clock nobody advances. */
async function onManualClock(options: { readonly networkClock?: Clock; readonly publicRatePerSecond?: number } = {}): Promise<{ fake: FakeCoinbase; client: CoinbaseClient }> {
  const clock = createManualClock(Date.now());
  const keys = createTestKeyPair();
  const fake = await startFakeCoinbase({ keys: [keys], clock });
  const client = createCoinbaseClient({
    baseUrl: fake.url,
    key: parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem }),
    clock,
    retryBaseDelayMs: 5,
    ...(options.publicRatePerSecond === undefined ? {} : { publicRatePerSecond: options.publicRatePerSecond }),
    ...(options.networkClock === undefined ? {} : { networkClock: options.networkClock }),
  });
  cleanups.push(async () => {
    await client.close();
    await fake.close();
  });
  return { fake, client };
}

// Each of these hung forever before the fix (the backoff or the limiter slept on the manual clock).
describe('a Coinbase client on a manual clock', () => {
  it('retries 429 and 503 on a read and returns', { timeout: 60_000 }, async () => {
    const { fake, client } = await onManualClock();
    fake.faults.rateLimitBurst(2, { path: '/accounts' });
    fake.faults.serverErrors(2, { path: '/accounts', status: 503 });
    expect(await client.listAccounts()).toHaveLength(1);
    expect(fake.requests.filter((request) => request.path === '/accounts').map((request) => request.status)).toEqual([429, 429, 503, 503, 200]);
  });

  it('retries a 429 on POST /orders and places the order once', { timeout: 60_000 }, async () => {
    const { fake, client } = await onManualClock();
    fake.faults.rateLimitBurst(3, { method: 'POST', path: '/orders' });
    const { orderId } = await client.createOrder({ clientOrderId: 'manual-clock-1', productId: 'BTC-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('10') } });
    expect(fake.orders().map((order) => order.order_id)).toEqual([orderId]);
  });

  it('paces requests past the limiter burst (in real time: the fake meets no request over its limit)', { timeout: 60_000 }, async () => {
    const { fake, client } = await onManualClock({ publicRatePerSecond: 9 }); // the fake allows 10/s per IP
    for (let index = 0; index < 12; index += 1) await client.getServerTimeMs();
    expect(fake.requests.filter((request) => request.path === '/time').map((request) => request.status)).toEqual(Array<number>(12).fill(200));
  });

  it('waits on the injected networkClock, honouring Retry-After', { timeout: 60_000 }, async () => {
    const waitsMs: number[] = [];
    const instant: Clock = { nowMs: systemClock.nowMs, sleep: async (durationMs) => void waitsMs.push(durationMs) };
    const { fake, client } = await onManualClock({ networkClock: instant });
    fake.faults.rateLimitBurst(1, { path: '/accounts', retryAfterSeconds: 30 });
    expect(await client.listAccounts()).toHaveLength(1);
    expect(waitsMs).toContain(30_000);
  });
});
