import type { FeatureExtractor, FeatureRows, FeatureSet } from '../interfaces.js';
import type { Candle, FeatureVector } from '../records/market.js';

/** A plain feature vector the matrix rewrites. */
type MutableVector = { -readonly [Key in keyof FeatureVector]: FeatureVector[Key] } & { values: number[] };

/** The values of {@link ChunkMatrix.featurelessVectorAt}'s vector. */
const NO_VALUES = Object.freeze([]) as unknown as number[];

/** The keys of a plain feature vector, in the order the feature engines write them. */
const VECTOR_KEYS = ['productId', 'granularity', 'candleStartMs', 'featureSetVersion', 'values'] as const;

/**
 * The feature values of one chunk of the batched replay, one row per warm candle, in one array reused by every
 * chunk. A chunk's vectors would otherwise live (a 51-value array and an object each, half a kilobyte) from the
 * chunk's features until its bulk write, long enough for the scavenger to promote them: a replayed year of minutes
 * promoted hundreds of megabytes of them into the old generation, each page of it first-touched. Here a vector
 * object lives only as long as its reader: {@link ChunkMatrix.vectorAt} rebuilds it, equal to the extractor's.
 *
 * A vector is taken only when it is a plain object with exactly the keys an extractor of the core feature sets
 * gives, in their order, of the candle's series and start, with a plain array of numbers of the matrix's width
 * and the matrix's feature-set version: the rebuilt vector is then the same record. Any other is kept as it is by
 * the caller ({@link ChunkMatrix.take} returns -1). An extractor with `updateInto` writes its values straight into
 * a row ({@link ChunkMatrix.takeInto}): no vector is made at all.
 * @internal
 */
export class ChunkMatrix {
  private values = new Float64Array(0);
  private width = -1;
  private featureSetVersion = '';
  /** Rows taken since {@link ChunkMatrix.clear}. */
  private rows = 0;
  /** The vector {@link ChunkMatrix.featurelessVectorAt} rewrites. */
  private scratch: MutableVector | undefined;
  /** The vectors {@link ChunkMatrix.batchVectors} rewrites, one per row of a batch. */
  private readonly batchPool: MutableVector[] = [];

  /** Starts a chunk: rows taken before are overwritten. */
  clear(): void {
    this.rows = 0;
  }

  /**
   * Takes a candle's vector as the next row; returns the row, or -1 (nothing taken) for a vector not of the plain
   * shape the matrix rebuilds.
   * @param chunkCandles the most rows a chunk takes (the matrix is made for them once)
   */
  take(vector: FeatureVector, candle: Candle, chunkCandles: number): number {
    if (!isPlainVector(vector, candle)) return -1;
    const source = vector.values;
    if (this.width < 0) {
      this.width = source.length;
      this.featureSetVersion = vector.featureSetVersion;
    }
    const width = this.width;
    if (source.length !== width || vector.featureSetVersion !== this.featureSetVersion) return -1;
    const row = this.rows;
    this.reserveRow(row, chunkCandles);
    const target = this.values;
    const offset = row * width;
    for (let index = 0; index < width; index += 1) {
      const value = source[index];
      if (typeof value !== 'number') return -1;
      target[offset + index] = value;
    }
    this.rows = row + 1;
    return row;
  }

  /**
   * Whether `featureSet`'s extractors can write their values straight into rows ({@link takeInto}): the matrix's rows
   * are of its version and width (set by the first vector or set taken).
   */
  canTakeInto(featureSet: FeatureSet): boolean {
    if (this.width < 0) {
      this.width = featureSet.featureNames.length;
      this.featureSetVersion = featureSet.featureSetVersion;
    }
    return this.width === featureSet.featureNames.length && this.featureSetVersion === featureSet.featureSetVersion;
  }

  /**
   * Feeds `candle` to an extractor of the set {@link canTakeInto} accepted, through its `updateInto`: the values go
   * straight into the next row, no vector made. Returns the row, or -1 while the extractor warms up (nothing taken).
   * @param chunkCandles the most rows a chunk takes (the matrix is made for them once)
   * @throws what `updateInto` throws (nothing taken)
   */
  takeInto(extractor: Required<Pick<FeatureExtractor, 'updateInto'>>, candle: Candle, chunkCandles: number): number {
    const row = this.rows;
    const width = this.width;
    this.reserveRow(row, chunkCandles);
    if (!extractor.updateInto(candle, this.values, row * width)) return -1;
    this.rows = row + 1;
    return row;
  }

  /** Makes room for row `row` (and, at first, for a chunk's rows). */
  private reserveRow(row: number, chunkCandles: number): void {
    const width = this.width;
    if ((row + 1) * width > this.values.length) {
      const grown = new Float64Array(Math.max(chunkCandles, row + 1, 2 * row) * width);
      grown.set(this.values.subarray(0, row * width));
      this.values = grown;
    }
  }

  /** Values per row (the width of the vectors taken). */
  get rowWidth(): number {
    return this.width;
  }

  /** The feature-set version of the vectors taken. */
  get rowsFeatureSetVersion(): string {
    return this.featureSetVersion;
  }

  /** Copies a row's values into `target` from `offset` (the values of the vector taken, as {@link vectorAt} gives them): a store's array of doubles. */
  copyRow(row: number, target: number[], offset: number): void {
    const width = this.width;
    const source = this.values;
    for (let index = 0, at = row * width; index < width; index += 1, at += 1) target[offset + index] = source[at]!;
  }

  /**
   * A vector of `candle`'s series and start in one object reused by every call (valid until the next), with no
   * values (an empty frozen array): for a reader that reads no features and keeps nothing of it (the default
   * recommendation policy), which would not see the row's 51 values copied in for it at every candle.
   */
  featurelessVectorAt(candle: Candle): FeatureVector {
    let scratch = this.scratch;
    if (scratch === undefined) {
      scratch = { productId: candle.productId, granularity: candle.granularity, candleStartMs: candle.startMs, featureSetVersion: this.featureSetVersion, values: NO_VALUES };
      this.scratch = scratch;
    }
    scratch.productId = candle.productId;
    scratch.granularity = candle.granularity;
    scratch.candleStartMs = candle.startMs;
    scratch.featureSetVersion = this.featureSetVersion;
    return scratch;
  }

  /**
   * The vectors of a chunk's warm items, in order, for one `predictBatch`: an item with a row gets the matrix's
   * vector object for that row (equal to the one taken, rewritten for the next chunk's batch: valid until then),
   * the others their vector from `kept`, in order. The array is new, the row vectors are made once and reused.
   */
  batchVectors(items: readonly { readonly candle: Candle; readonly row: number }[], kept: readonly FeatureVector[]): FeatureVector[] {
    const vectors = new Array<FeatureVector>(items.length);
    const pool = this.batchPool;
    let keptAt = 0;
    let pooled = 0;
    for (let index = 0; index < items.length; index += 1) {
      const { candle, row } = items[index]!;
      if (row < 0) {
        vectors[index] = kept[keptAt]!;
        keptAt += 1;
        continue;
      }
      let vector = pool[pooled];
      if (vector === undefined || vector.values.length !== this.width) {
        vector = { productId: candle.productId, granularity: candle.granularity, candleStartMs: candle.startMs, featureSetVersion: this.featureSetVersion, values: new Array<number>(this.width).fill(0.5) };
        pool[pooled] = vector;
      }
      pooled += 1;
      vector.productId = candle.productId;
      vector.granularity = candle.granularity;
      vector.candleStartMs = candle.startMs;
      vector.featureSetVersion = this.featureSetVersion;
      // Its own loop, not copyRow: a copy's stores are fast while they see one kind of array, and each caller's target is another.
      const target = vector.values;
      const source = this.values;
      for (let at = row * this.width, to = 0; to < target.length; at += 1, to += 1) target[to] = source[at]!;
      vectors[index] = vector;
    }
    return vectors;
  }

  /**
   * The matrix's rows as `predictRows` takes them, when `items` (a chunk's warm items, in order) are exactly its rows
   * from 0, in order, all of one series; else `undefined`.
   */
  seriesRows(items: readonly { readonly candle: Candle; readonly row: number }[]): FeatureRows | undefined {
    const first = items[0];
    if (first === undefined || items.length !== this.rows) return undefined;
    const { productId, granularity } = first.candle;
    for (let index = 0; index < items.length; index += 1) {
      const { candle, row } = items[index]!;
      if (row !== index || candle.productId !== productId || candle.granularity !== granularity) return undefined;
    }
    return { values: this.values, count: items.length, width: this.width, featureSetVersion: this.featureSetVersion, productId, granularity };
  }

  /** The vector of a row taken for `candle`: a new plain object and array, equal to the one taken. */
  vectorAt(row: number, candle: Candle): FeatureVector {
    // Made of doubles (not holes that the first double written turns into another kind of array), filled in its own loop.
    const values = new Array<number>(this.width).fill(0.5);
    const source = this.values;
    for (let at = row * this.width, to = 0; to < values.length; at += 1, to += 1) values[to] = source[at]!;
    return { productId: candle.productId, granularity: candle.granularity, candleStartMs: candle.startMs, featureSetVersion: this.featureSetVersion, values };
  }
}

/** Whether `vector` is a plain object of exactly {@link VECTOR_KEYS}, in order, of `candle`'s series and start, with a plain array of values. */
function isPlainVector(vector: FeatureVector, candle: Candle): boolean {
  if (vector === null || typeof vector !== 'object' || Object.getPrototypeOf(vector) !== Object.prototype) return false;
  let index = 0;
  for (const key in vector) {
    if (key !== VECTOR_KEYS[index]) return false;
    index += 1;
  }
  if (index !== VECTOR_KEYS.length) return false;
  const { values } = vector;
  return (
    vector.productId === candle.productId &&
    vector.granularity === candle.granularity &&
    vector.candleStartMs === candle.startMs &&
    typeof vector.featureSetVersion === 'string' &&
    Array.isArray(values) &&
    Object.getPrototypeOf(values) === Array.prototype
  );
}
