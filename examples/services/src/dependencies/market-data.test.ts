import { TradepipeError, type Candle, type MarketDataSource } from '@tradepipe/core';
import { testCandle } from '@tradepipe/core/testing';
import { describe, expect, it } from 'vitest';
import { endWhenDraining } from './market-data.js';

/** Waits like a request to the exchange until `signal` aborts, then fails with `aborted`, as the real source does. */
async function exchangeWait(signal: AbortSignal | undefined): Promise<never> {
  if (signal !== undefined && !signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  throw new TradepipeError('aborted', 'The request was aborted');
}

/** A source that yields `candles` (one page when backfilling), then waits on the exchange until aborted. */
function liveSource(candles: readonly Candle[]): MarketDataSource {
  return {
    name: 'live',
    backfill: (request) =>
      (async function* () {
        yield candles;
        await exchangeWait(request.signal);
      })(),
    subscribe: (request) =>
      (async function* () {
        yield* candles;
        await exchangeWait(request.signal);
      })(),
  };
}

async function collect<T>(items: AsyncIterable<T>, onItem: (item: T) => void = () => undefined): Promise<T[]> {
  const seen: T[] = [];
  for await (const item of items) {
    seen.push(item);
    onItem(item);
  }
  return seen;
}

describe('endWhenDraining (market-data)', () => {
  const candles = [testCandle({ index: 0 }), testCandle({ index: 1 }), testCandle({ index: 2 })];

  it('ends a live subscription without an error once the service drains, after the candle in hand', async () => {
    const draining = new AbortController();
    const source = endWhenDraining(liveSource(candles), draining.signal);
    const seen = await collect(source.subscribe({ series: [], signal: new AbortController().signal }), (candle) => {
      if (candle.startMs === candles[1]!.startMs) draining.abort();
    });
    expect(seen).toEqual(candles.slice(0, 2));
  });

  it('ends a backfill waiting on the exchange, and opens nothing once draining', async () => {
    const draining = new AbortController();
    const source = endWhenDraining(liveSource(candles), draining.signal);
    const pages = collect(source.backfill({ productId: 'BTC-USD', granularity: 'ONE_HOUR', fromStartMs: 0, toStartMs: 1, signal: new AbortController().signal }));
    setImmediate(() => draining.abort());
    expect(await pages).toEqual([candles]);
    expect(await collect(source.subscribe({ series: [], signal: new AbortController().signal }))).toEqual([]);
  });

  it('passes a failure through while the service is not draining', async () => {
    const stopped = new AbortController();
    const source = endWhenDraining(liveSource([]), new AbortController().signal);
    const run = collect(source.subscribe({ series: [], signal: stopped.signal }));
    stopped.abort();
    await expect(run).rejects.toMatchObject({ code: 'aborted' });
  });
});
