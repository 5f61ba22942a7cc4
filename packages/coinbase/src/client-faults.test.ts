import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, decimal, systemClock, type Clock } from '@tradepipe/core';
import { parseCdpKey } from './cdp-key.js';
import { createCoinbaseClient } from './client.js';
import { createCapturingLogger, startFakeSetup, type FakeSetup } from './test-fixtures.js';
import { createTestKeyPair } from './testing/test-keys.js';
import { createJwtSigner } from './jwt-signer.js';

let setup: FakeSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

const offsetClock = (offsetMs: number): Clock => ({ nowMs: () => Date.now() + offsetMs, sleep: systemClock.sleep });

describe('authentication against the fake', () => {
  it('accepts Ed25519 keys too', async () => {
    setup = await startFakeSetup({ keyType: 'ed25519' });
    expect(await setup.client.listAccounts()).toHaveLength(1);
  });

  it('answers 401 for an expired token (auth_failed)', async () => {
    setup = await startFakeSetup();
    const stale = createCoinbaseClient({ baseUrl: setup.fake.url, key: setup.key, clock: offsetClock(-10 * 60_000), maxClockSkewMs: 3_600_000 });
    await expect(stale.listAccounts()).rejects.toMatchObject({ code: 'auth_failed', details: { status: 401 } });
    await stale.close();
  });

  it('answers 401 for a token signed by another key', async () => {
    setup = await startFakeSetup();
    const other = createTestKeyPair();
    const impostor = createCoinbaseClient({ baseUrl: setup.fake.url, key: parseCdpKey({ name: setup.keys.name, privateKey: other.privateKeyPem }) });
    await expect(impostor.listAccounts()).rejects.toMatchObject({ code: 'auth_failed' });
    await impostor.close();
  });

  it('answers 401 for a token minted for another uri', async () => {
    setup = await startFakeSetup();
    const signer = createJwtSigner({ key: setup.key });
    const wrongUri = { keyName: signer.keyName, signWebSocket: signer.signWebSocket, signRest: () => signer.signRest({ method: 'GET', host: 'api.coinbase.com', path: '/api/v3/brokerage/accounts' }) };
    const client = createCoinbaseClient({ baseUrl: setup.fake.url, signer: wrongUri });
    await expect(client.listAccounts()).rejects.toMatchObject({ code: 'auth_failed' });
    await client.close();
  });

  it('answers 403 for a key without the trade scope (permission_denied)', async () => {
    const keys = createTestKeyPair();
    setup = await startFakeSetup({ fake: { keys: [{ name: keys.name, publicKey: keys.publicKey, canTrade: false }] } });
    const client = createCoinbaseClient({ baseUrl: setup.fake.url, key: parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem }) });
    await expect(client.createOrder({ clientOrderId: 'x', productId: 'BTC-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('10') } })).rejects.toMatchObject({
      code: 'permission_denied',
      details: { reason: 'Missing required scopes' },
    });
    await client.close();
  });

  it('refuses a skewed clock at start (clock_skew)', async () => {
    setup = await startFakeSetup();
    const skewed = createCoinbaseClient({ baseUrl: setup.fake.url, key: setup.key, clock: offsetClock(120_000) });
    await expect(skewed.checkClockSkew()).rejects.toMatchObject({ code: 'clock_skew' });
    await skewed.close();
  });
});

describe('faults', () => {
  it('waits out a 429 burst honouring Retry-After and succeeds', async () => {
    setup = await startFakeSetup();
    setup.fake.faults.rateLimitBurst(3, { retryAfterSeconds: 0.05 });
    expect(await setup.client.listAccounts()).toHaveLength(1);
    expect(setup.fake.requests.map((request) => request.status)).toEqual([429, 429, 429, 200]);
  });

  it('gives up with rate_limited after the retry budget', async () => {
    setup = await startFakeSetup({ client: { maxRateLimitRetries: 2 } });
    setup.fake.faults.rateLimitBurst(5);
    await expect(setup.client.listAccounts()).rejects.toMatchObject({ code: 'rate_limited', retryable: true });
  });

  it('stays within the published limit: 90 private requests in a burst meet no 429', async () => {
    setup = await startFakeSetup();
    const startedAtMs = performance.now();
    await Promise.all(Array.from({ length: 90 }, () => setup!.client.getFeeTier()));
    const elapsedMs = performance.now() - startedAtMs;
    expect(setup.fake.requests.filter((request) => request.status === 429)).toHaveLength(0);
    // 10 at once, then 30/s: the last of 90 leaves after about (90 - 10) / 30 s.
    expect(elapsedMs).toBeGreaterThan(2_400);
  });

  it('retries reads after 5xx, and not order creation', async () => {
    setup = await startFakeSetup();
    setup.fake.faults.serverErrors(2, { method: 'GET', path: '/accounts' });
    expect(await setup.client.listAccounts()).toHaveLength(1);
    setup.fake.faults.serverErrors(1, { method: 'POST', path: '/orders', status: 502 });
    await expect(setup.client.createOrder({ clientOrderId: 'x', productId: 'BTC-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('10') } })).rejects.toMatchObject({
      code: 'exchange_unavailable',
      details: { status: 502 },
    });
    expect(setup.fake.requests.filter((request) => request.path === '/orders')).toHaveLength(1);
  });

  it('reports a dropped response as network_error with the request sent', async () => {
    setup = await startFakeSetup();
    setup.fake.faults.dropResponses(1);
    await expect(setup.client.createOrder({ clientOrderId: 'drop-1', productId: 'BTC-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('10') } })).rejects.toMatchObject({
      code: 'network_error',
      details: { requestSent: true },
    });
    expect(setup.fake.orders()).toHaveLength(1);
  });

  it('times out a slow answer (timeout)', async () => {
    setup = await startFakeSetup({ client: { timeoutMs: 100, maxRetries: 0 } });
    setup.fake.faults.latency(400);
    await expect(setup.client.getFeeTier()).rejects.toMatchObject({ code: 'timeout' });
  });

  it('reports a refused connection as network_error not sent, and aborts on the caller signal', async () => {
    const keys = createTestKeyPair();
    const client = createCoinbaseClient({ baseUrl: 'http://127.0.0.1:1', key: parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem }), maxRetries: 0 });
    await expect(client.listAccounts()).rejects.toMatchObject({ code: 'network_error', details: { requestSent: false } });
    const controller = new AbortController();
    controller.abort();
    await expect(client.listAccounts({ signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    await client.close();
  });

  it('keeps the key, JWTs and PEM out of logs and errors', async () => {
    const logger = createCapturingLogger();
    setup = await startFakeSetup({ logger, clock: systemClock });
    setup.fake.faults.rateLimitBurst(1);
    setup.fake.faults.serverErrors(1, { path: '/accounts' });
    await setup.client.listAccounts();
    const errors: unknown[] = [];
    const stale = createCoinbaseClient({ baseUrl: setup.fake.url, key: setup.key, clock: createManualClock(0), logger });
    await stale.listAccounts().catch((error: unknown) => errors.push(error));
    await stale.close();
    const captured = [...logger.lines, ...errors.map((error) => JSON.stringify(error) + String(error) + JSON.stringify((error as Error).cause ?? null))].join('\n');
    expect(logger.lines.length).toBeGreaterThan(2);
    const pemBody = setup.keys.privateKeyPem.split('\n')[1]!;
    expect(captured).not.toContain(pemBody);
    expect(captured).not.toContain('BEGIN EC PRIVATE KEY');
    expect(captured).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\./);
    expect(captured).not.toMatch(/Bearer/i);
  });
});
