import { createManualClock, createMemoryStore, type BacktestRunRecords, type Candle } from '@tradepipe/core';
import { testCandle, testProduct } from '@tradepipe/core/testing';
import { describe, expect, it } from 'vitest';
import { formatRunSummary, summarizeRun } from './run-summary.js';

/** A run's records whose first `count` candles a stage failed for good (dead-lettered through the store's queue). */
async function recordsWithDeadCandles(count: number): Promise<BacktestRunRecords> {
  const candles: Candle[] = Array.from({ length: 5 }, (_, index) => testCandle({ index, open: 100, close: 100 }));
  const clock = createManualClock(candles.at(-1)!.startMs + 3_600_000);
  const store = createMemoryStore({ clock });
  await store.putCandles(candles);
  for (const claim of await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'test', leaseMs: 60_000, limit: count, ordered: false })) {
    await store.fail(claim, { error: { code: 'model_failed', message: 'The model could not run' }, retryable: false, maxAttempts: 1, backoffMs: 0, terminalState: 'DEAD_LETTER' });
  }
  return {
    pipelineId: 'test',
    products: [testProduct()],
    featureNames: [],
    startingBalances: { USD: '1000' },
    warmupCandles: 0,
    candles,
    signals: [],
    decisions: [],
    orders: [],
    fills: [],
    balances: [],
    positions: [],
    deadLetters: await store.listDeadLetters(),
  };
}

describe('run summary', () => {
  it('counts and prints the items dead-lettered, so a run with no decision does not read as a model that held', async () => {
    const summary = summarizeRun(await recordsWithDeadCandles(2), 1000);
    expect(summary.deadLetters).toEqual({
      total: 2,
      byKind: { candle: 2, signal: 0, recommendation: 0 },
      byCode: [{ kind: 'candle', code: 'model_failed', count: 2, message: 'The model could not run' }],
    });
    const lines = formatRunSummary(summary);
    expect(lines).toContain('  dead letters     2 (2 candles): stopped on a failure before the later stages; the run is incomplete');
    expect(lines.find((line) => line.startsWith('    candle model_failed'))).toMatch(/^ {4}candle model_failed +2 {2}The model could not run$/);
  });

  it('prints no dead-letter line when there is none', async () => {
    const summary = summarizeRun(await recordsWithDeadCandles(0), 1000);
    expect(summary.deadLetters.total).toBe(0);
    expect(formatRunSummary(summary).join('\n')).not.toContain('dead letters');
  });
});
