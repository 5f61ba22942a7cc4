import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelPrediction, SignalModel } from '../interfaces.js';
import { silentLogger } from '../logger.js';
import type { Candle, FeatureVector } from '../records/market.js';
import { createTestApprovalSigner, testCandle, testProduct } from '../testing/fixtures.js';
import { ImmediateExecutor, LimitRiskManager, ReturnFeatureSet, ScriptedValidator, ThresholdModel } from '../pipeline/test-doubles.js';
import { backtest, type BacktestContext, type BacktestOptions, type BacktestStages } from './backtest.js';
import { checkLookahead, scaleCandlesAfter } from './check-lookahead.js';
import { decisionsUpTo } from './decisions.js';
import { candleCloseMs } from '../records/market.js';

/** A seeded random walk of hourly candles with ±3 % steps: the threshold model trades on it. */
function walk(count: number, seed = 7): Candle[] {
  let state = seed;
  const random = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  let close = 100;
  return Array.from({ length: count }, (_, index) => {
    const open = close;
    close = open * (1 + (random() - 0.5) * 0.06);
    return testCandle({ index, open, close });
  });
}

const signer = createTestApprovalSigner();

function stagesWith(model: (context: BacktestContext) => SignalModel): (context: BacktestContext) => BacktestStages {
  return (context) => ({
    features: new ReturnFeatureSet(),
    model: model(context),
    validator: new ScriptedValidator('scripted', ['approve']),
    risk: new LimitRiskManager(signer),
    executor: new ImmediateExecutor(signer),
  });
}

function options(candles: readonly Candle[], model: (context: BacktestContext) => SignalModel = () => new ThresholdModel()): BacktestOptions {
  return { candles, products: [testProduct()], startingBalances: { USD: '10000' }, tradeFromMs: candles[10]!.startMs, createStages: stagesWith(model) };
}

/** A model that "knows" the next close from the candles its context was given: lookahead by construction. */
function peekingModel(context: BacktestContext): SignalModel {
  const predict = (vector: FeatureVector): ModelPrediction => {
    const index = context.candles.findIndex((candle) => candle.startMs === vector.candleStartMs);
    const now = context.candles[index]!;
    const next = context.candles[index + 1];
    if (next === undefined) return { action: 'HOLD', confidence: 0.5 };
    return { action: next.close > now.close * 1.005 ? 'BUY' : next.close < now.close * 0.995 ? 'SELL' : 'HOLD', confidence: 0.8 };
  };
  return { ...new ThresholdModel(), modelId: 'peeking', modelVersion: '1', featureNames: ['return_1', 'close'], featureSetVersion: 'test-2', predict: async (vector) => predict(vector), predictBatch: async (vectors) => vectors.map(predict) };
}

describe('backtest', () => {
  it('replays the candles through every stage and records signals, verdicts, assessments, orders and fills', async () => {
    const candles = walk(80);
    const { records, report } = await backtest(options(candles));
    expect(records.warmupCandles).toBe(10);
    expect(report!.period.candles).toBe(70);
    expect(report!.funnel).toBeDefined();
    expect(report!.metrics.startEquityQuote).toBe(10_000);
    expect(records.candles).toHaveLength(70);
    expect(records.signals.length).toBeGreaterThan(60);
    expect(records.decisions.some((decision) => decision.state === 'EXECUTED')).toBe(true);
    expect(records.orders.length).toBe(records.decisions.filter((decision) => decision.order !== undefined).length);
    expect(records.fills.length).toBeGreaterThan(0);
    expect(records.featureNames).toEqual(['return_1', 'close']);
    for (const decision of records.decisions.filter((item) => item.order !== undefined)) expect(decision.validations.map((validation) => validation.validator)).toEqual(['scripted']);
  });

  it('returns, reports and logs the items it dead-lettered: a product not given dead-letters every signal', async () => {
    const candles = walk(30);
    const lines: { message: string; fields: unknown }[] = [];
    const logger = { ...silentLogger, warn: (message: string, fields?: unknown) => lines.push({ message, fields }) };
    const { records, report } = await backtest({ ...options(candles), products: [], logger });
    expect(records.decisions).toEqual([]);
    expect(records.deadLetters.length).toBe(records.signals.length);
    expect(records.deadLetters.length).toBeGreaterThan(10);
    expect(records.deadLetters.every((item) => item.kind === 'signal' && item.lastError?.code === 'not_found')).toBe(true);
    expect(report!.funnel.deadLetters).toMatchObject({ total: records.deadLetters.length, byKind: { signal: records.deadLetters.length } });
    expect(report!.notes.some((note) => note.includes('dead-lettered'))).toBe(true);
    // The pipeline warns of each item; the backtest once more, with the counts, at the end.
    expect(lines.filter((line) => line.message.startsWith('backtest'))).toEqual([{ message: 'backtest dead-lettered work items: the run is incomplete', fields: expect.objectContaining({ signal: records.deadLetters.length, firstCode: 'not_found' }) }]);
    const clean = await backtest(options(candles));
    expect(clean.records.deadLetters).toEqual([]);
  });

  it('gives the same records on a re-run', async () => {
    const candles = walk(60);
    const [first, second] = [await backtest({ ...options(candles), generatedAtMs: 1 }), await backtest({ ...options(candles), generatedAtMs: 1 })];
    expect(second.records).toEqual(first.records);
    expect(JSON.stringify(second.report)).toBe(JSON.stringify(first.report));
  });

  it('decides nothing at or before t differently when every candle after t is poisoned (property, seed 1405)', async () => {
    const candles = walk(60, 3);
    const baseline = (await backtest(options(candles))).records;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 10, max: 58 }), async (cut) => {
        const cutStartMs = candles[cut]!.startMs;
        const poisoned = (await backtest(options(scaleCandlesAfter(candles, cutStartMs)))).records;
        const atMs = candleCloseMs(candles[cut]!);
        expect([...decisionsUpTo(poisoned, atMs).values()]).toEqual([...decisionsUpTo(baseline, atMs).values()]);
        expect(decisionsUpTo(baseline, atMs).size).toBeGreaterThan(0);
      }),
      { seed: 1405, numRuns: 8 },
    );
  });

  it('stops with the typed `aborted` error when its signal aborts, before or during the replay', async () => {
    const candles = walk(60);
    await expect(backtest({ ...options(candles), signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'TradepipeError', code: 'aborted' });
    for (const replay of ['batched', 'candle-by-candle'] as const) {
      const controller = new AbortController();
      const run = backtest({ ...options(candles), replay, signal: controller.signal, onProgress: ({ candlesDone }) => void (candlesDone >= 1 && controller.abort(new Error('user pressed Ctrl-C'))) });
      await expect(run).rejects.toMatchObject({ name: 'TradepipeError', code: 'aborted', cause: { message: 'user pressed Ctrl-C' } });
    }
  });

  it('reports how many replayed candles the model was trained on, from the model\'s own trainingRange', async () => {
    const candles = walk(60);
    const trainedUpTo = candles[29]!.startMs;
    const model = (): SignalModel => Object.assign(new ThresholdModel(), { trainingRange: { fromMs: candles[0]!.startMs, toMs: trainedUpTo } });
    const { report } = await backtest(options(candles, model));
    // Replayed from candle 10: candles 10 … 29 lie in the training range.
    expect(report!.inSample).toEqual({ candles: 20, trainingFromMs: candles[0]!.startMs, trainingToMs: trainedUpTo });
    expect(report!.notes.some((note) => note.startsWith('In sample: 20 of 50 replayed candles (40.0 %)'))).toBe(true);
    expect((await backtest(options(candles))).report!.inSample).toBeUndefined();
  });

  it('refuses a range with no candle to replay', async () => {
    const candles = walk(20);
    await expect(backtest({ ...options(candles), tradeFromMs: candles[19]!.startMs + 1 })).rejects.toMatchObject({ code: 'validation_failed' });
  });
});

describe('checkLookahead', () => {
  it('passes a pipeline that reads only what the store gives it', async () => {
    const report = await checkLookahead({ ...options(walk(70)), cutPoints: 20 });
    expect(report.cutStartMs).toHaveLength(20);
    expect(report.decisionsCompared).toBeGreaterThan(100);
    expect(report.differences).toEqual([]);
    expect(report.passed).toBe(true);
  });

  it('catches a model that peeks at the next candle, and names it', async () => {
    const report = await checkLookahead({ ...options(walk(70), peekingModel), cutPoints: 10 });
    expect(report.passed).toBe(false);
    expect(report.suspects[0]).toBe('model peeking');
    const signalDifference = report.differences.find((difference) => difference.kind === 'signal')!;
    // The decision on candle t itself changed: it saw candle t + 1.
    expect(signalDifference.decidedAtMs).toBe(signalDifference.cutStartMs + 3_600_000);
    expect(signalDifference.fields).toContain('action');
  });
});
