import { checkCandle } from '../candle-check.js';
import { TradepipeError } from '../errors.js';
import { recordId } from '../ids.js';
import { prepareMemoryBulkSignals } from '../memory-store.js';
import { readsNoFeatures } from '../recommendation-policy.js';
import type { FeatureExtractor, ModelPrediction } from '../interfaces.js';
import { candleCloseMs, type Candle, type FeatureVector } from '../records/market.js';
import { candleWorkId, type PipelineStore } from '../store.js';
import { GRANULARITIES, type ManualClock } from '../time.js';
import { ReplayCaches, decideQuietly, releaseScratchSignal, writeQuiet, type QuietSignalMode } from './batched-replay-walk.js';
import { QuietOutcomes, type ChunkItem, type ChunkVectors, type QuietOutcome } from './replay-quiet-outcome.js';
import type { Pipeline } from './pipeline.js';
import { replayCandles } from './replay.js';
import { checkpointFeatures, replayAccessOf, type ReplayAccess } from './replay-access.js';
import type { SeriesEngine } from './stages/feature-engines.js';
import { ChunkMatrix } from './replay-chunk-matrix.js';
import { ChunkPredictions } from './replay-chunk-predictions.js';
import { ReplayFeatureLog } from './replay-feature-log.js';
import { ReplayStaging } from './replay-staging.js';
import { ReplayStore } from './replay-store.js';
import { isInStartOrder, needsCandleByCandle, seriesOf, seriesSpans, wrapsQuietStages } from './batched-replay-input.js';
import { runCandleWork, ScheduledRetries } from './replay.js';
import { modelViewOf } from './stages/signal-generation.js';

/** What a batched replay did. */
export interface BatchedReplayResult {
  /** Candles replayed. */
  readonly candles: number;
  /** Work items processed, counted as the candle-by-candle replay counts them. */
  readonly itemsProcessed: number;
  /** Candles decided without the store and written in bulk. */
  readonly quietCandles: number;
  /** Candles that went through the stages one at a time (a recommendation, an exit, work pending). */
  readonly fullPathCandles: number;
  /** Whether the whole replay ran candle by candle (the store already held candles in its range, the input repeats a candle, or a plugin wraps the signal or bridge stage). */
  readonly candleByCandle: boolean;
  /**
   * Candles the store refused because their bucket was stored with other values (the stored one stands; see
   * `replayCandles`). Only a candle-by-candle run meets one: the batched walk runs only over a range the store holds
   * no candle of, from input that repeats none.
   */
  readonly conflicts: number;
}

/** Input of {@link replayCandlesBatched}: as {@link replayCandles}, plus the chunk size. */
export interface BatchedReplayInput {
  /** A pipeline built by `createPipeline` that runs the signal and bridge stages in this process. */
  readonly pipeline: Pipeline;
  /** The pipeline's store. */
  readonly store: PipelineStore;
  /** The manual clock the pipeline and the store share. */
  readonly clock: ManualClock;
  /**
   * Closed candles to replay (sorted by start here: a copy when they are not in start order, else this array itself,
   * which must not change until the replay returns, `onChunk` included).
   */
  readonly candles: readonly Candle[];
  /** Candles whose features and predictions are computed at once: a positive integer (default 4,096). */
  readonly chunkCandles?: number;
  /** Called after each chunk is written, e.g. to print progress. */
  readonly onChunk?: (progress: { readonly candlesDone: number; readonly quietCandles: number; readonly fullPathCandles: number }) => void | Promise<void>;
}

/** Candles per series the replay's view of the store keeps at least. */
const VIEW_WINDOW_CANDLES = 256;

/**
 * The batched walk over one replay: chunks of candles through the feature engines and one `predictBatch`,
 * then each candle in time order, quiet ones decided in memory and written in bulk, the others through the
 * stages. Everything candle-specific lives in {@link decideQuietly} and {@link ReplayCaches}.
 */
class BatchedWalk implements ChunkVectors {
  private readonly engines = new Map<string, SeriesEngine>();
  /** The series last fed, its engine and its log (a chunk is mostly one series' candles in a row): no key to build for the next. */
  private last: { readonly productId: string; readonly granularity: string; readonly engine: SeriesEngine; readonly log: ReplayFeatureLog | undefined } | undefined;
  /** Per series, what its engine took (into the core memory store only: the store recomputes quiet signals' values from it). */
  private readonly logs = new Map<string, ReplayFeatureLog>();
  private readonly pending: QuietOutcome[] = [];
  /** The items of the chunk being walked (see {@link chunk}). */
  private readonly chunkItems: ChunkItem[] = [];
  /** Where {@link pending}'s outcomes come from: reused once they are written. */
  private readonly outcomes = new QuietOutcomes();
  /** The items {@link pooledItem} rewrites, one per place in a chunk. */
  private readonly itemPool: { -readonly [Key in keyof ChunkItem]: ChunkItem[Key] }[] = [];
  /** The chunk's feature values (see {@link ChunkMatrix}). */
  readonly matrix = new ChunkMatrix();
  /** The chunk's predictions of the items with a row in {@link matrix} (see {@link ChunkPredictions}). */
  readonly predictions = new ChunkPredictions();
  /**
   * The chunk's warm items, and the vectors of those the matrix could not take as the engines gave them (the
   * others are read back from the matrix at the prediction), until the chunk's prediction.
   */
  private warmItems: ChunkItem[] = [];
  private warmVectors: FeatureVector[] = [];
  /** The clock the candle-by-candle replay would read at the last candle walked. */
  private clockMs: number;
  itemsProcessed = 0;
  quietCandles = 0;
  fullPathCandles = 0;
  /** Set when a candle failed in the stages: the rest of the replay goes candle by candle. */
  degraded = false;

  constructor(
    private readonly access: ReplayAccess,
    private readonly input: BatchedReplayInput,
    private readonly caches: ReplayCaches,
    /** The replay's view of its store, which the stages use meanwhile. */
    private readonly view: ReplayStore,
    /** Whether the store held no signal of a candle in the replay's range when it began. */
    private readonly signalsAbsent: boolean,
    /** Whether the quiet writes go to the core memory store (see {@link writeQuiet}). */
    private readonly lazySignals: boolean,
    /** The retries the pipeline's failures schedule, followed for the replay (see {@link runCandleWork}). */
    private readonly retries: ScheduledRetries,
  ) {
    this.clockMs = input.clock.nowMs();
    this.featureFreePolicy = readsNoFeatures(access.runtime.policy);
  }

  /** Whether the pipeline's policy reads no signal's features (see {@link decisionVectorOf}). */
  private readonly featureFreePolicy: boolean;

  /** The next chunk from `start`: up to `size` candles of continuing series, fed to their engines and predicted. */
  async chunk(ordered: readonly Candle[], start: number, size: number): Promise<ChunkItem[]> {
    const engines = this.access.engines!;
    const features = this.access.runtime.options.features!;
    // One array for every chunk's items (a chunk's are walked before the next is read).
    const items = this.chunkItems;
    items.length = 0;
    this.matrix.clear();
    // No row of this chunk holds a prediction until its predictBatch (a chunk takes at most `size` rows).
    this.predictions.reset(Math.min(size, ordered.length - start));
    if (this.degraded) return ordered.slice(start, start + size).map((input) => ({ input, candle: input, precomputed: false, vector: undefined, row: -1, prediction: undefined, source: undefined }));
    for (let index = start; index < ordered.length && items.length < size; index += 1) {
      const input = ordered[index]!;
      let candle: Candle;
      try {
        candle = checkCandle(input);
      } catch {
        // An invalid candle goes alone through the full path, where putCandles refuses it as in the reference.
        if (items.length === 0) items.push({ input, candle: input, precomputed: false, vector: undefined, row: -1, prediction: undefined, source: undefined });
        break;
      }
      const last = this.last;
      let engine = last !== undefined && last.productId === candle.productId && last.granularity === candle.granularity ? last.engine : this.engines.get(seriesOf(candle));
      if (engine === undefined || engine.extractor.lastCandleStartMs() !== candle.startMs - GRANULARITIES[candle.granularity]) {
        // Not following on (first candle, a gap): the stage's own engine logic, with everything before written.
        if (items.length > 0) break;
        const context = this.access.context();
        engine = await engines.engineFor(candle, context.store, context.logger);
        this.engines.set(seriesOf(candle), engine);
        await this.caches.loadRecent(candle);
      }
      let log = last?.log;
      if (last?.engine !== engine) {
        log = this.logOf(candle);
        this.last = { productId: candle.productId, granularity: candle.granularity, engine, log };
      }
      let vector: FeatureVector | undefined;
      let row = -1;
      const { extractor } = engine;
      try {
        log?.record(extractor, candle);
        // Into the core memory store, an extractor with `updateInto` writes the values straight into the chunk's matrix.
        if (this.lazySignals && extractor.updateInto !== undefined && this.matrix.canTakeInto(features)) row = this.matrix.takeInto(extractor as Required<FeatureExtractor>, candle, Math.min(size, ordered.length - start));
        else vector = extractor.update(candle);
      } catch (error) {
        // An engine that refuses a candle the store takes: the stages handle it (retries), and the rest goes candle by candle.
        this.access.runtime.logger.warn('feature engine refused a replayed candle', { error });
        this.degraded = true;
        items.push({ input, candle, precomputed: false, vector: undefined, row: -1, prediction: undefined, source: undefined });
        break;
      }
      // Into the core memory store, the values go to the chunk's matrix and the vector object lives only until the
      // chunk's prediction; any other store (a staging) keeps the signals it is given, each with its vector. The
      // matrix is made for the rows this chunk can still take, not for a chunk size beyond the candles left.
      if (vector !== undefined && this.lazySignals) row = this.matrix.take(vector, candle, Math.min(size, ordered.length - start));
      const item = this.pooledItem(items.length, input, candle, row < 0 ? vector : undefined, row, row < 0 ? undefined : log);
      items.push(item);
      // A vector the matrix took is dropped here: kept until the chunk's prediction, the engines' vectors of a chunk
      // were alive at most scavenges, and V8 then allocated every one of them in the old generation (pretenuring).
      // (Predicted in batches of 1,024 as the engines gave them, without the copy into the matrix's vectors, they
      // still promoted 360 bytes per candle.)
      if (row >= 0) this.warmItems.push(item);
      else if (vector !== undefined) {
        this.warmItems.push(item);
        this.warmVectors.push(vector);
      }
      engine.candlesSinceCheckpoint += 1;
    }
    await this.predict();
    return items;
  }

  /**
   * The chunk's item at `at` (a candle fed to its engine), in an object reused by every chunk: a chunk's items
   * would otherwise live from its features until its bulk write, long enough for V8 to allocate every one of them
   * in the old generation (pretenuring). Nothing keeps an item past its chunk: the quiet outcomes that hold one are
   * written and dropped at the chunk's flush (the core memory store keeps no bulk item), a full-path candle's
   * precomputed entry is deleted once it ran, and a degraded replay takes copies.
   */
  private pooledItem(at: number, input: Candle, candle: Candle, vector: FeatureVector | undefined, row: number, source: ReplayFeatureLog | undefined): ChunkItem {
    let item = this.itemPool[at];
    if (item === undefined) {
      item = { input, candle, precomputed: true, vector, row, prediction: undefined, source };
      this.itemPool[at] = item;
      return item;
    }
    item.input = input;
    item.candle = candle;
    item.precomputed = true;
    item.vector = vector;
    item.row = row;
    item.prediction = undefined;
    item.source = source;
    return item;
  }

  /** The log of a candle's series (made at its first candle), when the quiet signals go to the core memory store; else `undefined`. */
  private logOf(candle: Candle): ReplayFeatureLog | undefined {
    if (!this.lazySignals) return undefined;
    const key = seriesOf(candle);
    let log = this.logs.get(key);
    if (log === undefined) this.logs.set(key, (log = new ReplayFeatureLog(this.access.runtime.options.features!, candle.productId, candle.granularity)));
    return log;
  }

  /** The prediction of a chunk item (rebuilt from the chunk's predictions: a new object each time), `undefined` when none was made. */
  predictionOf(item: ChunkItem): ModelPrediction | undefined {
    return item.prediction ?? (item.row >= 0 ? this.predictions.predictionAt(item.row) : undefined);
  }

  /** Whether the chunk's batch predicted an item. */
  private predicted(item: ChunkItem): boolean {
    return item.prediction !== undefined || (item.row >= 0 && this.predictions.has(item.row));
  }

  /** The vector of a chunk item (rebuilt from the chunk's matrix: a new object each time). */
  vectorOf(item: ChunkItem): FeatureVector | undefined {
    return item.row < 0 ? item.vector : this.matrix.vectorAt(item.row, item.candle);
  }

  /**
   * The vector a quiet decision reads: the matrix's reused one when the signal built from it is not kept (the core
   * memory store rebuilds it from its row) and the policy reads no features (see `readsNoFeatures`), else the
   * item's own. Half a kilobyte less per candle than {@link vectorOf}.
   */
  private decisionVectorOf(item: ChunkItem): FeatureVector | undefined {
    return this.signalMode(item) === 'scratch' ? this.matrix.featurelessVectorAt(item.candle) : this.vectorOf(item);
  }

  /**
   * How a quiet decision builds the item's signal (see `QuietSignalMode`): a store other than the core memory store
   * keeps it; the core memory store rebuilds it from the item's row, and then, for a policy that reads no features,
   * the decision reads a reused signal and vector.
   */
  private signalMode(item: ChunkItem): QuietSignalMode {
    if (!this.lazySignals) return 'keep';
    return item.row >= 0 && this.featureFreePolicy ? 'scratch' : 'rebuild';
  }

  /**
   * One `predictBatch` on the model's view of the chunk's warm vectors (as the stage predicts), or `predictRows` on the
   * matrix's rows where the model has it (the same predictions); if it fails, those candles take the full path (and
   * `predict`).
   */
  private async predict(): Promise<void> {
    const { runtime } = this.access;
    const model = runtime.options.model;
    const warm = this.warmItems;
    const kept = this.warmVectors;
    this.warmItems = [];
    this.warmVectors = [];
    if (model === undefined || warm.length === 0) return;
    try {
      const { signal } = this.access.context();
      // A model that takes rows predicts the matrix as it is (one series' rows, none kept aside) into the chunk's
      // predictions: no vector and no prediction object made.
      const rows = kept.length === 0 && model.predictRows !== undefined ? this.matrix.seriesRows(warm) : undefined;
      if (rows !== undefined && (await model.predictRows!(rows, this.predictions.columns, { signal }))) {
        // Row i is warm item i (seriesRows); a row not taken is predicted by the stage, on the full path.
        this.predictions.takeWritten(warm.length);
        return;
      }
      const view = modelViewOf(runtime);
      // The items' vectors in order: those in the matrix in the matrix's reused objects (see ChunkMatrix.batchVectors).
      const vectors = this.matrix.batchVectors(warm, kept);
      for (let index = 0; index < vectors.length; index += 1) vectors[index] = view.project(vectors[index]!);
      const predictions = await model.predictBatch(vectors, { signal });
      // Into the chunk's predictions when plain (the object then dies here), else kept on the item.
      for (let index = 0; index < warm.length; index += 1) {
        const item = warm[index]!;
        const prediction = predictions[index];
        if (item.row < 0 || !this.predictions.take(item.row, prediction)) item.prediction = prediction;
      }
    } catch (error) {
      this.access.runtime.logger.warn('batch prediction failed; those candles are predicted one by one', { error });
    }
  }

  /** Walks a chunk's candles in time order on the replay clock; `following` is the first candle after the chunk, if any. */
  async walk(items: readonly ChunkItem[], following: Candle | undefined): Promise<void> {
    // Indexed: an iterator in an async loop allocates a result per candle.
    for (let index = 0; index < items.length; index += 1) {
      const item = items[index]!;
      const next = index + 1 < items.length ? items[index + 1]!.candle : following;
      if (this.degraded && item.precomputed) {
        await this.fullPath({ ...item, precomputed: false }, next);
        continue;
      }
      const nowMs = Math.max(this.clockMs, candleCloseMs(item.candle));
      const warm = item.row >= 0 || item.vector !== undefined;
      const quiet = item.precomputed && (!warm || this.predicted(item)) && !this.caches.workPending
        ? decideQuietly(this.access, this.caches, this, item, warm ? this.decisionVectorOf(item) : undefined, nowMs, this.signalMode(item), this.outcomes)
        : undefined;
      if (quiet === undefined) {
        await this.fullPath(item, next);
        continue;
      }
      this.pending.push(quiet);
      this.clockMs = nowMs;
      this.caches.pushRecent(item.candle);
      this.quietCandles += 1;
      this.itemsProcessed += quiet.hasSignal ? 2 : 1;
    }
  }

  /** Writes the quiet candles walked so far, the clock first moved to the last one's decision time. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    this.input.clock.set(Math.max(this.input.clock.nowMs(), this.clockMs));
    await writeQuiet(this.access, this.view.store, this.pending, this.lazySignals);
    // Emptied, not replaced: one array for every flush (the write keeps none of it).
    this.pending.length = 0;
    this.outcomes.release();
  }

  /** A candle as the candle-by-candle replay takes it, with the batch's vector and prediction handed to the signal stage; `next` is the candle replayed after it. */
  private async fullPath(item: ChunkItem, next: Candle | undefined): Promise<void> {
    await this.flush();
    const { clock, pipeline } = this.input;
    const { store } = this.view;
    const { precomputed } = this.access.engines!;
    clock.set(Math.max(clock.nowMs(), candleCloseMs(item.input)));
    const workId = candleWorkId(item.candle);
    if (item.precomputed) precomputed.set(workId, { vector: this.vectorOf(item), prediction: this.predictionOf(item) });
    try {
      await store.putCandles([item.input]);
      // Replayed once, and no signal of the range stored before: the stage's look for the candle's signal finds none.
      if (this.signalsAbsent) this.view.signalAbsent(recordId('signal', [this.access.runtime.options.pipelineId, item.candle.productId, item.candle.granularity, item.candle.startMs]));
      this.itemsProcessed += await runCandleWork(pipeline, clock, item.candle, next, this.retries);
    } finally {
      precomputed.delete(workId);
    }
    this.clockMs = clock.nowMs();
    this.caches.pushRecent(item.candle);
    this.fullPathCandles += 1;
    // A candle the stages could not finish (a retry, a dead letter) leaves the engines to the stage: the rest goes candle by candle.
    const candleState = this.view.takeCandleState(item.candle) ?? (await store.getWorkStatus('candle', workId))?.state;
    if (candleState !== 'DONE') this.degraded = true;
    await this.caches.refresh({ candle: item.candle, candleState });
  }

  /** Saves the feature engines on their cadence, at a chunk's end (everything they took is written). */
  async checkpointOnCadence(): Promise<void> {
    const every = this.access.runtime.tuning.checkpointEveryCandles;
    if ([...this.engines.values()].some((engine) => engine.candlesSinceCheckpoint >= every)) await this.access.engines!.checkpointAll(this.view.store, this.access.runtime.clock.nowMs());
  }
}

/**
 * Replays closed candles like {@link replayCandles} and records exactly what it records (the same signals,
 * recommendations, validations, assessments, approvals, orders, fills, positions and balances, with the same
 * ids, fields and times), much faster. Candles are taken in chunks: features for the whole chunk, one
 * `predictBatch`, then each candle in time order on the same clock. A quiet candle (HOLD, or a signal the
 * bridge makes nothing of or rejects at once, no exit rule firing, no work pending) is decided with the same
 * policy and exit code, without the store, and written with the others in one `writeBulk` once the clock has
 * passed their close; any other candle goes through the stages as in the candle-by-candle replay, with the
 * batch's vector and prediction. The feature checkpoint at the end is the one the candle-by-candle replay
 * leaves. While it runs, the stages read the store through the replay's view of it (`ReplayStore`): candle
 * windows, products, positions, balances, the risk state, orders, signals and recommendations are answered
 * from what was read or written since, and claims in states that hold no item are answered empty, so a
 * candle through the stages costs far fewer store round trips than in the candle-by-candle replay; the
 * store is assumed to be written only through the pipeline meanwhile (as the quiet path already assumes).
 * On a store that can import replays (`importReplay`, the SQL stores) and holds no trading history yet
 * (`holdsTradingHistory` false: no recommendation, order, fill, approval, reservation, validation, assessment,
 * position, equity snapshot or waiting work; products, balances and the risk state are copied into memory) and
 * no signal of the replay's range, the stages run on a core memory store instead (`ReplayStaging`): a candle
 * through the stages costs no round trip, and at the end of each chunk (and of the replay) everything they wrote,
 * with the quiet candles, goes to the store in one `importReplay` transaction. A failure leaves the store as of
 * the last flush, exactly what the candle-by-candle replay leaves after the same candles; running the replay
 * again then goes candle by candle. Events are held meanwhile and delivered once their records are committed (at
 * the flush, after the stages ran: a listener sees them later than the candle-by-candle replay emits them, never
 * before the store holds what they report); events of a flush that failed are dropped.
 * Needs the `signal` and `bridge` stages in this process, and a pure recommendation policy and exit
 * policy (the shipped ones are). A plugin that wraps the `signal` or `bridge` stage (or every stage) must see every
 * candle, so the replay then runs candle by candle (`candleByCandle: true`; not for a wrapper that only observes,
 * `seesEveryCandle: false`), as it does when the store already
 * holds candles of the replay's range. Work status bookkeeping (`updatedAtMs`, `availableAtMs`) of quiet candles
 * carries the write's time, not each candle's.
 * @returns counts, including how many candles took each path
 * @throws TradepipeError `validation_failed` if `chunkCandles` is not a positive integer; `pipeline_invalid` if the pipeline does not run the signal and bridge stages here, is started, is already being replayed in batches, or its clock disagrees with the store's
 * @example
 * const result = await replayCandlesBatched({ pipeline, store, clock, candles: holdOut });
 * console.log(`${result.quietCandles} quiet, ${result.fullPathCandles} through the stages`);
 */
export async function replayCandlesBatched(input: BatchedReplayInput): Promise<BatchedReplayResult> {
  const access = replayAccessOf(input.pipeline);
  if (access.engines === undefined || !input.pipeline.stages.includes('signal') || !input.pipeline.stages.includes('bridge')) {
    throw new TradepipeError('pipeline_invalid', 'The batched replay needs the signal and bridge stages in this process');
  }
  if (input.chunkCandles !== undefined && !(Number.isSafeInteger(input.chunkCandles) && input.chunkCandles >= 1)) {
    throw new TradepipeError('validation_failed', 'chunkCandles must be a positive integer', { details: { chunkCandles: String(input.chunkCandles) } });
  }
  access.assertIdle();
  // Taken as given when in order already (a year of minutes: no 4 MB copy and no sort), else a sorted copy.
  const ordered = isInStartOrder(input.candles) ? input.candles : [...input.candles].sort((a, b) => a.startMs - b.startMs);
  const series = seriesSpans(ordered);
  if (wrapsQuietStages(access) || (await needsCandleByCandle(input.store, series))) {
    const result = await replayCandles(input);
    return { ...result, quietCandles: 0, fullPathCandles: result.candles, candleByCandle: true };
  }
  const productIds = [...new Set([...series.spans.values()].map(({ candle }) => candle.productId))];
  const lookbackCandles = access.runtime.options.exits?.lookbackCandles ?? 0;
  if (ordered.length > 0) {
    input.clock.set(Math.max(input.clock.nowMs(), candleCloseMs(ordered[0]!)));
    await access.prepare();
  }
  const range = { fromCandleStartMs: ordered[0]?.startMs ?? 0, toCandleStartMs: ordered.at(-1)?.startMs ?? 0 };
  const signalsAbsent = Object.values(await input.store.countSignalsByAction(range)).every((count) => (count ?? 0) === 0);
  // A store without trading history (and none of the range's signals): the stages run in memory, written in bulk at each flush (see ReplayStaging).
  const { bus } = access.runtime;
  const staging = signalsAbsent ? await ReplayStaging.open({ target: input.store, clock: input.clock, range: series.spans, events: bus }) : undefined;
  if (staging !== undefined) bus.hold();
  // The stages read the store through the replay's view while it runs (see ReplayStore).
  // The window covers every read of the history before the replay: the feature engines' warm-up, the exits' lookback and
  // the validator's candles (one read of the store per series; a window past them read rows nothing asked for).
  const windowCandles = Math.max(VIEW_WINDOW_CANDLES, lookbackCandles, access.runtime.tuning.validationCandles + 1, access.runtime.options.features?.warmupCandles ?? 0);
  const view = new ReplayStore(staging?.store ?? input.store, windowCandles);
  try {
    await view.resync();
    const restore = access.useStore(view.store);
    try {
      const caches = new ReplayCaches(view, productIds, lookbackCandles, access.runtime.options.pipelineId);
      await caches.refresh();
      // Quiet writes straight into a core memory store (a staging keeps the items it is given until its flush): its
      // signal columns made for every candle at once (a quiet candle writes at most one signal).
      const lazySignals = staging === undefined && prepareMemoryBulkSignals(input.store, ordered.length);
      const retries = new ScheduledRetries(input.pipeline);
      const walk = new BatchedWalk(access, input, caches, view, signalsAbsent, lazySignals, retries);
      const chunkCandles = input.chunkCandles ?? 4_096;
      try {
        for (let start = 0; start < ordered.length; ) {
          const items = await walk.chunk(ordered, start, chunkCandles);
          await walk.walk(items, ordered[start + items.length]);
          await walk.flush();
          await staging?.flush();
          await walk.checkpointOnCadence();
          start += items.length;
          await input.onChunk?.({ candlesDone: start, quietCandles: walk.quietCandles, fullPathCandles: walk.fullPathCandles });
        }
      } finally {
        retries.dispose();
        // The walk's reused signal must not keep this replay's runtime (and through it the store) alive after it.
        releaseScratchSignal();
      }
      await checkpointFeatures(input.pipeline);
      await staging?.flush();
      return { candles: ordered.length, itemsProcessed: walk.itemsProcessed, quietCandles: walk.quietCandles, fullPathCandles: walk.fullPathCandles, candleByCandle: false, conflicts: 0 };
    } finally {
      restore();
    }
  } finally {
    // Events of records a failed replay never committed are dropped; after the last flush none is held.
    if (staging !== undefined) bus.dropHeld();
  }
}
