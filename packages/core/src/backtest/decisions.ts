import { canonicalJson } from '../ids.js';
import { candleCloseMs } from '../records/market.js';
import type { BacktestRunRecords } from './run-records.js';

/** The kinds of decision a backtest records. */
export type DecisionKind = 'signal' | 'recommendation' | 'validation' | 'assessment' | 'order' | 'fill';

/** One decision of a backtest, reduced to what was decided and when. */
export interface DecisionEntry {
  /** What kind of record the decision is. */
  readonly kind: DecisionKind;
  /** The record's id (the validator's name appended for a validation). */
  readonly id: string;
  /** When it was decided, epoch ms (a signal: its candle's close). */
  readonly decidedAtMs: number;
  /** Who decided: the model for a signal, the validator's name, `risk`, the order's venue. */
  readonly decidedBy: string;
  /** What was decided (an order's intent only: its later status and fills come from later prices). */
  readonly value: Readonly<Record<string, unknown>>;
}

/**
 * Every decision of a backtest made at or before `atMs` (signals whose candle closed by then, recommendations,
 * verdicts, assessments and orders created by then, fills before then), keyed by kind and id.
 * @internal
 */
export function decisionsUpTo(records: BacktestRunRecords, atMs: number): Map<string, DecisionEntry> {
  const entries: DecisionEntry[] = [];
  for (const signal of records.signals) {
    const decidedAtMs = candleCloseMs({ startMs: signal.candleStartMs, granularity: signal.granularity });
    const { generatedAtMs: _generatedAtMs, ...value } = signal;
    entries.push({ kind: 'signal', id: signal.id, decidedAtMs, decidedBy: `model ${signal.modelId}`, value });
  }
  for (const decision of records.decisions) {
    const { recommendation } = decision;
    entries.push({ kind: 'recommendation', id: recommendation.id, decidedAtMs: recommendation.createdAtMs, decidedBy: `${recommendation.origin.type === 'exit' ? 'exit rule' : 'signal bridge'}`, value: recommendation });
    for (const validation of decision.validations) {
      const { latencyMs: _latencyMs, ...value } = validation;
      entries.push({ kind: 'validation', id: `${validation.id}/${validation.validator}`, decidedAtMs: validation.validatedAtMs, decidedBy: `validator ${validation.validator}`, value });
    }
    if (decision.assessment !== undefined) {
      entries.push({ kind: 'assessment', id: decision.assessment.id, decidedAtMs: decision.assessment.assessedAtMs, decidedBy: 'risk', value: decision.assessment });
    }
    const order = decision.order;
    if (order !== undefined) {
      const intent = { id: order.id, clientOrderId: order.clientOrderId, productId: order.productId, side: order.side, orderType: order.orderType, quoteSize: order.quoteSize, baseSize: order.baseSize, limitPrice: order.limitPrice, createdAtMs: order.createdAtMs };
      entries.push({ kind: 'order', id: order.id, decidedAtMs: order.createdAtMs, decidedBy: `executor (${order.venue})`, value: intent });
    }
    for (const fill of decision.fills) {
      // A fill at exactly `atMs` is priced by the next candle: only earlier fills are decisions of the past.
      if (fill.filledAtMs < atMs) entries.push({ kind: 'fill', id: fill.id, decidedAtMs: fill.filledAtMs, decidedBy: `executor (${fill.venue})`, value: fill });
    }
  }
  return new Map(entries.filter((entry) => entry.decidedAtMs <= atMs).map((entry) => [`${entry.kind}:${entry.id}`, entry]));
}

/** The top-level fields of two values that differ (by canonical JSON). */
export function changedFields(before: Readonly<Record<string, unknown>> | undefined, after: Readonly<Record<string, unknown>> | undefined): string[] {
  if (before === undefined || after === undefined) return [before === undefined ? '(added)' : '(removed)'];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((key) => canonicalJson(before[key] ?? null) !== canonicalJson(after[key] ?? null));
}
