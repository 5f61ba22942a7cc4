import type { DeadLetter } from '../dead-letters.js';
import { toApproxNumber } from '../decimal.js';
import type { WorkKind } from '../store.js';
import type { BacktestRecords, RecommendationTrail } from './backtest-records.js';
import { quantileOfSorted } from './statistics.js';

/** Where in the pipeline a recommendation stopped. */
export type FunnelStage = 'bridge' | 'validation' | 'risk' | 'execution' | 'expiry' | 'failure';

/** How many recommendations stopped at a stage for one reason code. */
export interface RejectionCount {
  /** Where the recommendations stopped. */
  readonly stage: FunnelStage;
  /**
   * A stable code: the risk reason code (`max_position`), `validator:flag` or `validator:failure_kind` for a
   * validation, the venue's reason prefix for an order, the reason's prefix before `:` otherwise.
   */
  readonly code: string;
  /** Recommendations that stopped there for this code. */
  readonly count: number;
}

/** How many work items of one kind were dead-lettered with one error code. */
export interface DeadLetterCount {
  /** The kind of the items (`candle`, `signal`, `recommendation`). */
  readonly kind: WorkKind;
  /** The error code that ended them (`not_found`, `storage_failed`), or their reason's prefix before `:` when none was recorded. */
  readonly code: string;
  /** Items of this kind that ended with this code. */
  readonly count: number;
  /** The first such item's error message (or reason), to say why without opening the store. */
  readonly message: string;
}

/**
 * The work items a run dead-lettered: stopped for good on a failure, for an operator to re-queue or discard. They
 * never reached the later stages, so a run whose items were all dead-lettered shows no recommendation, as if the
 * model had chosen not to trade, unless these are read.
 */
export interface DeadLetterSummary {
  /** Dead-lettered items of every kind. */
  readonly total: number;
  /** Dead-lettered items by kind (every kind present, 0 when none). */
  readonly byKind: Readonly<Record<WorkKind, number>>;
  /** By kind and code, most frequent first (ties by kind, then code). */
  readonly byCode: readonly DeadLetterCount[];
}

/** The way from signals to fills, as the design document measures it, with every stop counted. */
export interface BacktestFunnel {
  /** Signals recorded for the product, by action (from {@link BacktestRecords.signalCounts}). */
  readonly signals: { readonly total: number; readonly BUY: number; readonly SELL: number; readonly HOLD: number };
  /** Recommendations by side and source (`BUY signal`, `SELL exit:stop_loss`). */
  readonly recommendations: { readonly total: number; readonly bySource: Readonly<Record<string, number>> };
  /** Recommendations with at least one validation. */
  readonly validated: number;
  /** Of those, the ones every validator approved. */
  readonly validationApproved: number;
  /** Exit recommendations, which go straight to risk without validation. */
  readonly exitsSkippingValidation: number;
  /** Recommendations with a risk assessment, both sides. */
  readonly riskAssessed: number;
  /** Recommendations risk approved, both sides. */
  readonly riskApproved: number;
  /** Orders made from the recommendations. */
  readonly orders: number;
  /** Orders by current status (`FILLED`, `CANCELLED`, …), keys sorted. */
  readonly ordersByStatus: Readonly<Record<string, number>>;
  /** Orders with at least one fill. */
  readonly filledOrders: number;
  /** Fills of those orders. */
  readonly fills: number;
  /** Recommendations by final state. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Every stop, by stage and code, most frequent first. A recommendation stopped for two reasons counts under both. */
  readonly rejections: readonly RejectionCount[];
  /**
   * Candles, signals and recommendations dead-lettered (a dead-lettered recommendation also counts in `rejections`,
   * at stage `failure`). Absent from a report.json written before dead letters were counted.
   */
  readonly deadLetters?: DeadLetterSummary;
}

/** Min, median and max of a set of amounts (all `null` when empty). */
export interface AmountSpread {
  /** The smallest amount; `null` when there is none. */
  readonly min: number | null;
  /** The median amount (interpolated between the two middle ones for an even count); `null` when there is none. */
  readonly median: number | null;
  /** The largest amount; `null` when there is none. */
  readonly max: number | null;
}

/** The BUY sizes risk approved beside what the recommendations asked. */
export interface SizeComparison {
  /** BUY recommendations risk approved. */
  readonly approvedBuys: number;
  /** What the approved BUY recommendations asked, quote currency. */
  readonly requestedQuote: AmountSpread;
  /** What risk approved for them (its adjusted amount), quote currency. */
  readonly approvedQuote: AmountSpread;
  /** Approved over requested, per recommendation. */
  readonly approvedFraction: AmountSpread;
  /** How many risk approved for less than asked. */
  readonly reduced: number;
}

const codePrefix = (reason: string | undefined): string => reason?.split(/[:;|]/)[0]?.trim() || 'unspecified';

/** The stage and codes a recommendation that did not execute stopped with; `undefined` for one still moving or executed. */
function stopOf(trail: RecommendationTrail): { stage: FunnelStage; codes: string[] } | undefined {
  const state = trail.status?.state;
  if (state === 'EXPIRED') return { stage: 'expiry', codes: ['expired'] };
  if (state === 'FAILED' || state === 'DEAD_LETTER' || state === 'DISCARDED') return { stage: 'failure', codes: [trail.status?.lastError?.code ?? codePrefix(trail.status?.reason)] };
  if (state !== 'REJECTED') return undefined;
  if (trail.assessment?.decision === 'REJECT') {
    return { stage: 'risk', codes: [...new Set(trail.assessment.reasons.map((reason) => reason.code).filter((code) => code !== 'approved'))] };
  }
  const rejecting = trail.validations.filter((validation) => validation.decision === 'REJECT');
  if (rejecting.length > 0) {
    const codes = rejecting.flatMap((validation) => {
      if (validation.failure !== undefined) return [`${validation.validator}:${validation.failure.kind}`];
      return validation.riskFlags.length > 0 ? validation.riskFlags.map((flag) => `${validation.validator}:${flag}`) : [`${validation.validator}:rejected`];
    });
    return { stage: 'validation', codes: [...new Set(codes)] };
  }
  if (trail.order !== undefined) return { stage: 'execution', codes: [codePrefix(trail.order.statusReason ?? trail.order.status)] };
  return { stage: 'bridge', codes: [codePrefix(trail.status?.reason)] };
}

const increment = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** The order of the kinds in a {@link DeadLetterSummary}: the pipeline's. */
const WORK_KINDS: readonly WorkKind[] = ['candle', 'signal', 'recommendation'];

/**
 * Counts dead letters by kind and by kind and error code (the recorded error's code, else the reason's prefix).
 * @example
 * summarizeDeadLetters(await store.listDeadLetters()).byKind.signal; // signals dead-lettered
 */
export function summarizeDeadLetters(deadLetters: readonly DeadLetter[]): DeadLetterSummary {
  const byKind: Record<WorkKind, number> = { candle: 0, signal: 0, recommendation: 0 };
  const counts = new Map<string, { kind: WorkKind; code: string; count: number; message: string }>();
  for (const item of deadLetters) {
    byKind[item.kind] += 1;
    const code = item.lastError?.code ?? codePrefix(item.reason);
    const key = `${item.kind}\u0000${code}`;
    const known = counts.get(key);
    if (known === undefined) counts.set(key, { kind: item.kind, code, count: 1, message: item.lastError?.message ?? item.reason ?? '' });
    else known.count += 1;
  }
  const byCode = [...counts.values()].sort((a, b) => b.count - a.count || WORK_KINDS.indexOf(a.kind) - WORK_KINDS.indexOf(b.kind) || a.code.localeCompare(b.code));
  return { total: deadLetters.length, byKind, byCode };
}

/**
 * The funnel of a run: signals → recommendations → validations → approvals → risk approvals → orders → fills,
 * with every stop counted by stage and reason code, and the items dead-lettered on the way by kind and code.
 * @example
 * const funnel = computeFunnel(await loadBacktestRecords(store, { productId: 'BTC-USD' }));
 */
export function computeFunnel(records: BacktestRecords): BacktestFunnel {
  const bySource: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const ordersByStatus: Record<string, number> = {};
  const stops = new Map<string, RejectionCount>();
  let validated = 0;
  let validationApproved = 0;
  let exitsSkippingValidation = 0;
  for (const trail of records.trails) {
    const { recommendation } = trail;
    increment(bySource, `${recommendation.side} ${recommendation.origin.type === 'exit' ? `exit:${recommendation.origin.rule}` : 'signal'}`);
    increment(outcomes, trail.status?.state ?? 'missing');
    if (trail.validations.length > 0) validated += 1;
    if (trail.validations.length > 0 && trail.validations.every((validation) => validation.decision === 'APPROVE')) validationApproved += 1;
    if (recommendation.origin.type === 'exit' && trail.validations.length === 0) exitsSkippingValidation += 1;
    const stop = stopOf(trail);
    for (const code of stop?.codes ?? []) {
      const key = `${stop!.stage}\u0000${code}`;
      stops.set(key, { stage: stop!.stage, code, count: (stops.get(key)?.count ?? 0) + 1 });
    }
  }
  for (const order of records.orders) increment(ordersByStatus, order.status);
  const { BUY = 0, SELL = 0, HOLD = 0 } = records.signalCounts;
  return {
    signals: { total: BUY + SELL + HOLD, BUY, SELL, HOLD },
    recommendations: { total: records.trails.length, bySource: sortedRecord(bySource) },
    validated,
    validationApproved,
    exitsSkippingValidation,
    riskAssessed: records.trails.filter((trail) => trail.assessment !== undefined).length,
    riskApproved: records.trails.filter((trail) => trail.assessment?.decision === 'APPROVE').length,
    orders: records.orders.length,
    ordersByStatus: sortedRecord(ordersByStatus),
    filledOrders: new Set(records.fills.map((fill) => fill.orderId)).size,
    fills: records.fills.length,
    outcomes: sortedRecord(outcomes),
    rejections: [...stops.values()].sort((a, b) => b.count - a.count || a.stage.localeCompare(b.stage) || a.code.localeCompare(b.code)),
    deadLetters: summarizeDeadLetters(records.deadLetters ?? []),
  };
}

function sortedRecord(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

function spreadOf(values: readonly number[]): AmountSpread {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? null, median: quantileOfSorted(sorted, 0.5) ?? null, max: sorted.at(-1) ?? null };
}

/**
 * The BUY sizes risk approved beside the amounts asked (e.g. $100), from the risk assessments.
 * @example
 * compareSizes(records).approvedQuote.median; // what a $100 recommendation became, typically
 */
export function compareSizes(records: BacktestRecords): SizeComparison {
  const approved = records.trails.flatMap((trail) =>
    trail.assessment?.decision === 'APPROVE' && trail.recommendation.side === 'BUY'
      ? [{ requested: toApproxNumber(trail.assessment.requestedQuoteAmount), approved: toApproxNumber(trail.assessment.adjustedQuoteAmount) }]
      : [],
  );
  return {
    approvedBuys: approved.length,
    requestedQuote: spreadOf(approved.map((size) => size.requested)),
    approvedQuote: spreadOf(approved.map((size) => size.approved)),
    approvedFraction: spreadOf(approved.filter((size) => size.requested > 0).map((size) => size.approved / size.requested)),
    reduced: approved.filter((size) => size.approved < size.requested).length,
  };
}
