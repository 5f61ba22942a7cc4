// Issue 13: a backtest that stores its hold-out year first must not trade on the future. The store refuses a
// candle whose bucket has not closed at its clock (`candle_not_closed`, nothing stored), and the replay that
// follows gives exactly the records of a clean replay.
import { describe, expect, it } from 'vitest';
import { isTradepipeError } from './errors.js';
import { createMemoryStore } from './memory-store.js';
import { createPipeline } from './pipeline/pipeline.js';
import { replayCandles } from './pipeline/replay.js';
import { ImmediateExecutor, LimitRiskManager, ReturnFeatureSet, ScriptedValidator, ThresholdModel } from './pipeline/test-doubles.js';
import type { Candle } from './records/market.js';
import type { PipelineStore } from './store.js';
import { createTestApprovalSigner, testCandle, testProduct } from './testing/fixtures.js';
import { createManualClock, type ManualClock } from './time.js';

/** A deterministic daily random walk (±4 %), enough moves past ±1 % for BUYs and SELLs. */
function holdOutYear(): Candle[] {
  let state = 7;
  let close = 100;
  return Array.from({ length: 365 }, (_, index) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const open = close;
    close = Math.round(open * (0.96 + (0.08 * state) / 2_147_483_648) * 100) / 100;
    return testCandle({ index, granularity: 'ONE_DAY', open, close });
  });
}

async function backtest(): Promise<{ clock: ManualClock; store: PipelineStore; run: (candles: readonly Candle[]) => Promise<unknown> }> {
  const candles = holdOutYear();
  const clock = createManualClock(candles[0]!.startMs); // the split: the hold-out starts now
  const store = createMemoryStore({ clock });
  await store.putProduct(testProduct());
  const signer = createTestApprovalSigner();
  const pipeline = createPipeline({
    pipelineId: 'backtest',
    store,
    clock,
    features: new ReturnFeatureSet(),
    model: new ThresholdModel(),
    validator: new ScriptedValidator('approve', ['approve']),
    risk: new LimitRiskManager(signer),
    executor: new ImmediateExecutor(signer),
    random: () => 0,
  });
  const signals: unknown[] = [];
  pipeline.on('signal:generated', ({ signal }) => void signals.push(signal));
  return {
    clock,
    store,
    async run(list) {
      await replayCandles({ pipeline, store, clock, candles: list });
      const orders = await store.listOrders({});
      return {
        signals,
        recommendations: await Promise.all((await store.listRecommendations({})).map((record) => store.getRecommendation(record.id))),
        orders,
        fills: await Promise.all(orders.map((order) => store.listFills(order.id))),
        positions: await store.listPositions(),
        candles: await store.countByState('candle'),
      };
    },
  };
}

describe('candles that have not closed', () => {
  it('are refused when a backtest stores its hold-out year first; the replay then equals a clean replay', async () => {
    const clean = await backtest();
    const cleanRecords = await clean.run(holdOutYear());

    const early = await backtest();
    const error = await early.store.putCandles(holdOutYear()).catch((thrown: unknown) => thrown);
    expect(isTradepipeError(error, 'candle_not_closed')).toBe(true);
    expect(isTradepipeError(error) && error.retryable).toBe(false);
    expect(await early.store.getLatestCandle('BTC-USD', 'ONE_DAY')).toBeUndefined(); // nothing of the batch stored
    const earlyRecords = await early.run(holdOutYear());

    expect(earlyRecords).toEqual(cleanRecords);
    expect((cleanRecords as { orders: unknown[] }).orders.length).toBeGreaterThan(10);
  });

  it('accepts a candle from the instant it closes, not a millisecond before', async () => {
    const candle = testCandle({ index: 0 });
    const clock = createManualClock(candle.startMs + 3_600_000 - 1);
    const store = createMemoryStore({ clock });
    await expect(store.putCandles([candle])).rejects.toMatchObject({ code: 'candle_not_closed', details: { startMs: candle.startMs } });
    clock.advance(1);
    expect(await store.putCandles([candle])).toMatchObject({ inserted: 1 });
  });
});
