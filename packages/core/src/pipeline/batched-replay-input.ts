/**
 * What the batched replay checks of its input before it walks (see `replayCandlesBatched`): whether the candles are in
 * start order, each series' span, and whether the replay must go candle by candle instead (repeated input, candles
 * of the range already stored, a plugin that must see every candle).
 * @internal
 */
import { candleCloseMs, type Candle } from '../records/market.js';
import type { PipelineStore } from '../store.js';
import { GRANULARITIES } from '../time.js';
import type { ReplayAccess } from './replay-access.js';

/** A candle's series key, `productId/granularity`. */
export const seriesOf = (candle: Pick<Candle, 'productId' | 'granularity'>): string => `${candle.productId}/${candle.granularity}`;

/** One series of a replay: its first candle and the starts of its first and last candle. */
export interface SeriesSpan {
  readonly candle: Candle;
  readonly fromStartMs: number;
  toStartMs: number;
}

/** Whether candles are in start order (ties in any order), as `sort` by start would leave them. */
export function isInStartOrder(candles: readonly Candle[]): boolean {
  for (let index = 1; index < candles.length; index += 1) if (!(candles[index - 1]!.startMs <= candles[index]!.startMs)) return false;
  return true;
}

/**
 * The replay's series (each one's span, in order of first appearance) and whether the input repeats a candle, in
 * one pass over the candles sorted by start.
 */
export function seriesSpans(ordered: readonly Candle[]): { readonly spans: Map<string, SeriesSpan>; readonly repeated: boolean } {
  const spans = new Map<string, SeriesSpan>();
  let repeated = false;
  let last: SeriesSpan | undefined;
  // Sorted by start: a repeated candle sits among the candles of the same start, `ordered[sameStart..index)`.
  let sameStart = 0;
  for (let index = 0; index < ordered.length; index += 1) {
    const candle = ordered[index]!;
    if (ordered[sameStart]!.startMs !== candle.startMs) sameStart = index;
    for (let other = sameStart; other < index && !repeated; other += 1) {
      if (ordered[other]!.productId === candle.productId && ordered[other]!.granularity === candle.granularity) repeated = true;
    }
    // Candles of one series usually follow each other: the span is looked up (and a key built) only when the series changes.
    if (last === undefined || last.candle.productId !== candle.productId || last.candle.granularity !== candle.granularity) {
      last = spans.get(seriesOf(candle));
      if (last === undefined) spans.set(seriesOf(candle), (last = { candle, fromStartMs: candle.startMs, toStartMs: candle.startMs }));
    }
    last.toStartMs = candle.startMs;
  }
  return { spans, repeated };
}

/** Whether the batched walk could differ from the candle-by-candle replay: repeated input, or stored candles in its range. */
export async function needsCandleByCandle(store: PipelineStore, series: ReturnType<typeof seriesSpans>): Promise<boolean> {
  if (series.repeated) return true;
  for (const { candle, fromStartMs, toStartMs } of series.spans.values()) {
    if (!(candle.granularity in GRANULARITIES)) continue;
    const stored = await store.getCandles({ productId: candle.productId, granularity: candle.granularity, fromStartMs, asOfMs: candleCloseMs({ startMs: toStartMs, granularity: candle.granularity }), limit: 1 });
    if (stored.length > 0) return true;
  }
  return false;
}

/** The stages a quiet candle's decision stands in for without running them (and `'*'`, a wrapper of every stage). */
const QUIET_STAGES: ReadonlySet<string> = new Set(['signal', 'bridge', '*']);

/**
 * Whether a plugin wraps a stage that quiet candles do not run (`signal`, `bridge`, or every stage): its wrapper
 * must see every candle (a veto stops them, a rewrite changes them), so the replay then goes candle by candle;
 * unless it says it only observes the runs there are (`seesEveryCandle: false`: timing, tracing).
 */
export function wrapsQuietStages(access: ReplayAccess): boolean {
  const wrapped = (access.runtime.options.plugins ?? []).flatMap((plugin) => plugin.wrappers ?? []).filter((wrapper) => QUIET_STAGES.has(wrapper.stage) && wrapper.seesEveryCandle !== false);
  if (wrapped.length === 0) return false;
  access.runtime.logger.warn('batched replay runs candle by candle: a plugin wraps a stage quiet candles would skip', { stages: [...new Set(wrapped.map((wrapper) => wrapper.stage))].join(',') });
  return true;
}

