import {
  DEFAULT_GAP_POLICY,
  GRANULARITIES,
  TradepipeError,
  sequenceCandle,
  type Candle,
  type FeatureExtractor,
  type FeatureVector,
  type GapPolicy,
  type SeriesKey,
} from '@tradepipe/core';
import { checkCandleValues } from './candle-checks.js';
import { type FeatureEngineState, kernelChecksum, parseEngineState } from './engine-state.js';
import { FeatureKernel } from './feature-kernel.js';
import { FEATURE_COUNT, FEATURE_SET_VERSION } from './feature-names.js';
import { StateReader, StateWriter } from './internal/state-buffer.js';

/**
 * The streaming engine of the 51 features for one series. `update` takes closed candles in order and
 * returns the vector at each once warm ({@link WARMUP_CANDLES}), `undefined` before. O(1) per candle;
 * `feed` plus `copyValuesInto` do it without allocating. Bad candles throw and leave the engine as it
 * was: `validation_failed` for bad numbers or another series, `candle_out_of_order` for an older candle
 * or a same-start candle with other values, `candle_gap` for a gap the gap policy does not fill. An
 * exact duplicate of the last candle changes nothing and returns its vector again. Filled gaps (close
 * carried forward, zero volume) are fed to the indicators before the candle.
 * @example
 * const engine = new FeatureEngine({ productId: 'BTC-USD', granularity: 'ONE_HOUR' });
 * const vector = engine.update({
 *   productId: 'BTC-USD', granularity: 'ONE_HOUR', startMs: 0,
 *   open: 100, high: 101, low: 99, close: 100.5, volume: 3, gapFilled: false,
 * }); // undefined until the 700th candle
 */
export class FeatureEngine implements FeatureExtractor {
  private kernel = new FeatureKernel();
  private readonly stepMs: number;
  /** The last candle fed, copied (callers may reuse one object for every candle). */
  private last: LastCandle | undefined;

  /**
   * @param series the product and granularity every candle must carry
   * @param gapPolicy core's gap policy (default: fill gaps of up to 1,440 candles)
   */
  constructor(
    /**
     * The product and granularity every candle fed must carry; a candle of another series is refused with
     * `validation_failed`.
     */
    readonly series: SeriesKey,
    private readonly gapPolicy: GapPolicy = DEFAULT_GAP_POLICY,
  ) {
    this.stepMs = GRANULARITIES[series.granularity];
  }

  /**
   * Feeds the next closed candle.
   * @returns the vector at this candle, or `undefined` while warming up
   * @throws TradepipeError `validation_failed`, `candle_out_of_order`, `candle_gap`
   */
  update(candle: Candle): FeatureVector | undefined {
    return this.feed(candle) ? this.vectorAt(candle.startMs) : undefined;
  }

  /**
   * Feeds the next closed candle as {@link FeatureEngine.update} does, and writes the 51 values of the vector it would
   * return into `target` from `offset` (no vector object).
   * @returns false while warming up (nothing written)
   * @throws TradepipeError as `update`; `validation_failed` if `target` is too short (before the candle is fed)
   */
  updateInto(candle: Candle, target: Float64Array, offset: number): boolean {
    if (!(offset >= 0 && offset + FEATURE_COUNT <= target.length)) {
      throw new TradepipeError('validation_failed', 'Target array is too short for a feature vector', { details: { length: target.length, offset } });
    }
    if (!this.feed(candle)) return false;
    const values = this.kernel.values;
    for (let index = 0; index < FEATURE_COUNT; index++) target[offset + index] = values[index]!;
    return true;
  }

  /**
   * Feeds the next closed candle without building a vector (no allocation unless a gap is filled).
   * @returns whether a vector is available for this candle (read it with `copyValuesInto`)
   * @throws TradepipeError `validation_failed`, `candle_out_of_order`, `candle_gap`
   */
  feed(candle: Candle): boolean {
    this.checkCandleShape(candle);
    checkCandleValues(candle.startMs, candle.open, candle.high, candle.low, candle.close, candle.volume, this.stepMs);
    const last = this.last;
    if (last === undefined || candle.startMs === last.startMs + this.stepMs) {
      this.stepCandle(candle);
    } else {
      const previous: Candle = { productId: this.series.productId, granularity: this.series.granularity, ...last };
      const outcome = sequenceCandle(previous, candle, this.gapPolicy);
      if (outcome.kind === 'duplicate') return this.kernel.isReady;
      for (const accepted of outcome.candles) this.stepCandle(accepted);
    }
    this.remember(candle);
    return this.kernel.isReady;
  }

  /** Refuses a non-object, a candle of another series or a non-boolean `gapFilled` (before any state changes). */
  private checkCandleShape(candle: Candle): void {
    if (typeof candle !== 'object' || candle === null || Array.isArray(candle)) {
      throw new TradepipeError('validation_failed', 'Invalid candle: not an object', { details: { field: 'candle', received: candle === null ? 'null' : typeof candle } });
    }
    for (const field of ['productId', 'granularity'] as const) {
      if (candle[field] !== this.series[field]) {
        throw new TradepipeError('validation_failed', 'Candle belongs to another series', {
          details: { field, expected: `${this.series.productId}/${this.series.granularity}`, received: `${String(candle.productId)}/${String(candle.granularity)}` },
        });
      }
    }
    if (candle.gapFilled !== undefined && typeof candle.gapFilled !== 'boolean') {
      throw new TradepipeError('validation_failed', 'Invalid candle: gapFilled is not a boolean', { details: { field: 'gapFilled' } });
    }
  }

  private remember(candle: Candle): void {
    let last = this.last;
    if (last === undefined) {
      last = { startMs: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, gapFilled: false };
      this.last = last;
    }
    last.startMs = candle.startMs;
    last.open = candle.open;
    last.high = candle.high;
    last.low = candle.low;
    last.close = candle.close;
    last.volume = candle.volume;
    last.gapFilled = candle.gapFilled === true;
  }

  private stepCandle(candle: Candle): void {
    this.kernel.step(candle.startMs, candle.open, candle.high, candle.low, candle.close, candle.volume);
  }

  /** Whether the engine has seen enough candles to produce vectors. */
  isReady(): boolean {
    return this.kernel.isReady;
  }

  /** Number of candles fed so far, gap fills included. */
  candleCount(): number {
    return this.kernel.candleCount;
  }

  /** @returns the start of the last candle fed, if any */
  lastCandleStartMs(): number | undefined {
    return this.last?.startMs;
  }

  /**
   * Copies the 51 values at the last candle into `target` from `offset`, without allocating.
   * @throws TradepipeError `not_ready` before warm-up; `validation_failed` if `target` is too short
   */
  copyValuesInto(target: Float64Array | number[], offset = 0): void {
    if (!this.kernel.isReady) throw notReady(this.kernel.candleCount);
    if (offset < 0 || offset + FEATURE_COUNT > target.length) {
      throw new TradepipeError('validation_failed', 'Target array is too short for a feature vector', {
        details: { length: target.length, offset },
      });
    }
    const values = this.kernel.values;
    for (let index = 0; index < FEATURE_COUNT; index++) target[offset + index] = values[index]!;
  }

  /**
   * The vector at the last candle.
   * @throws TradepipeError `not_ready` before warm-up
   */
  currentVector(): FeatureVector {
    if (!this.kernel.isReady || this.last === undefined) throw notReady(this.kernel.candleCount);
    return this.vectorAt(this.last.startMs);
  }

  private vectorAt(candleStartMs: number): FeatureVector {
    return {
      productId: this.series.productId,
      granularity: this.series.granularity,
      candleStartMs,
      featureSetVersion: FEATURE_SET_VERSION,
      values: copyToArray(this.kernel.values),
    };
  }

  /** @returns a JSON-serialisable snapshot: restoring it resumes exactly where this engine is */
  saveState(): FeatureEngineState {
    const writer = new StateWriter();
    this.kernel.save(writer);
    const last = this.last;
    return {
      format: 'tradepipe.features.engine-state',
      featureSetVersion: FEATURE_SET_VERSION,
      productId: this.series.productId,
      granularity: this.series.granularity,
      lastCandle: last === undefined ? null : { ...last },
      kernel: writer.numbers,
      checksum: kernelChecksum(writer.numbers),
    };
  }

  /**
   * An exact copy of the engine's state for this process, for {@link FeatureEngine.resumeCopy}: `saveState` without its
   * checksum and format (≈ 4× cheaper), not meant to be stored. Shares nothing with the engine.
   */
  copyState(): unknown {
    const writer = new StateWriter();
    this.kernel.save(writer);
    // Off V8's traced heap: the batched replay keeps hundreds of these.
    return { kernel: Float64Array.from(writer.numbers), lastCandle: this.last === undefined ? null : { ...this.last } } satisfies EngineCopy;
  }

  /**
   * Puts back a state `copyState` gave, of an engine of this feature set and series (not validated: it comes from this
   * process). The copy is read, not kept: it can be put back again.
   */
  resumeCopy(copy: unknown): void {
    const { kernel: numbers, lastCandle } = copy as EngineCopy;
    const kernel = new FeatureKernel();
    const reader = new StateReader(numbers);
    kernel.load(reader);
    reader.finish();
    this.kernel = kernel;
    this.last = lastCandle === null ? undefined : { ...lastCandle };
  }

  /**
   * Replaces this engine's state with a snapshot from `saveState` (of the same feature set version and
   * series). On failure the engine keeps its previous state.
   * @throws TradepipeError `validation_failed` for a malformed, altered or foreign snapshot
   */
  restoreState(state: unknown): void {
    const parsed = parseEngineState(state, this.series);
    const kernel = new FeatureKernel();
    const reader = new StateReader(parsed.kernel);
    kernel.load(reader);
    reader.finish();
    this.kernel = kernel;
    const lastCandle = parsed.lastCandle;
    this.last = lastCandle === null ? undefined : { ...lastCandle };
  }
}

/** What {@link FeatureEngine.copyState} gives. */
interface EngineCopy {
  readonly kernel: Float64Array;
  readonly lastCandle: LastCandle | null;
}

interface LastCandle {
  startMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  gapFilled: boolean;
}

function notReady(candleCount: number): TradepipeError {
  return new TradepipeError('not_ready', 'Features are not warm yet', { details: { candleCount } });
}

/** A plain array copy of the kernel's values (a loop: several times faster than `Array.from` on a typed array). */
function copyToArray(values: Float64Array): number[] {
  const copy = new Array<number>(values.length);
  for (let index = 0; index < values.length; index += 1) copy[index] = values[index]!;
  return copy;
}
