import type { BacktestReport, PerformanceMetrics } from '@tradepipe/core';
import { formatCount, formatDeadLetterKinds, formatDuration, formatMoney, formatPercent, formatRatio, formatUtc } from './format.js';
import { escapeHtml } from './html-escape.js';

/** One row of the metrics table: a label and how to show the figure. */
interface MetricRow {
  readonly label: string;
  readonly show: (metrics: PerformanceMetrics) => string;
}

/** The rows of the metrics table, in the order a trader reads them. */
export const METRIC_ROWS: readonly MetricRow[] = [
  { label: 'Total return', show: (m) => formatPercent(m.totalReturnFraction) },
  { label: 'End equity', show: (m) => formatMoney(m.endEquityQuote) },
  { label: 'CAGR', show: (m) => formatPercent(m.cagrFraction) },
  { label: 'Sharpe (daily, √365)', show: (m) => formatRatio(m.sharpe) },
  { label: 'Sortino (daily, √365)', show: (m) => formatRatio(m.sortino) },
  { label: 'Calmar', show: (m) => formatRatio(m.calmar) },
  { label: 'Max drawdown', show: (m) => formatPercent(-m.maxDrawdown.depthFraction) },
  { label: 'Max drawdown duration', show: (m) => formatDuration(m.maxDrawdown.durationMs) },
  { label: 'Round trips', show: (m) => formatCount(m.roundTrips) },
  { label: 'Win rate', show: (m) => (m.winRate === null ? '–' : `${(m.winRate * 100).toFixed(1)} %`) },
  // Not defined without a losing trip (nothing to divide by): said as such, not shown as "–" like a run without trips.
  { label: 'Profit factor', show: (m) => (m.profitFactor === null && m.roundTrips > 0 ? 'no loss' : formatRatio(m.profitFactor)) },
  { label: 'Expectancy per trip', show: (m) => formatMoney(m.expectancyQuote) },
  { label: 'Average holding', show: (m) => formatDuration(m.averageHoldingMs) },
  { label: 'Exposure (time in market)', show: (m) => `${(m.exposureFraction * 100).toFixed(1)} %` },
  { label: 'Fees', show: (m) => formatMoney(m.feesQuote) },
  { label: 'Turnover', show: (m) => `${m.turnover.toFixed(2)}×` },
];

const cell = (text: string, tag: 'td' | 'th' = 'td'): string => `<${tag}>${escapeHtml(text)}</${tag}>`;
const row = (cells: readonly string[], headerFirst = false): string => `<tr>${cells.map((text, index) => cell(text, headerFirst && index === 0 ? 'th' : 'td')).join('')}</tr>`;

/** The strategy's figures beside each baseline's. */
export function metricsTable(report: BacktestReport): string {
  const columns = [report.metrics, ...report.baselines.map((baseline) => baseline.metrics)];
  const head = row(['', 'Strategy', ...report.baselines.map((baseline) => baseline.label)]).replaceAll('<td>', '<th>').replaceAll('</td>', '</th>');
  const body = METRIC_ROWS.map((metric) => row([metric.label, ...columns.map((metrics) => metric.show(metrics))], true)).join('');
  return `<table class="metrics"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

/** The funnel's steps, the stops by stage and code, the items dead-lettered, and the sizes risk gave beside those asked. */
export function funnelTables(report: BacktestReport): string {
  const { funnel, sizes } = report;
  const steps = [
    ['Signals', `${formatCount(funnel.signals.total)} (BUY ${funnel.signals.BUY}, SELL ${funnel.signals.SELL}, HOLD ${funnel.signals.HOLD})`],
    ['Recommendations', `${formatCount(funnel.recommendations.total)} (${Object.entries(funnel.recommendations.bySource).map(([source, count]) => `${source} ${count}`).join(', ') || 'none'})`],
    ['Validated', `${formatCount(funnel.validated)} (exits skip validation: ${funnel.exitsSkippingValidation})`],
    ['Validators approved', formatCount(funnel.validationApproved)],
    ['Risk assessed', formatCount(funnel.riskAssessed)],
    ['Risk approved', formatCount(funnel.riskApproved)],
    ['Orders', `${formatCount(funnel.orders)} (${Object.entries(funnel.ordersByStatus).map(([status, count]) => `${status} ${count}`).join(', ') || 'none'})`],
    ['Fills', `${formatCount(funnel.fills)} on ${formatCount(funnel.filledOrders)} orders`],
    // Absent from a report.json written before dead letters were counted.
    ...(funnel.deadLetters === undefined ? [] : [['Dead letters', formatDeadLetterKinds(funnel.deadLetters.byKind)]]),
  ];
  const stops = funnel.rejections.map((stop) => row([stop.stage, stop.code, formatCount(stop.count)])).join('') || row(['–', 'no stops', '0']);
  const deadLetters =
    funnel.deadLetters === undefined || funnel.deadLetters.total === 0
      ? ''
      : `<h3>Dead letters: stopped on a failure before the later stages (the run is incomplete)</h3><table class="stops dead-letters"><thead><tr><th>Kind</th><th>Error code</th><th>Count</th><th>First message</th></tr></thead><tbody>${funnel.deadLetters.byCode
          .map((item) => row([item.kind, item.code, formatCount(item.count), item.message]))
          .join('')}</tbody></table>`;
  const spread = (label: string, values: { min: number | null; median: number | null; max: number | null }, show: (value: number | null) => string): string =>
    row([label, show(values.min), show(values.median), show(values.max)], true);
  return [
    `<table class="funnel"><tbody>${steps.map((step) => row(step, true)).join('')}</tbody></table>`,
    `<h3>Where recommendations stopped</h3><table class="stops"><thead><tr><th>Stage</th><th>Reason code</th><th>Count</th></tr></thead><tbody>${stops}</tbody></table>`,
    deadLetters,
    `<h3>Sizes risk gave (${formatCount(sizes.approvedBuys)} approved BUYs, ${formatCount(sizes.reduced)} cut)</h3>`,
    `<table class="sizes"><thead><tr><th></th><th>min</th><th>median</th><th>max</th></tr></thead><tbody>`,
    spread('Asked', sizes.requestedQuote, formatMoney),
    spread('Approved', sizes.approvedQuote, formatMoney),
    spread('Approved / asked', sizes.approvedFraction, (value) => (value === null ? '–' : `${(value * 100).toFixed(1)} %`)),
    `</tbody></table>`,
  ].join('');
}

/** The round trips, the first `limit` of them (all are in the JSON report). */
export function tradesTable(report: BacktestReport, limit: number): string {
  const shown = report.trades.slice(0, limit);
  const rows = shown
    .map((trip) => row([formatUtc(trip.entryAtMs), formatUtc(trip.exitAtMs), trip.sizeBase.toFixed(8), formatMoney(trip.entryPriceQuote), formatMoney(trip.exitPriceQuote), formatMoney(trip.feesQuote), formatMoney(trip.pnlQuote), formatPercent(trip.returnFraction, 2), formatDuration(trip.holdingMs)]))
    .join('');
  const caption = report.trades.length > limit ? `<p class="note">The first ${formatCount(limit)} of ${formatCount(report.trades.length)} round trips; all are in report.json.</p>` : '';
  const open = report.openLots.length > 0 ? `<p class="note">${formatCount(report.openLots.length)} lot(s) still open at the end (${report.openLots.reduce((sum, lot) => sum + lot.sizeBase, 0).toFixed(8)} base), marked to market in the equity.</p>` : '';
  const head = '<tr><th>Entry (UTC)</th><th>Exit (UTC)</th><th>Size</th><th>Entry</th><th>Exit</th><th>Fees</th><th>PnL</th><th>Return</th><th>Held</th></tr>';
  return `${caption}<div class="scroll"><table class="trades"><thead>${head}</thead><tbody>${rows || '<tr><td colspan="9">No round trip closed.</td></tr>'}</tbody></table></div>${open}`;
}
