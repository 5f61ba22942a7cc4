import { z } from 'zod';
import { TradepipeError } from './errors.js';
import { canonicalJson } from './ids.js';
import type { Candle } from './records/market.js';
import { GRANULARITIES } from './time.js';

/**
 * What to do when candles are missing between two consecutive ones (exchanges omit buckets in which
 * nothing traded): `fill` with the previous close carried forward and zero volume, marked `gapFilled`;
 * or `reject` with `candle_gap`.
 */
export const GapPolicySchema = z.object({
  mode: z.enum(['fill', 'reject']).default('fill'),
  /** The longest gap filled, in candles; a longer one is refused with `candle_gap` (a feed outage, not a quiet market). */
  maxFilledCandles: z.number().int().positive().default(1_440),
});

/** The gap policy shared by the exchange and features packages; see {@link GapPolicySchema}. */
export interface GapPolicy extends z.output<typeof GapPolicySchema> {}

/** The default gap policy: fill gaps of up to 1,440 candles. */
export const DEFAULT_GAP_POLICY: GapPolicy = { mode: 'fill', maxFilledCandles: 1_440 };

/**
 * The candles that stand for the buckets between `previous` and `next` (exclusive): the close carried
 * forward with zero volume, marked `gapFilled`.
 */
export function gapFillCandles(previous: Candle, nextStartMs: number): Candle[] {
  const stepMs = GRANULARITIES[previous.granularity];
  const filled: Candle[] = [];
  for (let startMs = previous.startMs + stepMs; startMs < nextStartMs; startMs += stepMs) {
    filled.push({
      productId: previous.productId,
      granularity: previous.granularity,
      startMs,
      open: previous.close,
      high: previous.close,
      low: previous.close,
      close: previous.close,
      volume: 0,
      gapFilled: true,
    });
  }
  return filled;
}

/** What {@link sequenceCandle} made of one incoming candle. */
export type SequenceResult =
  | { readonly kind: 'accepted'; readonly candles: readonly Candle[] }
  | { readonly kind: 'duplicate' };

/**
 * Places one candle after the previous candle of the same product and granularity: returns the gap
 * fills plus the candle, or `duplicate` if the same candle was seen already.
 * @throws TradepipeError `candle_out_of_order` for an older candle or a same-start candle with other values;
 * `candle_gap` for a gap the policy does not fill; `validation_failed` if product or granularity differ.
 */
export function sequenceCandle(previous: Candle | undefined, next: Candle, policy: GapPolicy = DEFAULT_GAP_POLICY): SequenceResult {
  if (previous === undefined) return { kind: 'accepted', candles: [next] };
  if (previous.productId !== next.productId || previous.granularity !== next.granularity) {
    throw new TradepipeError('validation_failed', 'Candle belongs to another series', {
      details: { expected: `${previous.productId}/${previous.granularity}`, received: `${next.productId}/${next.granularity}` },
    });
  }
  if (next.startMs === previous.startMs) {
    if (canonicalJson({ ...next, gapFilled: false }) === canonicalJson({ ...previous, gapFilled: false })) return { kind: 'duplicate' };
    throw new TradepipeError('candle_out_of_order', 'A candle for the same bucket arrived with other values', {
      details: { productId: next.productId, startMs: next.startMs },
    });
  }
  if (next.startMs < previous.startMs) {
    throw new TradepipeError('candle_out_of_order', 'Candle is older than the last one seen', {
      details: { productId: next.productId, startMs: next.startMs, previousStartMs: previous.startMs },
    });
  }
  const missing = (next.startMs - previous.startMs) / GRANULARITIES[next.granularity] - 1;
  if (missing === 0) return { kind: 'accepted', candles: [next] };
  if (policy.mode === 'reject' || missing > policy.maxFilledCandles) {
    throw new TradepipeError('candle_gap', 'Candles are missing between two received candles', {
      details: { productId: next.productId, missingCandles: missing, fromStartMs: previous.startMs, toStartMs: next.startMs },
    });
  }
  return { kind: 'accepted', candles: [...gapFillCandles(previous, next.startMs), next] };
}

/**
 * Sequences a whole series (sorted or not) through {@link sequenceCandle}: sorts by start, drops exact
 * duplicates, fills gaps per the policy.
 * @throws TradepipeError as {@link sequenceCandle}
 */
export function sequenceCandles(candles: readonly Candle[], policy: GapPolicy = DEFAULT_GAP_POLICY, previous?: Candle): Candle[] {
  const sorted = [...candles].sort((a, b) => a.startMs - b.startMs);
  const result: Candle[] = [];
  let last = previous;
  for (const candle of sorted) {
    const outcome = sequenceCandle(last, candle, policy);
    if (outcome.kind === 'duplicate') continue;
    result.push(...outcome.candles);
    last = candle;
  }
  return result;
}
