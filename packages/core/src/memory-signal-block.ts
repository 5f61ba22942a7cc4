import { recordIdsAfter, type RecordIdsAfter } from './ids.js';
import type { Signal } from './records/trading.js';

/**
 * What recomputes the feature values of signals written without them (the batched replay's quiet signals: see
 * `SignalRow.valuesSource`), for one series, model and feature set: the same numbers, bit for bit, as the vector
 * the signal was decided on.
 * @internal
 */
export interface FeatureValuesSource {
  /** A new array of the values of the vector at the candle starting at `candleStartMs`, or `undefined` when the source cannot give them. */
  valuesAt(candleStartMs: number): number[] | undefined;
}

/**
 * Signals of one series, model, feature set and vector width, as columns: every number a record holds that is
 * not shared by the block lives in a typed array (one row per signal), the feature values in one plain array of
 * doubles (`width` per row) or, for rows written without them, recomputed by the block's source. A row is rebuilt
 * into the record on read (see `SignalColumns`).
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
   * The feature values of the rows written with them, `width` per row in the order written, copied from the array
   * written: a stored signal shares no array with its writer or its readers. A plain array of doubles, grown as rows
   * come (a typed array's memory is external to the heap, and V8 starts a full collection at every 64 MB of external
   * growth). The batched replay's quiet signals keep none here: their values are recomputed on read by
   * {@link source} (a replayed year of minutes would otherwise hold 214 MB of them, first touched and traced for
   * nothing most replays ever read).
   */
  readonly values: number[] = [];
  /** Per row: where its values start in {@link values}, or -1 when {@link source} recomputes them. */
  readonly valueOffsets: Int32Array;
  /** What recomputes the values of the rows written without them (one source per block), once such a row is written. */
  source: FeatureValuesSource | undefined;
  /** The ids of this block's signals by candle start, made at first use. */
  private ids: RecordIdsAfter | undefined;

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
    this.valueOffsets = new Int32Array(capacity);
  }

  /** The ids of the signals of this block's pipeline and series, by candle start (as the pipeline derives them). */
  idsAfter(): RecordIdsAfter {
    return (this.ids ??= recordIdsAfter('signal', [this.pipelineId, this.productId, this.granularity]));
  }

  /** Whether a signal of these shares what this block holds once (a row without values: and its source, if the block has one). */
  fits(pipelineId: string, productId: string, granularity: string, modelId: string, modelVersion: string, featureSetVersion: string, width: number, source: FeatureValuesSource | undefined): boolean {
    return (
      (source === undefined || this.source === undefined || this.source === source) &&
      this.productId === productId &&
      this.granularity === granularity &&
      this.pipelineId === pipelineId &&
      this.modelId === modelId &&
      this.modelVersion === modelVersion &&
      this.featureSetVersion === featureSetVersion &&
      this.width === width
    );
  }

  /** Takes back the rows from `length` on, and their values. */
  truncate(length: number): void {
    let valuesLength = 0;
    for (let row = Math.min(length, this.length) - 1; row >= 0; row -= 1) {
      const offset = this.valueOffsets[row]!;
      if (offset >= 0) {
        valuesLength = offset + this.width;
        break;
      }
    }
    this.length = length;
    this.values.length = valuesLength;
    // A source no row left needs goes (a rolled-back write's, say): the block takes another's rows again.
    let recomputed = false;
    for (let row = 0; row < length && !recomputed; row += 1) recomputed = this.valueOffsets[row]! < 0;
    if (!recomputed) this.source = undefined;
  }
}
