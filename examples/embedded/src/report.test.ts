import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBacktestReport, createManualClock, createMemoryStore, replayCandles, silentLogger } from '@tradepipe/core';
import { describe, expect, it } from 'vitest';
import { loadBundledCandles } from './bundled-candles.js';
import { PAPER_COSTS, STARTING_USD, createEmbeddedPipeline } from './embedded-pipeline.js';
import { writeReportFiles } from './report-files.js';
import { summarise } from './report.js';

const HOLD_OUT_START_MS = Date.UTC(2024, 8, 25);

describe("the main job's summary and report files", () => {
  it('prints the metrics beside both baselines, the funnel and the sizes, and writes the JSON and HTML reports', async () => {
    const data = loadBundledCandles();
    const history = data.candles.filter((candle) => candle.startMs < HOLD_OUT_START_MS);
    const holdOut = data.candles.filter((candle) => candle.startMs >= HOLD_OUT_START_MS).slice(0, 90);
    const clock = createManualClock(HOLD_OUT_START_MS);
    const store = createMemoryStore({ clock });
    await store.putCandles(history, { state: 'DONE' });
    const pipeline = await createEmbeddedPipeline({ store, clock, logger: silentLogger, approvalSecret: 'embedded-test-secret-0123456789abcdef' });
    await replayCandles({ pipeline, store, clock, candles: holdOut });
    const backtest = await buildBacktestReport({ store, candles: holdOut, history, startingQuote: STARTING_USD, costs: PAPER_COSTS, generatedAtMs: clock.nowMs() });
    const directory = mkdtempSync(join(tmpdir(), 'embedded-report-'));
    try {
      const reportPath = writeReportFiles(backtest, directory);
      expect(reportPath).toBe(join(directory, 'report.html'));
      expect(JSON.parse(readFileSync(join(directory, 'report.json'), 'utf8'))).toEqual(backtest);
      expect(readFileSync(reportPath, 'utf8')).toContain('<canvas id="chart-funnel">');
      const text = await summarise({ store, data, holdOut, health: await pipeline.health('embedded'), backtest, reportPath, elapsedMs: 1 });
      const lines = text.split('\n');
      const header = lines.find((line) => line.includes('strategy'))!;
      expect(header).toMatch(/strategy\s+buy-and-hold\s+SMA 50\/200/);
      const row = (label: string) => lines.find((line) => line.trimStart().startsWith(label))!.trim().split(/\s{2,}/).slice(1);
      // Each figure printed is the report's, strategy first, then buy-and-hold, then the SMA crossover.
      const returns = [backtest.metrics, ...backtest.baselines.map((baseline) => baseline.metrics)].map((metrics) => metrics.totalReturnFraction);
      expect(row('Total return')).toEqual(returns.map((value) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`));
      expect(row('Round trips')).toEqual([String(backtest.metrics.roundTrips), '0', String(backtest.baselines[1]!.metrics.roundTrips)]);
      for (const label of ['Sharpe (daily, √365)', 'Sortino (daily, √365)', 'Calmar', 'Max drawdown', 'Max drawdown duration', 'Win rate', 'Profit factor', 'Expectancy per trip', 'Exposure (time in market)', 'Fees', 'Turnover']) {
        expect(row(label), label).toHaveLength(3);
      }
      expect(text).toContain(`funnel          signals ${backtest.funnel.signals.total} → recommendations ${backtest.funnel.recommendations.total}`);
      for (const stop of backtest.funnel.rejections) expect(text).toMatch(new RegExp(`${stop.stage} ${stop.code}\\s+${stop.count}`));
      expect(text).toMatch(/risk sizes {6}\d+ BUYs approved, \d+ cut: asked \$100\.00 \(median\)/);
      expect(text).toContain(`report          ${reportPath}`);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
