import { describe, expect, it } from 'vitest';
import type { BacktestReport } from '@tradepipe/core';
import { escapeHtml, jsonForScript } from './html-escape.js';
import { renderHtmlReport } from './render-html-report.js';
import { randomWalkCandles, syntheticReport } from './synthetic-run.js';

const INJECTION = '</script><img src=x onerror=alert(1)><script>alert(2)</script>';

describe('HTML report', () => {
  it('escapes every string from the data: no markup through a title, a reason code, a label or a note', async () => {
    const report = await syntheticReport({ candles: randomWalkCandles(300, 'ONE_HOUR'), tradeEvery: 40, holdFor: 10, title: `BTC ${INJECTION}` });
    const hostile: BacktestReport = {
      ...report,
      baselines: report.baselines.map((baseline) => ({ ...baseline, label: `${baseline.label} ${INJECTION}` })),
      funnel: { ...report.funnel, rejections: [{ stage: 'bridge', code: INJECTION, count: 3 }], recommendations: { total: 1, bySource: { [INJECTION]: 1 } } },
      notes: [...report.notes, INJECTION],
    };
    const html = renderHtmlReport(hostile);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('alert(1)><script>');
    expect(html).toContain(escapeHtml(INJECTION));
    // The data island cannot be closed from inside: exactly the three scripts the page ships open and close.
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
  });

  it('shows the items dead-lettered by kind, code and first message, escaped; a report.json without them still renders', async () => {
    const report = await syntheticReport({ candles: randomWalkCandles(200, 'ONE_HOUR'), tradeEvery: 40, holdFor: 10, deadLetterCandles: 2 });
    const html = renderHtmlReport(report);
    expect(html).toContain('<tr><th>Dead letters</th><td>2 candles</td></tr>');
    expect(html).toContain('<tr><td>candle</td><td>candle_gap</td><td>2</td><td>A gap in candles the gap policy does not fill</td></tr>');
    expect(html).toContain(escapeHtml('2 work items dead-lettered (2 candles)'));
    const hostile: BacktestReport = { ...report, funnel: { ...report.funnel, deadLetters: { ...report.funnel.deadLetters!, byCode: [{ kind: 'signal', code: INJECTION, count: 1, message: INJECTION }] } } };
    expect(renderHtmlReport(hostile)).not.toContain('<img');
    const { deadLetters: _deadLetters, ...oldFunnel } = report.funnel;
    const old = renderHtmlReport({ ...report, funnel: oldFunnel });
    expect(old).not.toContain('Dead letters');
    expect(old).toContain('Where recommendations stopped');
  });

  it('writes JSON for a script element with no way out of it', () => {
    expect(jsonForScript({ reason: '</script><!--', separator: '\u2028' })).toBe('{"reason":"\\u003c/script\\u003e\\u003c!--","separator":"\\u2028"}');
    expect(JSON.parse(jsonForScript({ reason: '</script>&' }))).toEqual({ reason: '</script>&' });
  });

  it('shows the metrics beside both baselines, the conventions and the trades', async () => {
    const report = await syntheticReport({ candles: randomWalkCandles(500, 'ONE_HOUR'), tradeEvery: 50, holdFor: 12 });
    const html = renderHtmlReport(report);
    for (const label of ['Strategy', 'Buy and hold', 'SMA 50/200 crossover (long only)', 'Sharpe (daily, √365)', 'Max drawdown duration', 'risk-free rate 0', 'Round trips']) expect(html).toContain(escapeHtml(label));
    expect(report.trades.length).toBe(10);
    expect(html.match(/<tr>/g)!.length).toBeGreaterThan(report.trades.length);
    expect(html).toContain('id="chart-price"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(http/); // nothing fetched when opened
  });
});
