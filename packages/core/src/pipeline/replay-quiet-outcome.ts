import type { ModelPrediction } from '../interfaces.js';
import type { FeatureValuesSource } from '../memory-signal-block.js';
import { SIGNAL_ROW, type SignalRow } from '../memory-signal-columns.js';
import type { Candle, FeatureVector } from '../records/market.js';
import type { Signal, TradeRecommendation } from '../records/trading.js';
import type { ChunkMatrix } from './replay-chunk-matrix.js';
import type { ChunkPredictions } from './replay-chunk-predictions.js';
import type { ReplayFeatureLog } from './replay-feature-log.js';
import type { PipelineRuntime } from './runtime.js';
import { signalGeneratedAtMs, signalIdOf, signalIdWordsOf, signalRecord } from './stages/signal-generation.js';

/**
 * One candle of a chunk: the input as given, the checked candle, and what the batch computed for it. Every item
 * has all seven fields (one object shape, no property added when the prediction comes).
 */
export interface ChunkItem {
  readonly input: Candle;
  readonly candle: Candle;
  /** Whether the batch fed this candle to its engine (then `vector`/`row` and `prediction` are its results). */
  readonly precomputed: boolean;
  /** The candle's vector when the chunk's matrix could not take it (see {@link ChunkMatrix}); else `undefined`. */
  readonly vector: FeatureVector | undefined;
  /** The candle's row in the chunk's matrix, -1 when it has none (warming up, or `vector` kept as it is). */
  readonly row: number;
  /** The candle's prediction when the chunk's predictions could not take it (see {@link ChunkPredictions}); else `undefined`. */
  prediction: ModelPrediction | undefined;
  /** What recomputes the candle's feature values for the core memory store (its series' {@link ReplayFeatureLog}), when it has a `row`; else `undefined`. */
  readonly source: FeatureValuesSource | undefined;
}

/** Where a chunk's vectors are read. */
export interface ChunkVectors {
  /** The chunk's matrix, where an item's `row` is. */
  readonly matrix: ChunkMatrix;
  /** The chunk's predictions, by an item's `row`. */
  readonly predictions: ChunkPredictions;
  /** The vector of an item (a new object), `undefined` while its engine warmed up. */
  vectorOf(item: ChunkItem): FeatureVector | undefined;
  /** The prediction of an item (a new object when rebuilt), `undefined` when the batch made none for it. */
  predictionOf(item: ChunkItem): ModelPrediction | undefined;
}

/**
 * What a quiet candle leaves: the records the signal stage and the bridge would write, and how they end. With a
 * signal, the outcome is also the signal's `writeBulk` item (`record`, `state`, `reason`) for the core memory store,
 * which reads `record` once and copies it: the record is built at each read, from the chunk's matrix, so that from
 * the walk to the end of the chunk's write a quiet candle keeps a few numbers alive, not its vector and signal.
 *
 * Outcomes are reused ({@link QuietOutcomes}): one lives from its candle's decision until the write of the quiet
 * candles walked before the next full-path candle or the chunk's end, and nothing keeps it past that write (the
 * core memory store keeps no bulk item; any other store gets plain items).
 */
export class QuietOutcome implements SignalRow {
  /** The signal's work state (read with `record`). */
  readonly state = 'DONE' as const;
  private runtime!: PipelineRuntime;
  private vectors!: ChunkVectors;
  private item!: ChunkItem;
  /** The id of the candle's signal once its text is built (by the walk, or when read); `undefined` before, and without a signal. */
  private signalId: string | undefined;
  /** Whether the candle has a signal. */
  private signal = false;
  /** The candle's signal as the walk built it, when kept (for a store that keeps its items: see {@link writeQuiet}). */
  private kept: Signal | undefined;
  /** The clock the candle-by-candle replay would read at this candle. */
  private nowMs = 0;
  /** When the signal is stamped (with a signal only). */
  private stampMs = 0;
  /** Why the bridge made nothing of the signal (`undefined` without a signal or when it rejected a recommendation at once). */
  reason: string | undefined;
  /** The recommendation the bridge made and rejected at once, with why (a SELL with nothing held); else `undefined`. */
  rejected: { readonly recommendation: TradeRecommendation; readonly reason: string } | undefined;

  /**
   * Makes this the outcome of a candle (every field rewritten).
   * @param signal whether the candle has a signal
   * @param signalId the signal's id if the walk built its text (else it is built when read: the core memory store
   *   keeps the signal without it, see {@link QuietOutcome.idDerived})
   */
  set(
    runtime: PipelineRuntime,
    vectors: ChunkVectors,
    item: ChunkItem,
    signal: boolean,
    signalId: string | undefined,
    kept: Signal | undefined,
    nowMs: number,
    reason: string | undefined,
    rejected: { readonly recommendation: TradeRecommendation; readonly reason: string } | undefined,
  ): this {
    this.runtime = runtime;
    this.vectors = vectors;
    this.item = item;
    this.signalId = signal ? signalId : undefined;
    this.signal = signal;
    this.kept = kept;
    this.nowMs = nowMs;
    this.stampMs = this.signal ? signalGeneratedAtMs(item.candle, nowMs) : 0;
    this.reason = reason;
    this.rejected = rejected;
    return this;
  }

  /** The candle. */
  get candle(): Candle {
    return this.item.candle;
  }

  /** Whether the candle has a signal (without building it). */
  get hasSignal(): boolean {
    return this.signal;
  }

  /**
   * The signal as a row (see {@link SignalRow}), when the model predicted, its vector is in the chunk's matrix and
   * the signal is not kept: the core memory store copies it into its columns without the record being built.
   */
  [SIGNAL_ROW](): SignalRow | undefined {
    return !this.signal || this.kept !== undefined || this.item.row < 0 ? undefined : this;
  }

  /** The signal's id (with a signal only; as `signalRecord` sets each field below): its text built at the first read when the walk built none. */
  get id(): string {
    if (this.signalId === undefined && this.signal) this.signalId = signalIdOf(this.runtime, this.item.candle);
    return this.signalId!;
  }

  /** The signal id's words, hashed now, when the walk built no text (see {@link SignalRow.idWords}). */
  idWords(target: Uint32Array): boolean {
    if (this.signalId !== undefined || !this.signal) return false;
    return signalIdWordsOf(this.runtime, this.item.candle, target, 0);
  }

  /**
   * Whether `previous` is an outcome of this replay's, with its signal kept as a row as this one's, of the same
   * series and feature log, before this one (see {@link SignalRow.follows}): the pipeline, model and feature set are
   * the replay's.
   */
  follows(previous: SignalRow): boolean {
    if (!(previous instanceof QuietOutcome) || previous.runtime !== this.runtime || previous.vectors !== this.vectors) return false;
    const { item } = this;
    const before = previous.item;
    return (
      item.source !== undefined &&
      before.source === item.source &&
      before.candle.productId === item.candle.productId &&
      before.candle.granularity === item.candle.granularity &&
      before.candle.startMs < item.candle.startMs
    );
  }

  /** True with a signal: its id is the one `signalIdOf` derives from the candle (see {@link SignalRow.idDerived}). */
  idDerived(): boolean {
    return this.signal;
  }

  /** The pipeline's id. */
  get pipelineId(): string {
    return this.runtime.options.pipelineId;
  }

  /** The candle's product. */
  get productId(): Signal['productId'] {
    return this.item.candle.productId;
  }

  /** The candle's granularity. */
  get granularity(): Signal['granularity'] {
    return this.item.candle.granularity;
  }

  /** The candle's start. */
  get candleStartMs(): number {
    return this.item.candle.startMs;
  }

  /** The prediction's action. */
  get action(): Signal['action'] {
    const { item } = this;
    return item.prediction === undefined ? this.vectors.predictions.actionAt(item.row) : item.prediction.action;
  }

  /** The prediction's confidence. */
  get confidence(): number {
    const { item } = this;
    return item.prediction === undefined ? this.vectors.predictions.confidenceAt(item.row) : item.prediction.confidence;
  }

  /** The prediction's probabilities, if it has them: from the chunk's predictions, one object rewritten at each read (the store copies its numbers at once). */
  get probabilities(): Signal['probabilities'] {
    const { item } = this;
    return item.prediction === undefined ? this.vectors.predictions.scratchProbabilitiesAt(item.row) : item.prediction.probabilities;
  }

  /** The model's id. */
  get modelId(): string {
    return this.runtime.options.model!.modelId;
  }

  /** The model's version. */
  get modelVersion(): string {
    return this.runtime.options.model!.modelVersion;
  }

  /** The candle's close. */
  get closePrice(): number {
    return this.item.candle.close;
  }

  /** When the signal is stamped: the walk's clock, no earlier than the candle's close. */
  get generatedAtMs(): number {
    return this.stampMs;
  }

  /** The feature-set version of the vectors in the chunk's matrix. */
  get featureSetVersion(): string {
    return this.vectors.matrix.rowsFeatureSetVersion;
  }

  /** Feature values per vector. */
  get width(): number {
    return this.vectors.matrix.rowWidth;
  }

  /** What recomputes the candle's feature values when read (its series' log): the core memory store keeps them not. */
  valuesSource(): FeatureValuesSource | undefined {
    return this.item.source;
  }

  /** Copies the candle's feature values from the chunk's matrix (always numbers). */
  copyValues(target: number[], offset: number): boolean {
    this.vectors.matrix.copyRow(this.item.row, target, offset);
    return true;
  }

  /** The candle's signal, if the model predicted: the one kept, else a new object at each read (read it once). */
  get record(): Signal | undefined {
    if (!this.signal || this.kept !== undefined) return this.kept;
    return signalRecord(this.runtime, this.item.candle, this.vectors.vectorOf(this.item)!, this.vectors.predictionOf(this.item)!, this.nowMs, this.id);
  }

  /** The candle's vector (a new object at each read), `undefined` while its engine warmed up. */
  vector(): FeatureVector | undefined {
    return this.vectors.vectorOf(this.item);
  }
}

/**
 * The quiet outcomes of a walk, reused: {@link QuietOutcomes.next} hands out the next one, {@link QuietOutcomes.release}
 * (after the write of the outcomes handed out) makes them all available again. Half a million outcome objects a
 * replayed year would otherwise allocate and drop.
 * @internal
 */
export class QuietOutcomes {
  private readonly pool: QuietOutcome[] = [];
  private used = 0;

  /** An outcome not handed out since the last {@link release}. */
  next(): QuietOutcome {
    let outcome = this.pool[this.used];
    if (outcome === undefined) {
      outcome = new QuietOutcome();
      this.pool.push(outcome);
    }
    this.used += 1;
    return outcome;
  }

  /** Every outcome handed out is written and dropped: they may be handed out again. */
  release(): void {
    this.used = 0;
  }
}
