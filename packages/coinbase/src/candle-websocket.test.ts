import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, GRANULARITIES, type Candle, type ManualClock } from '@tradepipe/core';
import { CoinbaseCandleSource } from './candle-source.js';
import { startFakeSetup, type FakeSetup } from './test-fixtures.js';

const STEP = GRANULARITIES.FIVE_MINUTE;
const B0 = Date.UTC(2025, 0, 10, 12, 0, 0);
let setup: FakeSetup | undefined;
let controller: AbortController | undefined;
afterEach(async () => {
  controller?.abort();
  await setup?.close();
  setup = undefined;
});

// Budgets that hold on a loaded machine; a condition met early returns at once.
async function waitFor(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const startedAtMs = performance.now();
  while (!check()) {
    if (performance.now() - startedAtMs > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function startLive(clock: ManualClock, extra: Partial<ConstructorParameters<typeof CoinbaseCandleSource>[0]> = {}): Promise<{ received: Candle[] }> {
  setup = await startFakeSetup({ fake: { clock, heartbeatIntervalMs: 50 } });
  const source = new CoinbaseCandleSource({ client: setup.client, clock, publicEndpoints: true, websocketUrl: setup.fake.wsUrl, closeDelayMs: 1_000, reconnectDelayMs: 20, heartbeatTimeoutMs: 400, ...extra });
  controller = new AbortController();
  const received: Candle[] = [];
  const iterator = source.subscribe({ series: [{ productId: 'BTC-USD', granularity: 'FIVE_MINUTE' }], signal: controller.signal });
  void (async () => {
    for await (const candle of iterator) received.push(candle);
  })();
  await waitFor(() => setup!.fake.websocket.connectionCount === 1, 'a connection');
  return { received };
}

const wireAt = (startMs: number, close = '50010.00') => ({ start: String(startMs / 1000), open: '50000.00', high: '50020.00', low: '49990.00', close, volume: '1.5' });

describe('CoinbaseCandleSource.subscribe over the WebSocket', () => {
  it('emits a bucket once a newer one appears, with the WebSocket values, and closes quiet buckets on heartbeats', async () => {
    const clock = createManualClock(B0 + 10_000);
    const { received } = await startLive(clock);
    await waitFor(() => setup!.fake.websocket.subscriberCount('candles', 'BTC-USD') === 1, 'the candles subscription');
    setup!.fake.websocket.publishCandles('BTC-USD', [wireAt(B0, '50001.00')]);
    setup!.fake.websocket.publishCandles('BTC-USD', [wireAt(B0, '50002.00')]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    clock.set(B0 + STEP + 5_000);
    setup!.fake.websocket.publishCandles('BTC-USD', [wireAt(B0 + STEP)]);
    await waitFor(() => received.length === 1, 'the first bucket');
    expect(received[0]).toMatchObject({ startMs: B0, close: 50002, gapFilled: false });
    // No trade opens a newer bucket: the heartbeat after the close delay closes it.
    clock.set(B0 + 2 * STEP + 1_500);
    await waitFor(() => received.length === 2, 'the quiet close');
    expect(received[1]).toMatchObject({ startMs: B0 + STEP, close: 50010 });
  });

  it('reconnects after a drop and backfills the missed buckets over REST, in order', async () => {
    const clock = createManualClock(B0 + 10_000);
    const { received } = await startLive(clock);
    await waitFor(() => setup!.fake.websocket.subscriberCount('candles', 'BTC-USD') === 1, 'the candles subscription');
    setup!.fake.websocket.publishCandles('BTC-USD', [wireAt(B0)]);
    setup!.fake.websocket.dropConnections();
    clock.set(B0 + 3 * STEP + 5_000);
    await waitFor(() => received.length >= 3, 'the backfill after reconnect');
    expect(received.map((candle) => (candle.startMs - B0) / STEP)).toEqual([0, 1, 2]);
    // Backfilled buckets carry the exchange's REST values.
    expect(received[1]!.close).toBe(Number(setup!.fake.candleAt('BTC-USD', 'FIVE_MINUTE', B0 + STEP)!.close));
    await waitFor(() => setup!.fake.websocket.subscriberCount('candles', 'BTC-USD') === 1, 'the new connection subscribed');
    setup!.fake.websocket.publishCandles('BTC-USD', [wireAt(B0 + 3 * STEP)]);
    clock.set(B0 + 4 * STEP + 5_000);
    setup!.fake.websocket.publishCandles('BTC-USD', [wireAt(B0 + 4 * STEP)]);
    await waitFor(() => received.length === 4, 'the live bucket after reconnect');
    expect(received[3]).toMatchObject({ startMs: B0 + 3 * STEP, close: 50010 });
  });

  it('treats a sequence gap as lost messages and backfills over REST', async () => {
    const clock = createManualClock(B0 + 10_000);
    const { received } = await startLive(clock, { closeDelayMs: 60_000 });
    await waitFor(() => setup!.fake.websocket.subscriberCount('candles', 'BTC-USD') === 1, 'the candles subscription');
    setup!.fake.websocket.pauseHeartbeats(true);
    clock.set(B0 + 2 * STEP + 5_000);
    setup!.fake.websocket.skipSequence(2);
    setup!.fake.websocket.publishCandles('BTC-USD', [wireAt(B0 + 2 * STEP)]);
    await waitFor(() => received.length === 2, 'the gap backfill');
    expect(received.map((candle) => (candle.startMs - B0) / STEP)).toEqual([0, 1]);
  });

  it('reconnects when heartbeats stop', async () => {
    const clock = createManualClock(B0 + 10_000);
    await startLive(clock, { heartbeatTimeoutMs: 200 });
    setup!.fake.websocket.pauseHeartbeats(true);
    await waitFor(() => setup!.fake.websocket.connectionsOpened >= 2, 'a second connection');
    setup!.fake.websocket.pauseHeartbeats(false);
    await waitFor(() => setup!.fake.websocket.connectionCount === 1, 'the new connection');
  });

  it('polls REST for other granularities as each bucket closes', async () => {
    const clock = createManualClock(Date.UTC(2025, 0, 10, 12, 0, 30));
    setup = await startFakeSetup({ fake: { clock } });
    const source = new CoinbaseCandleSource({ client: setup.client, clock, publicEndpoints: true, closeDelayMs: 1_000 });
    controller = new AbortController();
    const received: Candle[] = [];
    void (async () => {
      for await (const candle of source.subscribe({ series: [{ productId: 'ETH-USD', granularity: 'ONE_MINUTE' }], signal: controller!.signal })) received.push(candle);
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    clock.set(Date.UTC(2025, 0, 10, 12, 3, 2));
    await waitFor(() => received.length === 3, 'three polled minutes');
    expect(received.map((candle) => new Date(candle.startMs).toISOString())).toEqual(['2025-01-10T12:00:00.000Z', '2025-01-10T12:01:00.000Z', '2025-01-10T12:02:00.000Z']);
  });
});
