// Test support: a memory store holding a synthetic run (candles from a deterministic random walk, trades recorded
// through the store's public methods as an executor would), for report tests that need size, not realism.
import {
  buildBacktestReport,
  createManualClock,
  createMemoryStore,
  decimal,
  decimalFromNumber,
  granularityMs,
  type BacktestReport,
  type Candle,
  type Granularity,
  type ManualClock,
  type PipelineStore,
} from '@tradepipe/core';
import { createTestApprovalSigner, testApproval, testAssessment, testFill, testOrderIntent, testProduct, testRecommendation } from '@tradepipe/core/testing';

/** Candles of a deterministic random walk (a linear congruential generator), BTC-USD from 2025-01-01 UTC. */
export function randomWalkCandles(count: number, granularity: Granularity, seed = 42): Candle[] {
  let state = seed;
  const next = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const stepMs = granularityMs(granularity);
  const startMs = Date.UTC(2025, 0, 1);
  let close = 60_000;
  return Array.from({ length: count }, (_, index) => {
    const open = close;
    close = Math.max(1_000, open * (1 + (next() - 0.5) * 0.004));
    const high = Math.max(open, close) * (1 + next() * 0.001);
    const low = Math.min(open, close) * (1 - next() * 0.001);
    return { productId: 'BTC-USD', granularity, startMs: startMs + index * stepMs, open, high, low, close, volume: next() * 10, gapFilled: false };
  });
}

/**
 * A report of a synthetic run: a BUY of $100 every `tradeEvery` candles, sold whole `holdFor` candles later, with a
 * 1.2 % fee, recorded in a memory store through its public methods, then assembled by core's `buildBacktestReport`.
 * With `deadLetterCandles`, that many candles are stored, claimed and failed for good (`candle_gap`) as a stage would.
 */
export async function syntheticReport(input: { candles: readonly Candle[]; tradeEvery: number; holdFor: number; title?: string; deadLetterCandles?: number }): Promise<BacktestReport> {
  const { candles } = input;
  const clock = createManualClock(candles[0]!.startMs);
  const store = createMemoryStore({ clock });
  await store.putProduct(testProduct());
  const signer = createTestApprovalSigner();
  const trade = async (candle: Candle, side: 'BUY' | 'SELL', baseSize?: string): Promise<string> => {
    const nowMs = candle.startMs + granularityMs(candle.granularity);
    clock.set(nowMs);
    const recommendation = testRecommendation({ pipelineId: 'synthetic', granularity: candle.granularity, candleStartMs: candle.startMs, side, createdAtMs: nowMs, referencePrice: candle.close, ...(baseSize === undefined ? {} : { baseSize: decimal(baseSize) }) });
    await store.insertRecommendation(recommendation, 'PENDING_RISK');
    const { approval, reservation } = testApproval(recommendation, { signer, issuedAtMs: nowMs });
    await store.recordRiskDecision({ assessment: testAssessment(recommendation, { assessedAtMs: nowMs }), approval, reservation });
    const order = testOrderIntent(approval, nowMs);
    await store.consumeApprovalAndRecordOrderIntent(approval, order);
    const price = decimalFromNumber(candle.close, decimal('0.01'));
    const size = baseSize ?? decimalFromNumber(98.8 / candle.close, decimal('0.00000001'));
    const commission = decimalFromNumber(Number(size) * candle.close * 0.012, decimal('0.00000001'));
    await store.recordFill(testFill(order, { price, sizeBase: decimal(size), commission, filledAtMs: nowMs }), { quoteCurrency: 'USD', baseCurrency: 'BTC' });
    await store.updateOrder(order.id, { status: 'EXECUTED', filledBaseSize: decimal(size), updatedAtMs: nowMs, completedAtMs: nowMs });
    return size;
  };
  for (let index = 0; index + input.holdFor < candles.length; index += input.tradeEvery) {
    const size = await trade(candles[index]!, 'BUY');
    await trade(candles[index + input.holdFor]!, 'SELL', size);
  }
  if (input.deadLetterCandles !== undefined) await deadLetterCandles(store, clock, candles, input.deadLetterCandles);
  return buildBacktestReport({ store, candles, startingQuote: 1_000, costs: { feeRateBps: 120, slippageBps: 0 }, generatedAtMs: clock.nowMs(), ...(input.title === undefined ? {} : { title: input.title }) });
}

/** Stores the candles and dead-letters the first `count` through the queue, as a stage failing for good would. */
async function deadLetterCandles(store: PipelineStore, clock: ManualClock, candles: readonly Candle[], count: number): Promise<void> {
  clock.set(candles.at(-1)!.startMs + granularityMs(candles.at(-1)!.granularity));
  await store.putCandles(candles);
  const claims = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'synthetic', leaseMs: 60_000, limit: count, ordered: false });
  for (const claim of claims) {
    await store.fail(claim, { error: { code: 'candle_gap', message: 'A gap in candles the gap policy does not fill' }, retryable: false, maxAttempts: 1, backoffMs: 0, terminalState: 'DEAD_LETTER' });
  }
}
