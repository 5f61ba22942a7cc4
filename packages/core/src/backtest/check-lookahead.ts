import { TradepipeError } from '../errors.js';
import { candleCloseMs, type Candle } from '../records/market.js';
import type { Signal } from '../records/trading.js';
import { backtest, splitBacktestCandles, type BacktestOptions } from './backtest.js';
import type { BacktestRunRecords } from './run-records.js';
import { changedFields, decisionsUpTo, type DecisionEntry, type DecisionKind } from './decisions.js';

/** Changes every candle of a run that starts after `cutStartMs` (default {@link scaleCandlesAfter}). */
export type CandlePoison = (candles: readonly Candle[], cutStartMs: number) => Candle[];

/** Options of {@link checkLookahead}: a backtest's options plus where to cut and how to poison. */
export interface LookaheadOptions extends Omit<BacktestOptions, 'onProgress' | 'signal'> {
  /** How many cut points t, spread evenly over the replayed candles (default 20). */
  readonly cutPoints?: number;
  /** How candles after t are poisoned (default {@link scaleCandlesAfter}). */
  readonly poison?: CandlePoison;
  /** Called after each re-run. */
  readonly onCut?: (progress: { readonly cutsDone: number; readonly cutsTotal: number }) => void | Promise<void>;
  /** Stops the analysis between cut points and, passed on to every backtest, between candles; the run throws the signal's reason. */
  readonly signal?: AbortSignal;
}

/** One decision at or before a cut point t that changed when the candles after t were poisoned. */
export interface LookaheadDifference {
  /** Start of the last candle left untouched (t). */
  readonly cutStartMs: number;
  /** What kind of record the decision is. */
  readonly kind: DecisionKind;
  /** The record's id (`<id>/<validator>` for a validation). */
  readonly id: string;
  /** When it was decided, epoch ms (a signal: its candle's close). */
  readonly decidedAtMs: number;
  /** Who made the decision: `model <id>`, `validator <name>`, `risk`, the executor, … */
  readonly decidedBy: string;
  /** Top-level fields that changed (`(added)`/`(removed)` when only one run made the decision). */
  readonly fields: readonly string[];
  /** For a signal whose features changed: the names of the features that changed. */
  readonly features?: readonly string[];
}

/** What {@link checkLookahead} found. */
export interface LookaheadReport {
  /** True when no decision at or before any cut point changed. */
  readonly passed: boolean;
  /** The cut points used (start of the last untouched candle). */
  readonly cutStartMs: readonly number[];
  /** Decisions compared, summed over cut points. */
  readonly decisionsCompared: number;
  /** Every changed decision, by cut point then time. */
  readonly differences: readonly LookaheadDifference[];
  /** Who looked ahead, most often first: `decidedBy` names and, for signals, the features that changed. */
  readonly suspects: readonly string[];
}

/**
 * The default poison: every candle starting after `cutStartMs` gets its prices scaled by a factor far from 1
 * (alternately ×0.7… and ×1.4…, varying per candle, so the future neither trends nor repeats the past) and its
 * volume changed. Each candle stays valid (high ≥ open, close ≥ low).
 * @example
 * const poisoned = scaleCandlesAfter(candles, candles[99]!.startMs); // the first 100 untouched
 */
export function scaleCandlesAfter(candles: readonly Candle[], cutStartMs: number): Candle[] {
  return candles.map((candle, index) => {
    if (candle.startMs <= cutStartMs) return candle;
    const factor = (index % 2 === 0 ? 0.7 : 1.4) * (1 + (0.05 * ((index * 7919) % 11)) / 11);
    return { ...candle, open: candle.open * factor, high: candle.high * factor, low: candle.low * factor, close: candle.close * factor, volume: candle.volume * 3 + 1 };
  });
}

/** `count` cut points spread evenly over the replayed candles, never the last (nothing comes after it). */
export function lookaheadCutPoints(replayed: readonly Candle[], count: number): number[] {
  if (!Number.isInteger(count) || count < 1) throw new TradepipeError('validation_failed', 'cutPoints must be a positive integer', { details: { cutPoints: count } });
  const usable = replayed.length - 1;
  if (usable < 1) throw new TradepipeError('validation_failed', 'check lookahead needs at least two replayed candles', { details: { candles: replayed.length } });
  const cuts = new Set<number>();
  const wanted = Math.min(count, usable);
  for (let k = 0; k < wanted; k += 1) cuts.add(replayed[Math.min(usable - 1, Math.floor(((k + 1) * usable) / (wanted + 1)))]!.startMs);
  return [...cuts].sort((a, b) => a - b);
}

function changedFeatures(records: { readonly featureNames: readonly string[] }, before: DecisionEntry, after: DecisionEntry | undefined): string[] {
  const a = (before.value as Signal).features?.values ?? [];
  const b = (after?.value as Signal | undefined)?.features?.values ?? [];
  const names: string[] = [];
  for (let index = 0; index < Math.max(a.length, b.length); index += 1) if (a[index] !== b[index]) names.push(records.featureNames[index] ?? `#${index}`);
  return names;
}

function compareAt(baseline: BacktestRunRecords, poisoned: BacktestRunRecords, cutStartMs: number, atMs: number): { compared: number; differences: LookaheadDifference[] } {
  const before = decisionsUpTo(baseline, atMs);
  const after = decisionsUpTo(poisoned, atMs);
  const differences: LookaheadDifference[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const entry = (before.get(key) ?? after.get(key))!;
    const fields = changedFields(before.get(key)?.value, after.get(key)?.value);
    if (fields.length === 0) continue;
    const features = entry.kind === 'signal' && fields.includes('features') ? changedFeatures(baseline, entry, after.get(key)) : undefined;
    differences.push({ cutStartMs, kind: entry.kind, id: entry.id, decidedAtMs: entry.decidedAtMs, decidedBy: entry.decidedBy, fields, ...(features === undefined ? {} : { features }) });
  }
  differences.sort((a, b) => a.decidedAtMs - b.decidedAtMs || STAGE_ORDER.indexOf(a.kind) - STAGE_ORDER.indexOf(b.kind) || a.id.localeCompare(b.id));
  return { compared: before.size, differences };
}

/** Decision kinds in the order the stages make them at one instant. */
const STAGE_ORDER: readonly DecisionKind[] = ['signal', 'recommendation', 'validation', 'assessment', 'order', 'fill'];

/**
 * Who looked ahead: the first changed decision of each cut point is where the future got in (later ones may
 * only follow from it), so those come first, most often first; then every other decider.
 */
function suspectsOf(differences: readonly LookaheadDifference[]): string[] {
  const origins = new Map<string, number>();
  const others = new Map<string, number>();
  const seenCuts = new Set<number>();
  for (const difference of differences) {
    const tally = seenCuts.has(difference.cutStartMs) ? others : origins;
    seenCuts.add(difference.cutStartMs);
    for (const name of [difference.decidedBy, ...(difference.features ?? []).map((feature) => `feature ${feature}`)]) tally.set(name, (tally.get(name) ?? 0) + 1);
  }
  const ranked = (tally: Map<string, number>): string[] => [...tally.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name]) => name);
  return [...new Set([...ranked(origins), ...ranked(others)])];
}

/**
 * Lookahead analysis (what Freqtrade's `lookahead-analysis` does): runs the backtest once on the candles as
 * given, then once per cut point t with every candle after t poisoned (see {@link scaleCandlesAfter}), each
 * re-run stopping at t, and reports every decision made at or before t's close (signal, recommendation,
 * verdict, assessment, order intent, fill) that differs. A pipeline that reads only what the store gives it
 * cannot differ; one that peeks (a feature, model or plugin reading the `candles` of its context past the clock,
 * or data of its own) is named in `suspects`.
 * @returns the report; `passed` is false when any decision changed
 * @throws TradepipeError as {@link backtest}, and `validation_failed` for fewer than two replayed candles
 * @example
 * const report = await checkLookahead({ ...backtestOptions, cutPoints: 20 });
 * if (!report.passed) console.log(report.suspects[0]); // e.g. 'model peeking' or 'feature next_close'
 */
export async function checkLookahead(options: LookaheadOptions): Promise<LookaheadReport> {
  const { replayed } = splitBacktestCandles(options);
  const cuts = lookaheadCutPoints(replayed, options.cutPoints ?? 20);
  const { onCut: _onCut, cutPoints: _cutPoints, poison: _poison, ...rest } = options;
  const { onProgress: _onProgress, ...backtestOptions } = rest as BacktestOptions;
  const baseline = (await backtest(backtestOptions)).records;
  const poison = options.poison ?? scaleCandlesAfter;
  const differences: LookaheadDifference[] = [];
  let decisionsCompared = 0;
  for (const [index, cutStartMs] of cuts.entries()) {
    options.signal?.throwIfAborted();
    const cutCandle = replayed.find((candle) => candle.startMs === cutStartMs)!;
    const tradeToMs = Math.min(options.tradeToMs ?? Number.POSITIVE_INFINITY, cutStartMs + 1);
    const poisoned = (await backtest({ ...backtestOptions, candles: poison(options.candles, cutStartMs), tradeToMs })).records;
    const result = compareAt(baseline, poisoned, cutStartMs, candleCloseMs(cutCandle));
    decisionsCompared += result.compared;
    differences.push(...result.differences);
    await options.onCut?.({ cutsDone: index + 1, cutsTotal: cuts.length });
  }
  return { passed: differences.length === 0, cutStartMs: cuts, decisionsCompared, differences, suspects: suspectsOf(differences) };
}
