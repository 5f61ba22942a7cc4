import type { BacktestReport } from '@tradepipe/core';
import { formatCount, formatMoney } from './format.js';
import { METRIC_ROWS } from './report-tables.js';

const pad = (text: string, width: number): string => text.padStart(width);

/**
 * The report in plain text for a terminal: the metrics beside both baselines (conventions stated), the funnel,
 * where recommendations stopped, and the sizes risk gave beside those asked. Lines are indented by `indent`.
 * @example
 * process.stdout.write(`${renderTextSummary(report)}\n`);
 */
export function renderTextSummary(report: BacktestReport, indent = '  '): string {
  const names = ['strategy', ...report.baselines.map((baseline) => (baseline.name === 'buy_and_hold' ? 'buy-and-hold' : baseline.name.replace(/^sma_(\d+)_(\d+)$/, 'SMA $1/$2')))];
  const columns = [report.metrics, ...report.baselines.map((baseline) => baseline.metrics)];
  const labelWidth = Math.max(...METRIC_ROWS.map((row) => row.label.length)) + 2;
  const width = 15;
  const { funnel, sizes } = report;
  const stopWidth = Math.max(labelWidth, ...funnel.rejections.map((stop) => stop.stage.length + stop.code.length + 3));
  const lines = [
    `performance (equity by UTC day, 365-day year, √365, risk-free 0; baselines start with the same cash and pay ${report.costs.feeRateBps} bps fees + ${report.costs.slippageBps} bps slippage)`,
    `  ${''.padEnd(labelWidth)}${names.map((name) => pad(name, width)).join('')}`,
    ...METRIC_ROWS.map((row) => `  ${row.label.padEnd(labelWidth)}${columns.map((metrics) => pad(row.show(metrics), width)).join('')}`),
    `funnel          signals ${funnel.signals.total} → recommendations ${funnel.recommendations.total} → validated ${funnel.validated} → validators approved ${funnel.validationApproved} → risk assessed ${funnel.riskAssessed} → risk approved ${funnel.riskApproved} → orders ${funnel.orders} → filled ${funnel.filledOrders} (${funnel.fills} fills)`,
    'stopped',
    ...(funnel.rejections.length === 0 ? ['  nothing stopped'] : funnel.rejections.map((stop) => `  ${`${stop.stage} ${stop.code}`.padEnd(stopWidth)}${pad(formatCount(stop.count), 7)}`)),
    sizes.approvedBuys === 0
      ? 'risk sizes      no BUY approved'
      : `risk sizes      ${formatCount(sizes.approvedBuys)} BUYs approved, ${formatCount(sizes.reduced)} cut: asked ${formatMoney(sizes.requestedQuote.median)} (median), given min ${formatMoney(sizes.approvedQuote.min)} / median ${formatMoney(sizes.approvedQuote.median)} / max ${formatMoney(sizes.approvedQuote.max)}`,
  ];
  return lines.map((line) => `${indent}${line}`).join('\n');
}
