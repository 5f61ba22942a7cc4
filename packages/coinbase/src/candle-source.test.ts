import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, GRANULARITIES, type Candle } from '@tradepipe/core';
import { CoinbaseCandleSource } from './candle-source.js';
import { startFakeSetup, type FakeSetup } from './test-fixtures.js';

const MINUTE = GRANULARITIES.ONE_MINUTE;
const NOW_MS = Date.UTC(2025, 0, 10, 12, 30, 20);
let setup: FakeSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

async function collect(iterable: AsyncIterable<readonly Candle[]>): Promise<{ pages: number; candles: Candle[] }> {
  const candles: Candle[] = [];
  let pages = 0;
  for await (const page of iterable) {
    pages += 1;
    candles.push(...page);
  }
  return { pages, candles };
}

describe('CoinbaseCandleSource.backfill', () => {
  it('pages at 300 buckets, oldest first, closed candles only, gaps filled by the gap policy', async () => {
    const clock = createManualClock(NOW_MS);
    setup = await startFakeSetup({ fake: { clock } });
    const openBucketMs = Math.floor(NOW_MS / MINUTE) * MINUTE;
    const fromStartMs = openBucketMs - 1000 * MINUTE;
    setup.fake.omitCandles('BTC-USD', 'ONE_MINUTE', [fromStartMs + 10 * MINUTE, fromStartMs + 11 * MINUTE, fromStartMs + 300 * MINUTE]);
    const source = new CoinbaseCandleSource({ client: setup.client, clock, publicEndpoints: true });
    const { pages, candles } = await collect(source.backfill({ productId: 'BTC-USD', granularity: 'ONE_MINUTE', fromStartMs, toStartMs: openBucketMs + 10 * MINUTE }));
    expect(pages).toBe(4);
    expect(setup.fake.requests.filter((request) => request.path.endsWith('/candles'))).toHaveLength(4);
    expect(candles).toHaveLength(1000);
    expect(candles[0]!.startMs).toBe(fromStartMs);
    expect(candles.at(-1)!.startMs).toBe(openBucketMs - MINUTE);
    expect(candles.every((candle, index) => index === 0 || candle.startMs - candles[index - 1]!.startMs === MINUTE)).toBe(true);
    const filled = candles.filter((candle) => candle.gapFilled);
    expect(filled.map((candle) => (candle.startMs - fromStartMs) / MINUTE)).toEqual([10, 11, 300]);
    // A filled bucket carries the previous close forward with zero volume.
    expect(filled[0]).toMatchObject({ open: candles[9]!.close, close: candles[9]!.close, volume: 0 });
    const wire = setup.fake.candleAt('BTC-USD', 'ONE_MINUTE', fromStartMs)!;
    expect(candles[0]).toMatchObject({ open: Number(wire.open), close: Number(wire.close), high: Number(wire.high), low: Number(wire.low), volume: Number(wire.volume), gapFilled: false });
  });

  it('uses the authenticated endpoint by default and honours an abort', async () => {
    const clock = createManualClock(NOW_MS);
    setup = await startFakeSetup({ fake: { clock }, clock });
    const source = new CoinbaseCandleSource({ client: setup.client, clock });
    const openBucketMs = Math.floor(NOW_MS / GRANULARITIES.ONE_HOUR) * GRANULARITIES.ONE_HOUR;
    const { candles } = await collect(source.backfill({ productId: 'ETH-USD', granularity: 'ONE_HOUR', fromStartMs: openBucketMs - 48 * GRANULARITIES.ONE_HOUR, toStartMs: openBucketMs }));
    expect(candles).toHaveLength(48);
    expect(setup.fake.requests.at(-1)!.path).toBe('/products/ETH-USD/candles');
    const controller = new AbortController();
    controller.abort();
    await expect(collect(source.backfill({ productId: 'ETH-USD', granularity: 'ONE_HOUR', fromStartMs: 0, toStartMs: openBucketMs, signal: controller.signal }))).rejects.toBeDefined();
  });

  it('refuses pages above 300 buckets', () => {
    expect(() => new CoinbaseCandleSource({ client: {} as never, pageCandles: 301 })).toThrow(expect.objectContaining({ code: 'config_invalid' }));
  });
});
