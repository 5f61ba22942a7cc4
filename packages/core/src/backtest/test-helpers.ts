import { decimal } from '../decimal.js';
import { createMemoryStore } from '../memory-store.js';
import { createPipeline } from '../pipeline/pipeline.js';
import { replayCandles } from '../pipeline/replay.js';
import { ImmediateExecutor, LimitRiskManager, ReturnFeatureSet, ScriptedValidator, ThresholdModel } from '../pipeline/test-doubles.js';
import { createTestApprovalSigner, testCandle, testProduct } from '../testing/fixtures.js';
import { createManualClock } from '../time.js';
import type { Fill } from '../records/execution.js';
import type { Candle } from '../records/market.js';

/** Day `index` from 2025-01-01 UTC, epoch ms (tests only). */
export const dayMs = (index: number): number => Date.UTC(2025, 0, 1) + index * 86_400_000;

/** A daily BTC-USD candle starting on day `index` (tests only). */
export function dailyCandle(index: number, open: number, close: number): Candle {
  return { productId: 'BTC-USD', granularity: 'ONE_DAY', startMs: dayMs(index), open, close, high: Math.max(open, close), low: Math.min(open, close), volume: 1, gapFilled: false };
}

/** A paper fill with the given numbers (tests only). */
export function numberFill(input: { orderId: string; side: 'BUY' | 'SELL'; price: string; size: string; fee: string; atMs: number; index?: number }): Fill {
  return {
    id: `${input.orderId}-${input.index ?? 1}`,
    orderId: input.orderId,
    clientOrderId: `client-${input.orderId}`,
    venue: 'paper',
    productId: 'BTC-USD',
    side: input.side,
    price: decimal(input.price),
    sizeBase: decimal(input.size),
    commission: decimal(input.fee),
    liquidity: 'TAKER',
    filledAtMs: input.atMs,
  };
}

/** Returns close to close: 0, +5 % (BUY), +5 % (BUY), +5 % (BUY), −5 % (SELL), 0 (HOLD). */
const CLOSES = [100, 100, 105, 110.25, 115.7625, 109.974375, 109.974375];

/**
 * Replays seven hourly candles through a pipeline of test doubles on the memory store (tests only): three BUY
 * signals (one executed, one refused by the validator, one by risk), one SELL executed, two HOLDs.
 * @param options.putProduct whether BTC-USD is stored first (default true); without it the bridge dead-letters every
 * BUY and SELL signal with `not_found`
 * @param options.validator whether the pipeline has its validator (default true); without it recommendations wait in
 * `PENDING_VALIDATION`
 */
export async function runSmallPipeline(options: { readonly putProduct?: boolean; readonly validator?: boolean } = {}) {
  const candles = CLOSES.map((close, index) => testCandle({ index, close, open: close }));
  const clock = createManualClock(candles[0]!.startMs);
  const store = createMemoryStore({ clock });
  if (options.putProduct !== false) await store.putProduct(testProduct());
  const signer = createTestApprovalSigner();
  const pipeline = createPipeline({
    pipelineId: 'funnel',
    store,
    clock,
    features: new ReturnFeatureSet(),
    model: new ThresholdModel(),
    // The first BUY passes, the second is refused, the rest pass.
    ...(options.validator === false ? {} : { validator: new ScriptedValidator('scripted', ['approve', 'reject', 'approve']) }),
    // Room for one $100 BUY only: the third BUY is refused by risk.
    risk: new LimitRiskManager(signer, 150),
    executor: new ImmediateExecutor(signer),
    random: () => 0,
  });
  await replayCandles({ pipeline, store, clock, candles });
  return { store, candles };
}
