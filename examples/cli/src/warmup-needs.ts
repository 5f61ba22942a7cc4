import type { WarmupAnalysis } from '@tradepipe/features';

/** One feature's verdict: the history it needs to settle within the tolerance. */
export interface FeatureWarmupNeed {
  /** The feature's name. */
  readonly name: string;
  /** Largest change per history length, as measured (same order as {@link WarmupNeeds.historyCandles}). */
  readonly maxChange: readonly number[];
  /**
   * The shortest measured history from which this and every longer measured history change the feature by less
   * than the tolerance; `null` when even the longest does not.
   */
  readonly neededCandles: number | null;
}

/** What the warm-up check concludes from an analysis, for a tolerance and the warm-up under test. */
export interface WarmupNeeds {
  /** History lengths measured, ascending, in candles. */
  readonly historyCandles: readonly number[];
  /** The largest change allowed: |a − b| / max(1, |b|), b the long-history value. */
  readonly tolerance: number;
  /** The warm-up judged (the feature set's declared one unless the user gave another). */
  readonly warmupCandles: number;
  /** The history every feature needs: the largest of theirs; `null` when some feature needs more than was measured. */
  readonly neededCandles: number | null;
  /** True when the warm-up judged is at least the history needed. */
  readonly passed: boolean;
  /** One entry per feature, in the set's order. */
  readonly features: readonly FeatureWarmupNeed[];
}

/**
 * Reads an `analyzeWarmup` result as a verdict: per feature, the shortest measured history from which its value
 * at t stays within `tolerance` of the long-history value (at that length and every longer one measured), the
 * largest of those over the features, and whether `warmupCandles` (which should be one of the lengths measured)
 * reaches it. The answer's resolution is the lengths measured.
 */
export function warmupNeeds(analysis: WarmupAnalysis, tolerance: number, warmupCandles: number): WarmupNeeds {
  const lengths = analysis.historyCandles;
  const features = analysis.features.map((feature) => {
    let firstSettled = lengths.length;
    while (firstSettled > 0 && feature.maxChange[firstSettled - 1]! < tolerance) firstSettled--;
    return { name: feature.name, maxChange: feature.maxChange, neededCandles: firstSettled === lengths.length ? null : lengths[firstSettled]! };
  });
  const unsettled = features.some((feature) => feature.neededCandles === null);
  const neededCandles = unsettled ? null : Math.max(...features.map((feature) => feature.neededCandles!));
  return { historyCandles: lengths, tolerance, warmupCandles, neededCandles, passed: neededCandles !== null && warmupCandles >= neededCandles, features };
}
