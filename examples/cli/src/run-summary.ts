import { summarizeDeadLetters, toApproxNumber, type BacktestRunRecords, type Candle, type DeadLetterSummary } from '@tradepipe/core';
import { isoDay } from './arguments.js';
import { formatDeadLetterKinds } from './report/format.js';

/** What a run did, stage by stage, as plain data (the JSON of `--json`, the lines of the text output). */
export interface RunSummary {
  readonly productId: string;
  readonly granularity: string;
  readonly period: { readonly from: string; readonly to: string; readonly candles: number; readonly warmupCandles: number };
  readonly signals: Readonly<Record<'BUY' | 'SELL' | 'HOLD', number>>;
  /** Recommendations by how they ended, e.g. `EXECUTED`, `REJECTED`. */
  readonly recommendations: Readonly<Record<string, number>>;
  /** Rejection reasons (their first clause), most frequent first. */
  readonly rejections: readonly { readonly reason: string; readonly count: number }[];
  /** Candles, signals and recommendations dead-lettered: stopped on a failure before the later stages. */
  readonly deadLetters: DeadLetterSummary;
  readonly orders: { readonly placed: number; readonly executed: number; readonly feesUsd: number };
  readonly account: { readonly startUsd: number; readonly endUsd: number; readonly returnFraction: number; readonly heldBase: number };
  /** Buy-and-hold over the same candles (first open to last close), for scale. */
  readonly buyAndHoldFraction: number;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** Summarises a run's records: the funnel, the account marked at the last close, and buy-and-hold. */
export function summarizeRun(records: BacktestRunRecords, startUsd: number): RunSummary {
  const candles: readonly Candle[] = records.candles;
  const first = candles[0]!;
  const last = candles.at(-1)!;
  const product = records.products.find((item) => item.productId === first.productId);
  const balance = (currency: string | undefined): number => toApproxNumber(records.balances.find((item) => item.currency === currency)?.available ?? ('0' as never));
  const heldBase = balance(product?.baseCurrency);
  const endUsd = balance(product?.quoteCurrency) + heldBase * last.close;
  const rejected = records.decisions.filter((decision) => decision.state === 'REJECTED' && decision.reason !== undefined);
  const reasons = countBy(rejected, (decision) => decision.reason!.split(/[:;|]/)[0]!.trim());
  const executed = records.orders.filter((order) => order.status === 'EXECUTED');
  return {
    productId: first.productId,
    granularity: first.granularity,
    period: { from: isoDay(first.startMs), to: isoDay(last.startMs), candles: candles.length, warmupCandles: records.warmupCandles },
    signals: { BUY: 0, SELL: 0, HOLD: 0, ...countBy(records.signals, (signal) => signal.action) },
    recommendations: countBy(records.decisions, (decision) => `${decision.recommendation.side} ${decision.recommendation.origin.type} → ${decision.state}`),
    rejections: Object.entries(reasons).map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    deadLetters: summarizeDeadLetters(records.deadLetters),
    orders: { placed: records.orders.length, executed: executed.length, feesUsd: Math.round(executed.reduce((sum, order) => sum + toApproxNumber(order.totalFees), 0) * 100) / 100 },
    account: { startUsd, endUsd: Math.round(endUsd * 100) / 100, returnFraction: endUsd / startUsd - 1, heldBase },
    buyAndHoldFraction: last.close / first.open - 1,
  };
}

const percent = (value: number): string => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;

/** The summary as aligned lines. */
export function formatRunSummary(summary: RunSummary): string[] {
  return [
    `  period           ${summary.period.from} … ${summary.period.to}: ${summary.period.candles} candles replayed, ${summary.period.warmupCandles} before them warmed the features`,
    `  signals          BUY ${summary.signals.BUY}, SELL ${summary.signals.SELL}, HOLD ${summary.signals.HOLD}`,
    '  recommendations',
    ...Object.entries(summary.recommendations).map(([key, count]) => `    ${key.padEnd(34)} ${count}`),
    ...(summary.rejections.length > 0 ? ['  rejection reasons', ...summary.rejections.slice(0, 8).map((item) => `    ${item.reason.slice(0, 60).padEnd(34)} ${item.count}`)] : []),
    ...(summary.deadLetters.total > 0
      ? [
          `  dead letters     ${summary.deadLetters.total} (${formatDeadLetterKinds(summary.deadLetters.byKind)}): stopped on a failure before the later stages; the run is incomplete`,
          ...summary.deadLetters.byCode.slice(0, 8).map((item) => `    ${`${item.kind} ${item.code}`.padEnd(34)} ${item.count}${item.message === '' ? '' : `  ${item.message.slice(0, 80)}`}`),
        ]
      : []),
    `  orders           ${summary.orders.placed} placed, ${summary.orders.executed} executed, fees $${summary.orders.feesUsd.toFixed(2)}`,
    `  paper account    $${summary.account.startUsd.toFixed(2)} → $${summary.account.endUsd.toFixed(2)} (${percent(summary.account.returnFraction)})`,
    `  price move       ${percent(summary.buyAndHoldFraction)} from the first open to the last close (before costs; the buy-and-hold baseline below pays them)`,
  ];
}
