// The dev stack's outside world: the fake Coinbase serving the bundled candles up to the dev clock's "now" and
// quoting the last closed candle's close, and the fake Ollama.
import { candleCloseMs, type Candle } from '@tradepipe/core';
import { createTestKeyPair, startFakeCoinbase, type FakeCoinbase, type TestKeyPair } from '@tradepipe/coinbase/testing';
import { startFakeOllama, type FakeOllama } from '@tradepipe/llm-validator/testing';
import type { ScaledClock } from '@tradepipe/example-services';

/** The fakes of a dev stack. */
export interface ReplayMarket {
  /** The fake Coinbase on the dev clock, serving the replayed candles. */
  readonly coinbase: FakeCoinbase;
  /** The fake Ollama (approving). */
  readonly ollama: FakeOllama;
  /** The fake exchange's key, when the live executor trades against it. */
  readonly liveKey: TestKeyPair | undefined;
  /** The close time of the last candle the replay holds. */
  readonly lastCloseMs: number;
  /** Stops following the closes and closes both fakes. */
  close(): Promise<void>;
}

/** The newest candle closed at `nowMs` (candles sorted by start), or undefined before the first closes. */
export function lastClosedCandle(candles: readonly Candle[], nowMs: number): Candle | undefined {
  let low = 0;
  let high = candles.length - 1;
  let found: Candle | undefined;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const candle = candles[middle]!;
    if (candleCloseMs(candle) <= nowMs) {
      found = candle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

/**
 * Keeps the fake's price at the close of the last candle closed on the dev clock (what a market order fills
 * near when that candle's signal trades), waking at each close until `signal` aborts.
 */
async function followCloses(coinbase: FakeCoinbase, candles: readonly Candle[], clock: ScaledClock, signal: AbortSignal): Promise<void> {
  let quoted: Candle | undefined;
  while (!signal.aborted) {
    const nowMs = clock.nowMs();
    const latest = lastClosedCandle(candles, nowMs);
    if (latest !== undefined && latest !== quoted) {
      coinbase.setPrice(latest.productId, latest.close.toFixed(2));
      quoted = latest;
    }
    const next = candles.find((candle) => candleCloseMs(candle) > nowMs);
    if (next === undefined) return;
    await clock.sleep(candleCloseMs(next) - nowMs, signal).catch(() => undefined);
  }
}

/**
 * Starts the fake Coinbase on the dev clock with `candles` (Coinbase's wire form; it serves only those started by
 * its "now", and the market data service keeps only closed ones), its price following the closes, and the fake
 * Ollama (approving, as a model would that agrees; the rule validator beside it still rejects).
 */
export async function startReplayMarket(input: { readonly candles: readonly Candle[]; readonly clock: ScaledClock; readonly live: boolean }): Promise<ReplayMarket> {
  const liveKey = input.live ? createTestKeyPair() : undefined;
  const coinbase = await startFakeCoinbase({ clock: input.clock, enforceRateLimits: false, ...(liveKey === undefined ? {} : { keys: [liveKey] }) });
  const ollama = await startFakeOllama({ clock: input.clock, defaultStep: { kind: 'approve' } }).catch(async (error: unknown) => {
    await coinbase.close();
    throw error;
  });
  const first = input.candles[0]!;
  coinbase.setCandles(
    first.productId,
    first.granularity,
    input.candles.map((candle) => ({ start: String(candle.startMs / 1000), open: String(candle.open), high: String(candle.high), low: String(candle.low), close: String(candle.close), volume: candle.volume.toFixed(8) })),
  );
  const stopping = new AbortController();
  const following = followCloses(coinbase, input.candles, input.clock, stopping.signal);
  return {
    coinbase,
    ollama,
    liveKey,
    lastCloseMs: candleCloseMs(input.candles.at(-1)!),
    async close() {
      stopping.abort();
      await following;
      await Promise.all([coinbase.close(), ollama.close()]);
    },
  };
}
