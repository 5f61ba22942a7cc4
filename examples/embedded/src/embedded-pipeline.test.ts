import { createManualClock, createMemoryStore, granularityMs, recordId, silentLogger, type Candle, type PipelineStore } from '@tradepipe/core';
import { createPgliteStore } from '@tradepipe/storage-pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledCandles } from './bundled-candles.js';
import { createEmbeddedPipeline } from './embedded-pipeline.js';

const HOLD_OUT_START_MS = Date.UTC(2024, 8, 25);
const DAY_MS = granularityMs('ONE_DAY');

const APPROVAL_SECRET = 'embedded-test-secret-0123456789abcdef';

/** Replays the first `count` hold-out candles; `restartAt` starts a new pipeline (a restarted process) there. */
async function replay(candles: readonly Candle[], count: number, options: { driver?: 'memory' | 'pglite'; restartAt?: number } = {}): Promise<PipelineStore> {
  const history = candles.filter((candle) => candle.startMs < HOLD_OUT_START_MS);
  const holdOut = candles.filter((candle) => candle.startMs >= HOLD_OUT_START_MS).slice(0, count);
  const clock = createManualClock(HOLD_OUT_START_MS);
  const store = options.driver === 'pglite' ? await createPgliteStore({ clock }) : createMemoryStore({ clock });
  await store.putCandles(history, { state: 'DONE' });
  const start = () => createEmbeddedPipeline({ store, clock, logger: silentLogger, approvalSecret: APPROVAL_SECRET });
  let pipeline = await start();
  for (const [index, candle] of holdOut.entries()) {
    if (index === options.restartAt) pipeline = await start();
    clock.set(candle.startMs + DAY_MS);
    await store.putCandles([candle]);
    await pipeline.runUntilIdle();
  }
  return store;
}

async function decisionsUpTo(store: PipelineStore, lastStartMs: number) {
  const recommendations = (await store.listRecommendations({})).filter((recommendation) => recommendation.candleStartMs <= lastStartMs);
  return Promise.all(
    recommendations.map(async (recommendation) => ({
      recommendation,
      state: (await store.getRecommendation(recommendation.id))?.status.state,
      validations: await store.listValidations(recommendation.id),
      assessment: await store.getRiskAssessment(recommendation.id),
      order: await store.getOrderByClientOrderId((await store.getApproval(recommendation.id))?.clientOrderId ?? '-'),
    })),
  );
}

describe('embedded pipeline on the bundled BTC-USD candles', () => {
  let candles: readonly Candle[];
  let short: PipelineStore;
  let long: PipelineStore;
  beforeAll(async () => {
    candles = loadBundledCandles().candles;
    [short, long] = await Promise.all([replay(candles, 120), replay(candles, 200)]);
  }, 300_000); // two replays on a shared, busy machine

  it('runs every stage: signals, recommendations, validations, risk decisions and paper orders', async () => {
    const states = await long.countByState('recommendation');
    const historyLength = candles.filter((candle) => candle.startMs < HOLD_OUT_START_MS).length;
    expect(await long.countByState('candle')).toEqual({ DONE: historyLength + 200 });
    expect(states.EXECUTED ?? 0).toBeGreaterThan(0);
    expect(states.REJECTED ?? 0).toBeGreaterThan(0);
    expect(states.DEAD_LETTER).toBeUndefined();
    const executed = await long.listOrders({ statuses: ['EXECUTED'] });
    for (const order of executed) {
      const recommendation = (await long.getRecommendation(order.recommendationId))!.record;
      // Paper fills come from the next candle's open, never the close the signal saw.
      const next = candles.find((candle) => candle.startMs === recommendation.candleStartMs + DAY_MS)!;
      const fill = (await long.listFills(order.id))[0]!;
      expect(Number(fill.price)).toBeCloseTo(next.open * (order.side === 'BUY' ? 1.0005 : 0.9995), 1);
    }
  });

  it('decides nothing at time t from data after t: more future data changes no earlier decision', async () => {
    const holdOut = candles.filter((candle) => candle.startMs >= HOLD_OUT_START_MS);
    // Decisions on candle 118 and earlier have settled by candle 120 (fills happen at the next open).
    const cutoffMs = holdOut[117]!.startMs;
    const early = await decisionsUpTo(short, cutoffMs);
    const later = await decisionsUpTo(long, cutoffMs);
    expect(early.length).toBeGreaterThan(10);
    expect(later).toEqual(early);
    for (const candle of holdOut.slice(0, 118)) {
      const signalId = (await short.listRecommendations({})).find((recommendation) => recommendation.candleStartMs === candle.startMs)?.origin;
      if (signalId?.type === 'signal') expect(await long.getSignal(signalId.signalId)).toEqual(await short.getSignal(signalId.signalId));
    }
  });

  it('decides exactly the same on the embedded PostgreSQL (PGlite) as in memory', async () => {
    const pglite = await replay(candles, 120, { driver: 'pglite' });
    try {
      const lastStartMs = candles.filter((candle) => candle.startMs >= HOLD_OUT_START_MS)[119]!.startMs;
      expect(await decisionsUpTo(pglite, lastStartMs)).toEqual(await decisionsUpTo(short, lastStartMs));
      expect(await pglite.listPositions()).toEqual(await short.listPositions());
      expect(await pglite.listBalances()).toEqual(await short.listBalances());
    } finally {
      await pglite.close();
    }
  });

  it('resumes after a restart with exactly the signals and decisions of an uninterrupted run', async () => {
    // The new pipeline restores each feature engine from the store's checkpoint instead of re-reading history.
    const restarted = await replay(candles, 120, { restartAt: 77 });
    const holdOut = candles.filter((candle) => candle.startMs >= HOLD_OUT_START_MS).slice(0, 120);
    const signalsOf = (store: PipelineStore) =>
      Promise.all(holdOut.map((candle) => store.getSignal(recordId('signal', ['embedded-btc-usd', 'BTC-USD', 'ONE_DAY', candle.startMs]))));
    const uninterrupted = await signalsOf(short);
    expect(uninterrupted.every((signal) => signal !== undefined)).toBe(true);
    expect(await signalsOf(restarted)).toEqual(uninterrupted);
    expect(await decisionsUpTo(restarted, holdOut.at(-1)!.startMs)).toEqual(await decisionsUpTo(short, holdOut.at(-1)!.startMs));
  });
});

describe("the README's backtest snippet", () => {
  it('runs and trades', async () => {
    const { orders, balances } = await import('./readme-backtest.js');
    expect(orders.filter((order) => order.status === 'EXECUTED').length).toBeGreaterThan(0);
    expect(balances.find((balance) => balance.currency === 'USD')).toBeDefined();
  });
});

describe('docs/custom-stages.md example', () => {
  it('trades with its own model, and its own validator lets no BUY through on a weekend', async () => {
    const { orders, executedBuys, weekendRejections } = await import('./custom-stages-example.js');
    expect(weekendRejections).toBeGreaterThan(0);
    expect(orders.length).toBeGreaterThan(0);
    expect(executedBuys.length).toBeGreaterThan(0);
    for (const createdAtMs of executedBuys) expect([0, 6]).not.toContain(new Date(createdAtMs).getUTCDay());
  });

  it('wraps every stage with its timing plugin and slots its cooldown stage in between validation and risk', async () => {
    const { orders, stageTimeMs, cooldownRejections } = await import('./custom-stages-example.js');
    expect(Object.keys(stageTimeMs).sort()).toEqual(['bridge', 'cooldown', 'execution', 'fills', 'risk', 'signal', 'validation']);
    expect(cooldownRejections).toBeGreaterThan(0);
    const buys = orders.filter((order) => order.side === 'BUY').map((order) => order.createdAtMs);
    for (const [index, createdAtMs] of buys.entries()) if (index > 0) expect(createdAtMs - buys[index - 1]!).toBeGreaterThanOrEqual(3 * 86_400_000);
  });
});
