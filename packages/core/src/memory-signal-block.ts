import type { Signal } from './records/trading.js';

/**
 * Signals of one series, model, feature set and vector width, as columns: every number a record holds that is
 * not shared by the block lives in a typed array (one row per signal), the feature values in one plain array of
 * doubles (`width` per row). A row is rebuilt into the record on read (see `SignalColumns`).
 * @internal
 */
export class SignalBlock {
  length = 0;
  /** The bulk write that last appended to this block (to take its rows back if the write is refused). */
  writeNumber = -1;
  readonly partitionKey: string;
  readonly handles: Int32Array;
  readonly candleStartMs: Float64Array;
  readonly generatedAtMs: Float64Array;
  readonly closePrice: Float64Array;
  readonly confidence: Float64Array;
  /** The action's index in BUY, SELL, HOLD, with bit 4 set when the record has probabilities. */
  readonly actions: Uint8Array;
  /** BUY, SELL, HOLD per row. */
  readonly probabilities: Float64Array;
  /**
   * The feature values, `width` per row, copied from the array written into one array of doubles per block: a
   * stored signal shares no array with its writer or its readers, and a year of minutes keeps 214 MB of doubles
   * in about a thousand arrays instead of 253 MB in half a million. A plain array on purpose, not a
   * Float64Array: a typed array's memory is external to the heap, and V8 starts a full collection at every
   * 64 MB of external growth (measured: 4 to 8 full collections in a replayed year against 1), while heap growth
   * raises its limit by a factor.
   */
  readonly values: number[];

  constructor(
    /** Its place in the columns' list of blocks. */
    readonly index: number,
    readonly pipelineId: string,
    readonly productId: Signal['productId'],
    readonly granularity: Signal['granularity'],
    readonly modelId: string,
    readonly modelVersion: string,
    readonly featureSetVersion: string,
    /** Feature values per row. */
    readonly width: number,
    readonly capacity: number,
  ) {
    this.partitionKey = `${productId}/${granularity}`;
    this.handles = new Int32Array(capacity);
    this.candleStartMs = new Float64Array(capacity);
    this.generatedAtMs = new Float64Array(capacity);
    this.closePrice = new Float64Array(capacity);
    this.confidence = new Float64Array(capacity);
    this.actions = new Uint8Array(capacity);
    this.probabilities = new Float64Array(3 * capacity);
    this.values = doubles(capacity * width);
  }

  /** Whether a signal of these shares what this block holds once. */
  fits(pipelineId: string, productId: string, granularity: string, modelId: string, modelVersion: string, featureSetVersion: string, width: number): boolean {
    return (
      this.productId === productId &&
      this.granularity === granularity &&
      this.pipelineId === pipelineId &&
      this.modelId === modelId &&
      this.modelVersion === modelVersion &&
      this.featureSetVersion === featureSetVersion &&
      this.width === width
    );
  }
}

/** Doubles {@link doubles} concatenates (made on first use). */
let doublesTemplate: number[] | undefined;
const DOUBLES_TEMPLATE_LENGTH = 4_096;

/**
 * A plain array of `length` doubles (0.5 each), doubles from the start (not small integers made doubles at the first
 * write: one copy fewer). Concatenated from copies of one small array of doubles: one allocation of the result,
 * filled by copying, which first-touches its pages once and costs 30% less than `new Array(length).fill(0.5)` (the
 * blocks of a replayed year of minutes are 214 MB of them).
 */
function doubles(length: number): number[] {
  const template = (doublesTemplate ??= new Array<number>(DOUBLES_TEMPLATE_LENGTH).fill(0.5));
  const parts: number[][] = [];
  for (let left = length; left > 0; left -= DOUBLES_TEMPLATE_LENGTH) parts.push(left >= DOUBLES_TEMPLATE_LENGTH ? template : template.slice(0, left));
  return parts.length === 0 ? [] : parts[0]!.concat(...parts.slice(1));
}

