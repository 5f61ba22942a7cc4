import { describe, expect, it } from 'vitest';
import { GRANULARITIES } from '../time.js';
import { BACKTEST_REPORT_SCHEMA_VERSION, buildBacktestReport } from './backtest-report.js';
import { runSmallPipeline } from './test-helpers.js';

/** Every number in a value, with its path. */
function numbersIn(value: unknown, path = '$'): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((item, index) => numbersIn(item, `${path}[${index}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => numbersIn(item, `${path}.${key}`));
  return [];
}

describe('backtest report', () => {
  it('gives the same JSON for the same inputs, apart from the timestamp', async () => {
    const build = async (generatedAtMs: number) => {
      const { store, candles } = await runSmallPipeline();
      return buildBacktestReport({ store, candles, startingQuote: 10_000, costs: { feeRateBps: 0, slippageBps: 0 }, generatedAtMs });
    };
    const [first, second] = [await build(1), await build(2)];
    expect(first.generatedAtMs).not.toBe(second.generatedAtMs);
    expect(JSON.stringify({ ...first, generatedAtMs: 0 })).toBe(JSON.stringify({ ...second, generatedAtMs: 0 }));
  });

  it('assembles period, metrics, baselines, series, trades and funnel from the run, all JSON-safe', async () => {
    const { store, candles } = await runSmallPipeline();
    const report = await buildBacktestReport({ store, candles, startingQuote: 10_000, costs: { feeRateBps: 0, slippageBps: 0 }, generatedAtMs: 5 });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(numbersIn(report).filter(([, value]) => !Number.isFinite(value))).toEqual([]);
    expect(report).toMatchObject({ schemaVersion: BACKTEST_REPORT_SCHEMA_VERSION, productId: 'BTC-USD', granularity: 'ONE_HOUR', startingQuote: 10_000 });
    expect(report.period).toEqual({ fromMs: candles[0]!.startMs, toMs: candles.at(-1)!.startMs + GRANULARITIES.ONE_HOUR, candles: 7 });
    // One BUY of $100 at 105 (the reference close) sold at 109.97: one round trip, no fees.
    // $100 bought 0.95238095 at 105; the SELL's $100 sold 0.90933891 at 109.97 (prices to the cent): a partial
    // exit, one round trip and an open lot of the rest. No fees.
    expect(report.trades).toHaveLength(1);
    expect(report.trades[0]).toMatchObject({ sizeBase: 0.90933891, entryPriceQuote: 105, exitPriceQuote: 109.97 });
    expect(report.trades[0]!.pnlQuote).toBeCloseTo(0.90933891 * 4.97, 9);
    expect(report.openLots).toEqual([expect.objectContaining({ sizeBase: expect.closeTo(0.95238095 - 0.90933891, 12) })]);
    // Equity at the last close: the cash after both trades plus the open lot marked at the last close.
    const cash = 10_000 - 0.95238095 * 105 + 0.90933891 * 109.97;
    expect(report.metrics.endEquityQuote).toBeCloseTo(cash + (0.95238095 - 0.90933891) * 109.974375, 9);
    expect(report.baselines.map((baseline) => baseline.name)).toEqual(['buy_and_hold', 'sma_50_200']);
    // Buy and hold with no costs: 10,000 × last close / first open.
    expect(report.baselines[0]!.metrics.endEquityQuote).toBeCloseTo((10_000 * 109.974375) / 100, 6);
    // Too few candles for a 200-candle average: the crossover never trades.
    expect(report.baselines[1]!.metrics.endEquityQuote).toBe(10_000);
    expect(report.series.equity).toHaveLength(8);
    expect(report.series.price).toHaveLength(7);
    expect(report.funnel.fills).toBe(2);
    expect(report.notes.join(' ')).toContain('√365');
  });

  it('counts dead letters in the funnel and says so in a note, so a run that never traded does not pass for a choice', async () => {
    const { store, candles } = await runSmallPipeline({ putProduct: false });
    const report = await buildBacktestReport({ store, candles, startingQuote: 10_000, costs: { feeRateBps: 0, slippageBps: 0 }, generatedAtMs: 5 });
    expect(report.funnel).toMatchObject({ signals: { total: 6 }, recommendations: { total: 0 }, rejections: [], deadLetters: { total: 6, byKind: { signal: 6 } } });
    expect(report.notes.filter((note) => note.includes('dead-lettered'))).toEqual([
      expect.stringMatching(/^6 work items dead-lettered \(6 signals\):.*By code: signal not_found ×6 \(The product of the signal is unknown to the store\)\./),
    ]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const clean = await runSmallPipeline();
    const cleanReport = await buildBacktestReport({ store: clean.store, candles: clean.candles, startingQuote: 10_000, costs: { feeRateBps: 0, slippageBps: 0 }, generatedAtMs: 5 });
    expect(cleanReport.funnel.deadLetters).toMatchObject({ total: 0 });
    expect(cleanReport.notes.join(' ')).not.toContain('dead-lettered');
  });

  it('says so in a note when recommendations had not ended (a pipeline without a validator leaves them waiting)', async () => {
    const { store, candles } = await runSmallPipeline({ validator: false });
    const report = await buildBacktestReport({ store, candles, startingQuote: 10_000, costs: { feeRateBps: 0, slippageBps: 0 }, generatedAtMs: 5 });
    expect(report.funnel.outcomes).toMatchObject({ PENDING_VALIDATION: expect.any(Number) });
    expect(report.notes.filter((note) => note.includes('had not ended'))).toEqual([expect.stringMatching(/^\d+ recommendations? had not ended when the run stopped \(PENDING_VALIDATION ×\d+\)/)]);
    const clean = await runSmallPipeline();
    const cleanReport = await buildBacktestReport({ store: clean.store, candles: clean.candles, startingQuote: 10_000, costs: { feeRateBps: 0, slippageBps: 0 }, generatedAtMs: 5 });
    expect(cleanReport.notes.join(' ')).not.toContain('had not ended');
  });

  it('counts the candles inside the model\'s training range and says in a note that such a run is in sample', async () => {
    const { store, candles } = await runSmallPipeline();
    const costs = { feeRateBps: 0, slippageBps: 0 };
    const trainedUpTo = candles[Math.floor(candles.length / 2)]!.startMs;
    const inSample = await buildBacktestReport({ store, candles, startingQuote: 10_000, costs, generatedAtMs: 5, modelTrainingRange: { fromMs: 0, toMs: trainedUpTo } });
    const inside = candles.filter((candle) => candle.startMs <= trainedUpTo).length;
    expect(inside).toBeGreaterThan(0);
    expect(inSample.inSample).toEqual({ candles: inside, trainingFromMs: 0, trainingToMs: trainedUpTo });
    expect(inSample.notes.filter((note) => note.startsWith(`In sample: ${inside} of ${candles.length} replayed candles`))).toHaveLength(1);
    // Trained before the period: out of sample, counted as 0, no note.
    const outOfSample = await buildBacktestReport({ store, candles, startingQuote: 10_000, costs, generatedAtMs: 5, modelTrainingRange: { fromMs: 0, toMs: candles[0]!.startMs - 1 } });
    expect(outOfSample.inSample).toEqual({ candles: 0, trainingFromMs: 0, trainingToMs: candles[0]!.startMs - 1 });
    expect(outOfSample.notes.some((note) => note.startsWith('In sample'))).toBe(false);
    // No range given (a model that declares none): the report does not claim either way.
    expect((await buildBacktestReport({ store, candles, startingQuote: 10_000, costs, generatedAtMs: 5 })).inSample).toBeUndefined();
    await expect(buildBacktestReport({ store, candles, startingQuote: 10_000, costs, generatedAtMs: 5, modelTrainingRange: { fromMs: 2, toMs: 1 } })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('refuses candles of two products', async () => {
    const { store, candles } = await runSmallPipeline();
    const mixed = [...candles, { ...candles[0]!, productId: 'ETH-USD', startMs: candles.at(-1)!.startMs + GRANULARITIES.ONE_HOUR }];
    await expect(buildBacktestReport({ store, candles: mixed, startingQuote: 1, costs: { feeRateBps: 0, slippageBps: 0 }, generatedAtMs: 0 })).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
