import { downsampleMinMax, type BacktestReport, type PriceBar, type SeriesPoint } from '@tradepipe/core';

/** A line for a chart, columnar: times in epoch seconds (what the charting library reads) and values. */
export interface ChartLine {
  readonly label: string;
  readonly times: readonly number[];
  readonly values: readonly number[];
}

/** What the page's script draws, columnar and rounded to keep the page small. */
export interface ChartPayload {
  /** Whether bars are shorter than a day (the time axis then shows hours). */
  readonly intraday: boolean;
  readonly price: { readonly times: number[]; readonly open: number[]; readonly high: number[]; readonly low: number[]; readonly close: number[] };
  /** Trades as markers on the bar that holds them. */
  readonly markers: { readonly times: number[]; readonly buy: (0 | 1)[]; readonly priceQuote: number[] };
  readonly equity: readonly ChartLine[];
  /** Drawdown in percent (−12.5 = 12.5 % below the peak). */
  readonly drawdown: ChartLine;
  readonly funnel: { readonly labels: string[]; readonly counts: number[] };
}

const significant = (value: number): number => Number(value.toPrecision(8));
const seconds = (atMs: number): number => Math.floor(atMs / 1000);

/** Bars merged `factor` at a time, keeping every extreme. */
function mergeBars(bars: readonly PriceBar[], maxBars: number): PriceBar[] {
  const factor = Math.max(1, Math.ceil(bars.length / maxBars));
  if (factor === 1) return [...bars];
  const merged: PriceBar[] = [];
  for (let start = 0; start < bars.length; start += factor) {
    const group = bars.slice(start, start + factor);
    merged.push({ atMs: group[0]!.atMs, open: group[0]!.open, high: Math.max(...group.map((bar) => bar.high)), low: Math.min(...group.map((bar) => bar.low)), close: group.at(-1)!.close });
  }
  return merged;
}

/** The start of the bar holding `atMs` (the last bar starting at or before it). */
function barStartFor(barStarts: readonly number[], atMs: number): number {
  let low = 0;
  let high = barStarts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (barStarts[middle]! <= atMs) low = middle;
    else high = middle - 1;
  }
  return barStarts[low]!;
}

function line(label: string, points: readonly SeriesPoint[], maxPoints: number, keepAtMs: ReadonlySet<number>, scale = 1): ChartLine {
  const thinned = downsampleMinMax(points, maxPoints, (point) => point.value, keepAtMs);
  return { label, times: thinned.map((point) => seconds(point.atMs)), values: thinned.map((point) => significant(point.value * scale)) };
}

/**
 * The chart data of a report, thinned to `maxPointsPerSeries` per series (min/max buckets for lines, merged bars
 * for prices, trades always kept) — what the eye can see on a screen, whatever the number of candles.
 * @example
 * chartPayload(report, 4000).price.times.length; // ≤ 4000
 */
export function chartPayload(report: BacktestReport, maxPointsPerSeries: number): ChartPayload {
  const bars = mergeBars(report.series.price, maxPointsPerSeries);
  const barStarts = bars.map((bar) => bar.atMs);
  const tradeMarks = new Set(report.executions.map((execution) => execution.atMs));
  const executions = bars.length === 0 ? [] : report.executions;
  const funnel = report.funnel;
  return {
    intraday: report.granularity !== 'ONE_DAY',
    price: {
      times: barStarts.map(seconds),
      open: bars.map((bar) => significant(bar.open)),
      high: bars.map((bar) => significant(bar.high)),
      low: bars.map((bar) => significant(bar.low)),
      close: bars.map((bar) => significant(bar.close)),
    },
    markers: {
      times: executions.map((execution) => seconds(barStartFor(barStarts, execution.atMs))),
      buy: executions.map((execution) => (execution.side === 'BUY' ? 1 : 0)),
      priceQuote: executions.map((execution) => significant(execution.priceQuote)),
    },
    equity: [
      line('Strategy', report.series.equity, maxPointsPerSeries, tradeMarks),
      ...report.baselines.map((baseline) => line(baseline.label, baseline.equity, maxPointsPerSeries, tradeMarks)),
    ],
    drawdown: line('Drawdown', report.series.drawdown, maxPointsPerSeries, tradeMarks, 100),
    funnel: {
      labels: ['Signals', 'Recommendations', 'Validated', 'Validators approved', 'Risk assessed', 'Risk approved', 'Orders', 'Filled orders'],
      counts: [funnel.signals.total, funnel.recommendations.total, funnel.validated, funnel.validationApproved, funnel.riskAssessed, funnel.riskApproved, funnel.orders, funnel.filledOrders],
    },
  };
}
