import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BacktestReport } from '@tradepipe/core';
import { chartPayload } from './chart-data.js';
import { formatCount, formatMoney, formatUtc } from './format.js';
import { escapeHtml, jsonForScript } from './html-escape.js';
import { PAGE_SCRIPT } from './page-script.js';
import { funnelTables, metricsTable, tradesTable } from './report-tables.js';
import { PAGE_STYLE } from './page-style.js';

/** Options of {@link renderHtmlReport}. */
export interface RenderHtmlReportOptions {
  /** Most points per chart series (default 5,000: more than a screen shows). */
  readonly maxPointsPerSeries?: number;
  /** Most round trips listed in the table (default 1,000; all are in the JSON). */
  readonly maxTradeRows?: number;
}

let chartLibrary: string | undefined;

/** TradingView Lightweight Charts' standalone build (it sets `window.LightweightCharts`), read once from the package. */
function chartLibrarySource(): string {
  if (chartLibrary !== undefined) return chartLibrary;
  const packageJson = createRequire(import.meta.url).resolve('lightweight-charts/package.json');
  const source = readFileSync(join(dirname(packageJson), 'dist', 'lightweight-charts.standalone.production.js'), 'utf8');
  chartLibrary = source.replace(/<\/(script)/gi, '<\\/$1');
  return chartLibrary;
}

function header(report: BacktestReport): string {
  const { period, costs } = report;
  const facts = [
    `${report.productId} · ${report.granularity}`,
    `${formatUtc(period.fromMs)} … ${formatUtc(period.toMs)} (UTC)`,
    `${formatCount(period.candles)} candles`,
    `starting with ${formatMoney(report.startingQuote)}`,
    `fees ${costs.feeRateBps} bps, slippage ${costs.slippageBps} bps (baselines pay the same)`,
  ];
  const inSample = inSampleLine(report);
  return `<header><h1>${escapeHtml(report.title)}</h1><p>${facts.map(escapeHtml).join(' · ')}</p>${inSample === undefined ? '' : `<p class="warning" role="alert">${escapeHtml(inSample)}</p>`}</header>`;
}

/**
 * The warning of a run over candles the model was trained on (`report.inSample`), `undefined` when none of them is
 * (or the report does not say): the figures then flatter the model.
 */
export function inSampleLine(report: Pick<BacktestReport, 'inSample' | 'period'>): string | undefined {
  const inSample = report.inSample;
  if (inSample === undefined || inSample.candles === 0) return undefined;
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  const share = ((100 * inSample.candles) / report.period.candles).toFixed(inSample.candles === report.period.candles ? 0 : 1);
  return `In sample: ${formatCount(inSample.candles)} of ${formatCount(report.period.candles)} candles (${share} %) lie inside the model's training range (${day(inSample.trainingFromMs)} … ${day(inSample.trainingToMs)}): not a test of the model.`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

/**
 * A self-contained HTML page of a backtest report: interactive charts (price with trade markers, equity beside
 * both baselines, drawdown, the funnel) drawn by TradingView's Lightweight Charts, inlined, so the page opens
 * with no network; the metrics table with its conventions; the stops, the sizes risk gave, the trades and the
 * notes. Series are thinned to what a screen shows (extremes and trades kept). Every string from the data is
 * escaped.
 * @example
 * writeFileSync('out/report.html', renderHtmlReport(report));
 */
export function renderHtmlReport(report: BacktestReport, options: RenderHtmlReportOptions = {}): string {
  const payload = chartPayload(report, options.maxPointsPerSeries ?? 5_000);
  const thinned = report.series.candlesPerBar > 1 || payload.price.times.length < report.series.price.length;
  const chartNote = thinned ? `<p class="note">Charts show at most ${formatCount(options.maxPointsPerSeries ?? 5_000)} points per series: candles merged into bars (extremes kept), lines thinned to each bucket's low and high, every trade kept.</p>` : '';
  const body = [
    header(report),
    section('metrics', 'Performance beside the baselines', `${metricsTable(report)}<p class="note">Ratios from equity resampled to UTC days, a 365-day year, √365, risk-free rate 0. The strategy sizes its own trades; the baselines put all the cash in.</p>`),
    section('price', 'Price and trades', `<div id="chart-price" class="chart"></div>${chartNote}`),
    section('equity', 'Equity beside the baselines', '<div id="equity-legend" class="legend"></div><div id="chart-equity" class="chart"></div>'),
    section('drawdown', 'Drawdown', '<div id="chart-drawdown" class="chart short"></div>'),
    section('funnel', 'Funnel: signals to fills', `<canvas id="chart-funnel"></canvas><p id="funnel-tooltip" class="note" aria-live="polite"></p>${funnelTables(report)}`),
    section('trades', 'Round trips', tradesTable(report, options.maxTradeRows ?? 1_000)),
    section('notes', 'Conventions and notes', `<ul>${report.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>`),
    `<footer>Report schema v${report.schemaVersion}, generated ${escapeHtml(new Date(report.generatedAtMs).toISOString())} by tradepipe. Charts: TradingView Lightweight Charts™ (Apache-2.0), © TradingView, Inc. — https://www.tradingview.com/</footer>`,
  ].join('\n');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(report.title)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head><body>',
    `<main>${body}</main>`,
    `<script type="application/json" id="report-data">${jsonForScript(payload)}</script>`,
    `<script>${chartLibrarySource()}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body></html>',
  ].join('\n');
}
