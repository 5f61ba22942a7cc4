import { describe, expect, it } from 'vitest';
import type { BacktestReport } from '@tradepipe/core';
import { randomWalkCandles, syntheticReport } from './synthetic-run.js';
import { renderHtmlReport } from './render-html-report.js';
import { renderTextSummary } from './text-summary.js';

describe('text summary', () => {
  it('shows the items dead-lettered by kind and code, beside where recommendations stopped', async () => {
    const report = await syntheticReport({ candles: randomWalkCandles(200, 'ONE_HOUR'), tradeEvery: 40, holdFor: 10, deadLetterCandles: 3 });
    expect(report.funnel.deadLetters).toMatchObject({ total: 3, byKind: { candle: 3, signal: 0, recommendation: 0 } });
    const lines = renderTextSummary(report, '').split('\n');
    expect(lines).toContain('dead letters    3 candles: stopped on a failure before the later stages; the run is incomplete');
    expect(lines.find((line) => line.startsWith('  candle candle_gap'))).toMatch(/^ {2}candle candle_gap +3 {2}A gap in candles the gap policy does not fill$/);
    expect(report.notes.some((note) => note.startsWith('3 work items dead-lettered (3 candles)'))).toBe(true);
  });

  it('says none when nothing was dead-lettered, and leaves the line out for a report.json written before they were counted', async () => {
    const report = await syntheticReport({ candles: randomWalkCandles(200, 'ONE_HOUR'), tradeEvery: 40, holdFor: 10 });
    expect(renderTextSummary(report, '').split('\n')).toContain('dead letters    none');
    const { deadLetters: _deadLetters, ...oldFunnel } = report.funnel;
    const old: BacktestReport = { ...report, funnel: oldFunnel };
    const text = renderTextSummary(old, '');
    expect(text).not.toContain('dead letters');
    expect(text).toContain('nothing stopped');
  });

  it('warns first, in the text and on the page, when the replayed candles are ones the model was trained on', async () => {
    const report = await syntheticReport({ candles: randomWalkCandles(200, 'ONE_HOUR'), tradeEvery: 40, holdFor: 10 });
    const trainedOn: BacktestReport = { ...report, inSample: { candles: 150, trainingFromMs: Date.UTC(2020, 0, 1), trainingToMs: Date.UTC(2024, 0, 1) } };
    const warning = "In sample: 150 of 200 candles (75.0 %) lie inside the model's training range (2020-01-01 … 2024-01-01): not a test of the model.";
    expect(renderTextSummary(trainedOn, '').split('\n')[0]).toBe(`WARNING ${warning}`);
    expect(renderHtmlReport(trainedOn)).toContain(`<p class="warning" role="alert">${warning.replace("'", '&#39;')}</p>`);
    // Out of sample (0 candles inside), or a report that does not say: no warning.
    for (const clean of [{ ...report, inSample: { candles: 0, trainingFromMs: 0, trainingToMs: 1 } }, report]) {
      expect(renderTextSummary(clean, '')).not.toContain('In sample');
      expect(renderHtmlReport(clean)).not.toContain('class="warning"');
    }
  });
});
