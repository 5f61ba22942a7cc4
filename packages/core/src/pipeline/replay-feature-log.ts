import { TradepipeError } from '../errors.js';
import type { FeatureExtractor, FeatureSet } from '../interfaces.js';
import type { FeatureValuesSource } from '../memory-signal-block.js';
import type { Candle } from '../records/market.js';

/** Candles a stretch holds at most: a read recomputes at most this many vectors (≈ 1 ms on the shipped feature set; an engine state costs ≈ 0.1 ms to save). */
const STRETCH_CANDLES = 1_024;

/** Candles a stretch makes room for at first: a stretch grows to {@link STRETCH_CANDLES} as candles come (a series with many gaps starts many short ones), and one after a full one of its engine starts full size. */
const FIRST_STRETCH_CANDLES = 64;

/** An engine's state, as its `copyState` gave it, or else a deep copy of what its `saveState` gave. */
type EngineCopy = { readonly copy: unknown } | { readonly state: unknown };

/** The state of `engine` as a log keeps it. */
function copyOf(engine: FeatureExtractor): EngineCopy {
  // A deep copy of saveState: an extractor (a plugin's) may hand out its live arrays, or objects a caller can still change.
  return engine.copyState !== undefined && engine.resumeCopy !== undefined ? { copy: engine.copyState() } : { state: structuredClone(engine.saveState()) };
}

/** Puts a logged state back into `extractor` (an engine of the same feature set as the one logged). */
function resume(extractor: FeatureExtractor, state: EngineCopy): void {
  // A copy again for restoreState: an extractor may keep the state it is given and change it as it goes.
  if ('copy' in state && extractor.resumeCopy !== undefined) extractor.resumeCopy(state.copy);
  else if ('state' in state) extractor.restoreState(structuredClone(state.state));
  else throw new TradepipeError('internal', 'A logged engine state was copied with copyState, and this engine has no resumeCopy');
}

/**
 * Consecutive candles one engine took, as numbers (a caller changing its candle objects later changes nothing
 * here), and the engine's state before the first of them.
 */
class Stretch {
  length = 0;
  startMs: Float64Array;
  /** Open, high, low, close and volume per candle. */
  values: Float64Array;
  gapFilled: Uint8Array;

  /**
   * @param state the engine's state before the stretch's first candle (see {@link ReplayFeatureLog.record})
   * @param capacity candles to make room for at first
   */
  constructor(
    readonly state: EngineCopy,
    capacity: number,
  ) {
    this.startMs = new Float64Array(capacity);
    this.values = new Float64Array(5 * capacity);
    this.gapFilled = new Uint8Array(capacity);
  }

  /** Makes room for one more candle. */
  grow(): void {
    if (this.length < this.startMs.length) return;
    const capacity = Math.min(STRETCH_CANDLES, 2 * this.startMs.length);
    const startMs = new Float64Array(capacity);
    startMs.set(this.startMs);
    const values = new Float64Array(5 * capacity);
    values.set(this.values);
    const gapFilled = new Uint8Array(capacity);
    gapFilled.set(this.gapFilled);
    this.startMs = startMs;
    this.values = values;
    this.gapFilled = gapFilled;
  }

  /** The index of the candle starting at `startMs`, or -1. */
  indexOf(startMs: number): number {
    let low = 0;
    let high = this.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const at = this.startMs[middle]!;
      if (at === startMs) return middle;
      if (at < startMs) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }
}

/**
 * What the batched replay feeds one series' feature engine, logged so that the feature values of its quiet signals
 * can be recomputed when read instead of kept (the core memory store's {@link FeatureValuesSource}): the candles
 * as numbers, and the engine's state (its `copyState`, else its `saveState`) every 1,024 candles and whenever the engine changes. A read
 * restores the state before the candle and feeds the candles up to it: the same code on the same numbers from
 * the same state, so the same values bit for bit (`copyState`/`resumeCopy` and `saveState`/`restoreState` are exact). Reads in candle order
 * (a report listing the signals) continue from the previous one.
 *
 * A year of minutes logs 26 MB of candle numbers (in typed arrays, off V8's traced heap) and ≈ 500 engine states,
 * instead of the 214 MB of doubles its vectors hold. The recomputation assumes what every extractor must be: its
 * vectors a function of its state and the candles it takes.
 * @internal
 */
export class ReplayFeatureLog implements FeatureValuesSource {
  private readonly stretches: Stretch[] = [];
  private current: Stretch | undefined;
  /** The engine that took the current stretch's candles. */
  private engine: FeatureExtractor | undefined;
  /** An engine positioned for reads: in which stretch, and the index there of the next candle it takes. */
  private cursor: { extractor: FeatureExtractor; stretch: Stretch; next: number } | undefined;

  constructor(
    private readonly features: FeatureSet,
    private readonly productId: Candle['productId'],
    private readonly granularity: Candle['granularity'],
  ) {}

  /**
   * Logs a candle `engine` is about to take (call before `update`): a new stretch, with the engine's state, when the
   * last is full, was another engine's, or does not end with the candle the engine took last (it took one the log
   * was not given).
   */
  record(engine: FeatureExtractor, candle: Candle): void {
    let stretch = this.current;
    if (stretch === undefined || stretch.length === STRETCH_CANDLES || this.engine !== engine || engine.lastCandleStartMs() !== stretch.startMs[stretch.length - 1]) {
      // A stretch after a full one of the same engine (a series without gaps) is made full size at once.
      const continuing = stretch !== undefined && stretch.length === STRETCH_CANDLES && this.engine === engine;
      stretch = new Stretch(copyOf(engine), continuing ? STRETCH_CANDLES : FIRST_STRETCH_CANDLES);
      this.stretches.push(stretch);
      this.current = stretch;
      this.engine = engine;
    }
    stretch.grow();
    const at = stretch.length;
    stretch.startMs[at] = candle.startMs;
    const values = stretch.values;
    values[5 * at] = candle.open;
    values[5 * at + 1] = candle.high;
    values[5 * at + 2] = candle.low;
    values[5 * at + 3] = candle.close;
    values[5 * at + 4] = candle.volume;
    stretch.gapFilled[at] = candle.gapFilled ? 1 : 0;
    stretch.length = at + 1;
  }

  /** The feature values of the vector the engine gave at the candle starting at `candleStartMs`, recomputed; `undefined` when no candle of the log starts then, or the engine gave none. */
  valuesAt(candleStartMs: number): number[] | undefined {
    const stretch = this.stretchOf(candleStartMs);
    const index = stretch?.indexOf(candleStartMs) ?? -1;
    if (stretch === undefined || index < 0) return undefined;
    let cursor = this.cursor;
    try {
      if (cursor === undefined || cursor.stretch !== stretch || cursor.next > index) {
        const extractor = cursor?.extractor ?? this.features.createExtractor({ productId: this.productId, granularity: this.granularity });
        resume(extractor, stretch.state);
        cursor = this.cursor = { extractor, stretch, next: 0 };
      }
      let values: readonly number[] | undefined;
      for (; cursor.next <= index; cursor.next += 1) values = cursor.extractor.update(this.candleAt(stretch, cursor.next))?.values;
      return values === undefined ? undefined : [...values];
    } catch {
      // An engine that refuses its own log cannot be positioned: the next read restores a state again.
      this.cursor = undefined;
      return undefined;
    }
  }

  /** The last stretch starting at or before `startMs`. */
  private stretchOf(startMs: number): Stretch | undefined {
    const { stretches } = this;
    let low = 0;
    let high = stretches.length - 1;
    let found: Stretch | undefined;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const stretch = stretches[middle]!;
      if (stretch.startMs[0]! <= startMs) {
        found = stretch;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }

  /** The candle at `index` of a stretch, rebuilt. */
  private candleAt(stretch: Stretch, index: number): Candle {
    const { values } = stretch;
    return {
      productId: this.productId,
      granularity: this.granularity,
      startMs: stretch.startMs[index]!,
      open: values[5 * index]!,
      high: values[5 * index + 1]!,
      low: values[5 * index + 2]!,
      close: values[5 * index + 3]!,
      volume: values[5 * index + 4]!,
      gapFilled: stretch.gapFilled[index] === 1,
    };
  }
}
