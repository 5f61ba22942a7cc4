import type { BacktestReport } from '@tradepipe/core';
import { formatCount, formatDeadLetterKinds, formatMoney } from './format.js';
import { inSampleLine } from './render-html-report.js';
import { METRIC_ROWS } from './report-tables.js';

const pad = (text: string, width: number): string => text.padStart(width);

/**
 * The report in plain text for a terminal: the metrics beside both baselines (conventions stated), the funnel,
 * where recommendations stopped, the items dead-lettered (when the report counts them), and the sizes risk gave
 * beside those asked. Lines are indented by `indent`.
 * @example
 * process.stdout.write(`${renderTextSummary(report)}\n`);
 */
export function renderTextSummary(report: BacktestReport, indent = '  '): string {
  const names = ['strategy', ...report.baselines.map((baseline) => (baseline.name === 'buy_and_hold' ? 'buy-and-hold' : baseline.name.replace(/^sma_(\d+)_(\d+)$/, 'SMA $1/$2')))];
  const columns = [report.metrics, ...report.baselines.map((baseline) => baseline.metrics)];
  const labelWidth = Math.max(...METRIC_ROWS.map((row) => row.label.length)) + 2;
  const width = 15;
  const { funnel, sizes } = report;
  const deadLetters = funnel.deadLetters; // absent from a report.json written before dead letters were counted
  const stopWidth = Math.max(
    labelWidth,
    ...funnel.rejections.map((stop) => stop.stage.length + stop.code.length + 3),
    ...(deadLetters?.byCode ?? []).map((item) => item.kind.length + item.code.length + 3),
  );
  const inSample = inSampleLine(report);
  const lines = [
    ...(inSample === undefined ? [] : [`WARNING ${inSample}`]),
    `performance (equity by UTC day, 365-day year, √365, risk-free 0; baselines start with the same cash and pay ${report.costs.feeRateBps} bps fees + ${report.costs.slippageBps} bps slippage)`,
    `  ${''.padEnd(labelWidth)}${names.map((name) => pad(name, width)).join('')}`,
    ...METRIC_ROWS.map((row) => `  ${row.label.padEnd(labelWidth)}${columns.map((metrics) => pad(row.show(metrics), width)).join('')}`),
    `funnel          signals ${funnel.signals.total} → recommendations ${funnel.recommendations.total} → validated ${funnel.validated} → validators approved ${funnel.validationApproved} → risk assessed ${funnel.riskAssessed} → risk approved ${funnel.riskApproved} → orders ${funnel.orders} → filled ${funnel.filledOrders} (${funnel.fills} fills)`,
    'stopped',
    ...(funnel.rejections.length === 0 ? ['  nothing stopped'] : funnel.rejections.map((stop) => `  ${`${stop.stage} ${stop.code}`.padEnd(stopWidth)}${pad(formatCount(stop.count), 7)}`)),
    ...(deadLetters === undefined
      ? []
      : [
          `dead letters    ${formatDeadLetterKinds(deadLetters.byKind)}${deadLetters.total === 0 ? '' : ': stopped on a failure before the later stages; the run is incomplete'}`,
          ...deadLetters.byCode.map((item) => `  ${`${item.kind} ${item.code}`.padEnd(stopWidth)}${pad(formatCount(item.count), 7)}${item.message === '' ? '' : `  ${item.message}`}`),
        ]),
    sizes.approvedBuys === 0
      ? 'risk sizes      no BUY approved'
      : `risk sizes      ${formatCount(sizes.approvedBuys)} BUYs approved, ${formatCount(sizes.reduced)} cut: asked ${formatMoney(sizes.requestedQuote.median)} (median), given min ${formatMoney(sizes.approvedQuote.min)} / median ${formatMoney(sizes.approvedQuote.median)} / max ${formatMoney(sizes.approvedQuote.max)}`,
  ];
  return lines.map((line) => `${indent}${line}`).join('\n');
}
