/* Benchmarks of @tradepipe/coinbase against the local fake exchange. BENCH_QUICK=1 for a short run. */
import { sign as cryptoSign } from 'node:crypto';
import { Agent, request } from 'undici';
import { decimal, GRANULARITIES } from '@tradepipe/core';
import { CoinbaseCandleSource, createCoinbaseClient, createJwtSigner, parseCdpKey } from '../src/index.js';
import { createTestKeyPair, startFakeCoinbase } from '../src/testing.js';

const QUICK = process.env.BENCH_QUICK === '1';
interface Row {
  readonly name: string;
  readonly measured: string;
  readonly reference: string;
  readonly ratio: string;
  readonly target: string;
  readonly met: boolean;
}
const rows: Row[] = [];

async function benchJwt(): Promise<void> {
  for (const type of ['ec', 'ed25519'] as const) {
    const keys = createTestKeyPair({ type });
    const key = parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem });
    const signer = createJwtSigner({ key });
    const count = QUICK ? 2_000 : 20_000;
    for (let index = 0; index < 200; index += 1) await signer.signRest({ method: 'GET', host: 'api.coinbase.com', path: '/api/v3/brokerage/accounts' });
    let startedAt = performance.now();
    for (let index = 0; index < count; index += 1) await signer.signRest({ method: 'GET', host: 'api.coinbase.com', path: '/api/v3/brokerage/accounts' });
    const signsPerSecond = count / ((performance.now() - startedAt) / 1000);
    // Reference: the bare signature over a JWT-sized input with node:crypto (no JSON, base64url or jose).
    const input = Buffer.alloc(300, 1);
    startedAt = performance.now();
    for (let index = 0; index < count; index += 1) cryptoSign(type === 'ec' ? 'sha256' : null, input, type === 'ec' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey);
    const rawPerSecond = count / ((performance.now() - startedAt) / 1000);
    rows.push({
      name: `JWT signs/s (${type === 'ec' ? 'ES256' : 'EdDSA'})`,
      measured: signsPerSecond.toFixed(0),
      reference: `${rawPerSecond.toFixed(0)} (raw crypto.sign)`,
      ratio: (rawPerSecond / signsPerSecond).toFixed(2),
      target: '≥ 2000/s',
      met: signsPerSecond >= 2_000,
    });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function benchOrderRoundTrip(): Promise<void> {
  const keys = createTestKeyPair({ type: 'ec' });
  const key = parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem });
  const fake = await startFakeCoinbase({ keys: [keys], balances: { USD: '100000000' }, enforceRateLimits: false });
  const client = createCoinbaseClient({ baseUrl: fake.url, key, privateRatePerSecond: 1_000_000, privateBurst: 1_000_000, connections: 1 });
  const signer = createJwtSigner({ key });
  const agent = new Agent({ connections: 1 });
  const url = new URL('/api/v3/brokerage/orders', fake.url);
  let sequence = 0;
  const viaClient = async (): Promise<void> => {
    sequence += 1;
    await client.createOrder({ clientOrderId: `bench-client-${sequence}`, productId: 'BTC-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('10') } });
  };
  const viaRaw = async (): Promise<void> => {
    sequence += 1;
    const jwt = await signer.signRest({ method: 'POST', host: url.host, path: url.pathname });
    const body = JSON.stringify({ client_order_id: `bench-raw-${sequence}`, product_id: 'BTC-USD', side: 'BUY', order_configuration: { market_market_ioc: { quote_size: '10' } } });
    const response = await request(url, { method: 'POST', headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json', accept: 'application/json' }, body, dispatcher: agent });
    const parsed = (await response.body.json()) as { success: boolean };
    if (!parsed.success) throw new Error('raw order refused');
  };
  // Requests alternate one by one (client, raw, raw, client, …) so load from other processes hits both alike.
  const pairs = QUICK ? 400 : 3_000;
  for (let index = 0; index < 100; index += 1) await (index % 2 === 0 ? viaClient() : viaRaw());
  const clientTimes: number[] = [];
  const rawTimes: number[] = [];
  const timed = async (run: () => Promise<void>, times: number[]): Promise<void> => {
    const startedAt = performance.now();
    await run();
    times.push(performance.now() - startedAt);
  };
  for (let index = 0; index < pairs; index += 1) {
    if (index % 2 === 0) {
      await timed(viaClient, clientTimes);
      await timed(viaRaw, rawTimes);
    } else {
      await timed(viaRaw, rawTimes);
      await timed(viaClient, clientTimes);
    }
  }
  const clientMs = median(clientTimes);
  const rawMs = median(rawTimes);
  rows.push({
    name: 'order round trip (POST /orders), ms',
    measured: clientMs.toFixed(3),
    reference: `${rawMs.toFixed(3)} (raw undici + JWT)`,
    ratio: (clientMs / rawMs).toFixed(2),
    target: 'ratio ≤ 1.1',
    met: clientMs / rawMs <= 1.1,
  });
  await client.close();
  await agent.close();
  await fake.close();
}

async function benchBackfill(): Promise<void> {
  const fake = await startFakeCoinbase({ enforceRateLimits: false });
  const client = createCoinbaseClient({ baseUrl: fake.url, publicRatePerSecond: 1_000_000, publicBurst: 1_000_000 });
  const source = new CoinbaseCandleSource({ client, publicEndpoints: true });
  const stepMs = GRANULARITIES.ONE_MINUTE;
  const days = QUICK ? 3 : 30;
  const toStartMs = Math.floor(Date.now() / stepMs) * stepMs;
  const fromStartMs = toStartMs - days * 86_400_000;
  let count = 0;
  let startedAt = performance.now();
  for await (const page of source.backfill({ productId: 'BTC-USD', granularity: 'ONE_MINUTE', fromStartMs, toStartMs })) count += page.length;
  const candlesPerSecond = count / ((performance.now() - startedAt) / 1000);
  // Reference: the same pages fetched with undici and JSON.parse, no validation or mapping.
  const agent = new Agent({ connections: 1 });
  let rawCount = 0;
  startedAt = performance.now();
  for (let pageStartMs = fromStartMs; pageStartMs < toStartMs; pageStartMs += 300 * stepMs) {
    const pageEndMs = Math.min(pageStartMs + 300 * stepMs, toStartMs);
    const response = await request(`${fake.url}/api/v3/brokerage/market/products/BTC-USD/candles?start=${pageStartMs / 1000}&end=${pageEndMs / 1000}&granularity=ONE_MINUTE`, { dispatcher: agent });
    rawCount += ((await response.body.json()) as { candles: unknown[] }).candles.length;
  }
  const rawPerSecond = rawCount / ((performance.now() - startedAt) / 1000);
  rows.push({
    name: `candle backfill, candles/s (${count} candles)`,
    measured: candlesPerSecond.toFixed(0),
    reference: `${rawPerSecond.toFixed(0)} (raw undici + JSON.parse)`,
    ratio: (rawPerSecond / candlesPerSecond).toFixed(2),
    target: '≥ 10000/s (limiter off)',
    met: candlesPerSecond >= 10_000,
  });
  await agent.close();
  await client.close();
  await fake.close();
}

await benchJwt();
await benchOrderRoundTrip();
await benchBackfill();
console.log(`@tradepipe/coinbase bench (${QUICK ? 'quick' : 'full'}) on node ${process.version}`);
console.log('| benchmark | measured | reference (same run) | ratio | target | result |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(`| ${row.name} | ${row.measured} | ${row.reference} | ${row.ratio} | ${row.target} | ${row.met ? 'MET' : 'MISSED'} |`);
