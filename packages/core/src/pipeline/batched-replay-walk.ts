import { recordId } from '../ids.js';
import { OrderStatusSchema, TERMINAL_ORDER_STATUSES, type Position } from '../records/execution.js';
import { candleCloseMs, type Candle, type FeatureVector, type Product } from '../records/market.js';
import type { RiskState } from '../records/risk.js';
import { TERMINAL_RECOMMENDATION_STATES, type Signal, type TradeRecommendation } from '../records/trading.js';
import { CANDLES_CHECKED } from '../memory-bulk.js';
import type { BulkWrite, PipelineStore } from '../store.js';
import type { ReplayAccess } from './replay-access.js';
import { isRecordablePrediction } from './replay-chunk-predictions.js';
import type { ChunkItem, ChunkVectors, QuietOutcome, QuietOutcomes } from './replay-quiet-outcome.js';
import type { PipelineRuntime } from './runtime.js';
import type { ReplayStore } from './replay-store.js';
import { staleSignalReason } from './stages/signal-bridge.js';
import { signalGeneratedAtMs, signalIdOf, signalRecord } from './stages/signal-generation.js';

/** A quiet signal as a `writeBulk` item. */
type QuietSignal = { readonly record: Signal; readonly state: 'DONE'; readonly reason?: string };

const OPEN_ORDER_STATUSES = OrderStatusSchema.options.filter((status) => !TERMINAL_ORDER_STATUSES.includes(status));

/**
 * What the quiet path reads instead of the store while nothing changes: positions, products and risk state,
 * whether any work is pending, and each series' recent candles (for exit rules). Refreshed after every
 * candle that took the full path (see {@link ReplayCaches.refresh}), through the replay's view of the store
 * (which answers most of it without a round trip).
 * @internal
 */
export class ReplayCaches {
  readonly positions = new Map<string, Position | undefined>();
  readonly products = new Map<string, Product | undefined>();
  riskState: RiskState | undefined;
  /** Any candle or signal pending, recommendation not terminal or order open: every candle takes the full path. */
  workPending = true;
  private readonly recent = new Map<string, Candle[]>();
  /** The series last pushed to and its list (a replay pushes one series' candles in a row). */
  private lastRecent: { readonly productId: string; readonly granularity: string; readonly list: Candle[] } | undefined;
  /** Whether the last full look found no candle or signal pending (then only a full-path candle's own can be). */
  private settledBaseline = false;

  private readonly store: PipelineStore;

  /** @param view the replay's view of its store (cached reads, counted work) */
  constructor(
    private readonly view: ReplayStore,
    private readonly productIds: readonly string[],
    private readonly lookbackCandles: number,
    private readonly pipelineId: string,
  ) {
    this.store = view.store;
  }

  /**
   * Re-reads what the quiet path uses. After a full-path candle (`after`), when the last full look found no
   * candle or signal pending, only that candle and its signal can have become pending (every other candle
   * and signal of the replay was written settled): their work states are read instead of counting every
   * candle and signal stored, which grows with the history (a year of minutes: a million rows per look).
   * @param after the full-path candle just run and its work state as read after the run
   */
  async refresh(after?: { readonly candle: Candle; readonly candleState: string | undefined }): Promise<void> {
    for (const productId of this.productIds) {
      this.positions.set(productId, await this.store.getPosition(productId));
      this.products.set(productId, await this.store.getProduct(productId));
    }
    this.riskState = await this.store.getRiskState();
    // The view counts every item each state holds: no look at the store needed while it knows.
    const waiting = this.view.workWaiting(TERMINAL_RECOMMENDATION_STATES);
    if (waiting !== undefined) {
      this.workPending = waiting || (await this.store.listOrders({ statuses: OPEN_ORDER_STATUSES })).length > 0;
      return;
    }
    let inputsPending: boolean;
    if (after !== undefined && this.settledBaseline) {
      const { candle } = after;
      const signalId = recordId('signal', [this.pipelineId, candle.productId, candle.granularity, candle.startMs]);
      inputsPending = after.candleState === 'PENDING' || (await this.store.getWorkStatus('signal', signalId))?.state === 'PENDING';
    } else {
      const candles = await this.store.countByState('candle');
      const signals = await this.store.countByState('signal');
      inputsPending = (candles.PENDING ?? 0) > 0 || (signals.PENDING ?? 0) > 0;
      this.settledBaseline = !inputsPending;
    }
    const recommendations = await this.store.countByState('recommendation');
    const unsettled = Object.entries(recommendations).some(([state, count]) => (count ?? 0) > 0 && !TERMINAL_RECOMMENDATION_STATES.includes(state as never));
    this.workPending = inputsPending || unsettled || (await this.store.listOrders({ statuses: OPEN_ORDER_STATUSES })).length > 0;
  }

  /** Loads a series' recent stored candles before `candle` (once per series, with everything before it written). */
  async loadRecent(candle: Candle): Promise<void> {
    const key = `${candle.productId}/${candle.granularity}`;
    if (this.recent.has(key) || this.lookbackCandles === 0) return;
    const stored = await this.store.getCandles({ productId: candle.productId, granularity: candle.granularity, asOfMs: candle.startMs, limit: this.lookbackCandles });
    this.recent.set(key, stored);
  }

  /** Adds a stored candle to its series' recent candles. */
  pushRecent(candle: Candle): void {
    if (this.lookbackCandles === 0) return;
    const last = this.lastRecent;
    let list: Candle[] | undefined;
    if (last !== undefined && last.productId === candle.productId && last.granularity === candle.granularity) list = last.list;
    else {
      list = this.recent.get(`${candle.productId}/${candle.granularity}`);
      if (list === undefined) return;
      // A series' list, once loaded, stays the same array (trimmed in place).
      this.lastRecent = { productId: candle.productId, granularity: candle.granularity, list };
    }
    list.push(candle);
    if (list.length > 4 * this.lookbackCandles + 64) list.splice(0, list.length - this.lookbackCandles);
  }

  /** The last `lookbackCandles` stored candles up to and including `candle`, as `getCandles` gives them. */
  recentUpTo(candle: Candle): Candle[] {
    if (this.lookbackCandles === 0) return [];
    const list = this.recent.get(`${candle.productId}/${candle.granularity}`) ?? [];
    return [...list.slice(Math.max(0, list.length - this.lookbackCandles + 1)), candle];
  }
}

/**
 * How {@link decideQuietly} builds a candle's signal: `keep`, a record the outcome keeps; `rebuild`, a record the
 * outcome builds again when read; `scratch`, as `rebuild`, but the signal the policy decides on is one object
 * rewritten for every candle, as is the vector given (for a policy that reads no features and keeps nothing of its
 * input: see `readsNoFeatures`).
 * @internal
 */
export type QuietSignalMode = 'keep' | 'rebuild' | 'scratch';

/**
 * The `scratch` mode's signal: every field `signalRecord` sets, rewritten for each candle, `id` an own enumerable
 * accessor (a record's own field to any reader, `JSON.stringify` included) giving the current candle's id, hashed
 * only if read (a policy reads it for a BUY or a SELL; the core memory store keeps a quiet signal without it). A class, not an object literal: a literal of a record's shape shares its hidden class with
 * the records, whose number fields V8 generalises to hold any value, and then every number written here was boxed
 * (five heap numbers per candle); this class's fields are made doubles and stay doubles written in place.
 */
class ScratchSignal {
  /** The current candle's signal id (an own accessor made in the constructor). */
  declare readonly id: string;
  // The fields below are a signal record's (see `Signal`), rewritten for each candle by `scratchSignal`.
  declare pipelineId: string;
  declare productId: Signal['productId'];
  declare granularity: Signal['granularity'];
  declare candleStartMs: number;
  declare action: Signal['action'];
  declare confidence: number;
  declare probabilities: Signal['probabilities'];
  declare modelId: string;
  declare modelVersion: string;
  declare closePrice: number;
  declare features: FeatureVector;
  declare generatedAtMs: number;

  constructor(candle: Candle, vector: FeatureVector) {
    Object.defineProperty(this, 'id', { enumerable: true, get: (): string => (scratchIdText ??= signalIdOf(scratchRuntime!, scratchCandle!)) });
    this.pipelineId = '';
    this.productId = candle.productId;
    this.granularity = candle.granularity;
    this.candleStartMs = 0.5;
    this.action = 'HOLD';
    this.confidence = 0.5;
    this.probabilities = undefined;
    this.modelId = '';
    this.modelVersion = '';
    this.closePrice = 0.5;
    this.features = vector;
    this.generatedAtMs = 0.5;
  }
}

/** The one signal object of the `scratch` mode. */
let scratch: ScratchSignal | undefined;
/** The runtime and candle of the `scratch` mode's signal, and its id's text once read (per candle). */
let scratchRuntime: PipelineRuntime | undefined;
let scratchCandle: Candle | undefined;
let scratchIdText: string | undefined;

/** The input the `scratch` mode hands the policy, rewritten for each candle (a class: its `nowMs` stays a double written in place). */
class ScratchInput {
  constructor(
    public signal: Signal,
    public product: Product,
    public position: Position | undefined,
    public nowMs: number,
  ) {}
}

/** The one input object of the `scratch` mode. */
let scratchPolicyInput: ScratchInput | undefined;

/** The policy's input for the `scratch` mode's signal, in one object rewritten at each call (valid until the next). */
function scratchInput(signal: Signal, product: Product, position: Position | undefined, nowMs: number): ScratchInput {
  const input = (scratchPolicyInput ??= new ScratchInput(signal, product, position, 0.5));
  input.signal = signal;
  input.product = product;
  input.position = position;
  input.nowMs = nowMs;
  return input;
}

/** Drops what the `scratch` mode's signal and policy input hold of the last candle decided (its runtime keeps the replay's store alive). @internal */
export function releaseScratchSignal(): void {
  scratchRuntime = undefined;
  scratchCandle = undefined;
  scratchIdText = undefined;
  scratchPolicyInput = undefined;
}

/**
 * What `signalRecord` gives for the candle, in one object rewritten at each call (valid until the next; every
 * field `signalRecord` sets, `probabilities` set to `undefined` when the prediction has none), but its features:
 * `vector`, given for a policy that reads none (the `scratch` mode), and its id: hashed if read.
 */
function scratchSignal(runtime: PipelineRuntime, vectors: ChunkVectors, item: ChunkItem, vector: FeatureVector, nowMs: number): Signal {
  const { candle, prediction, row } = item;
  const { predictions } = vectors;
  const model = runtime.options.model!;
  const signal = (scratch ??= new ScratchSignal(candle, vector));
  // The id is hashed if the policy reads it (a BUY or a SELL); the core memory store keeps the signal without it.
  scratchRuntime = runtime;
  scratchCandle = candle;
  scratchIdText = undefined;
  signal.pipelineId = runtime.options.pipelineId;
  signal.productId = candle.productId;
  signal.granularity = candle.granularity;
  signal.candleStartMs = candle.startMs;
  signal.action = prediction === undefined ? predictions.actionAt(row) : prediction.action;
  signal.confidence = prediction === undefined ? predictions.confidenceAt(row) : prediction.confidence;
  signal.probabilities = prediction === undefined ? predictions.scratchProbabilitiesAt(row) : prediction.probabilities;
  signal.modelId = model.modelId;
  signal.modelVersion = model.modelVersion;
  signal.closePrice = candle.close;
  signal.features = vector;
  signal.generatedAtMs = signalGeneratedAtMs(candle, nowMs);
  return signal;
}


/**
 * Decides one candle as the signal stage and the bridge would, without the store: its signal (the stage's own
 * `signalRecord`), whether an exit rule fires, and the bridge's decision (its own `staleSignalReason`, then the policy). Returns the quiet outcome, or
 * `undefined` when the candle needs the full path (a recommendation to validate, an exit, a product unknown).
 * @param vector the candle's vector (`undefined` while its engine warmed up; in the `scratch` mode, a reused one without values: see `ChunkMatrix.featurelessVectorAt`)
 * @param nowMs the clock the candle-by-candle replay would read at this candle
 * @param mode how the signal is built and whether the outcome keeps it (see {@link QuietSignalMode})
 * @param outcomes where the outcome comes from (reused after the write)
 * @internal
 */
export function decideQuietly(access: ReplayAccess, caches: ReplayCaches, vectors: ChunkVectors, item: ChunkItem, vector: FeatureVector | undefined, nowMs: number, mode: QuietSignalMode, outcomes: QuietOutcomes): QuietOutcome | undefined {
  const { runtime } = access;
  const { candle } = item;
  const { pipelineId, model, exits } = runtime.options;
  const product = caches.products.get(candle.productId);
  const position = caches.positions.get(candle.productId);
  if (exits !== undefined && position !== undefined && position.sizeBase !== '0' && product !== undefined) {
    const exit = exits.evaluate({ candle, position, product, recentCandles: caches.recentUpTo(candle), riskState: caches.riskState!, pipelineId, nowMs: Math.max(nowMs, candleCloseMs(candle)) });
    if (exit !== undefined) return undefined;
  }
  if (vector === undefined || model === undefined) return outcomes.next().set(runtime, vectors, item, false, undefined, undefined, nowMs, undefined, undefined);
  // A prediction no signal record takes (an action other than BUY, SELL or HOLD, a confidence of NaN or 7): the stage
  // refuses it on the full path, as in the candle-by-candle replay (the chunk's rows take only valid ones).
  if (item.prediction !== undefined && !isRecordablePrediction(item.prediction)) return undefined;
  const signal = mode === 'scratch' ? scratchSignal(runtime, vectors, item, vector, nowMs) : signalRecord(runtime, candle, vector, vectors.predictionOf(item)!, nowMs);
  const kept = mode === 'keep' ? signal : undefined;
  const stale = staleSignalReason(runtime, signal, nowMs);
  if (stale !== undefined) return outcomeOf(outcomes, runtime, vectors, item, signal, kept, nowMs, stale, undefined);
  if (product === undefined) return undefined;
  // The scratch mode's policy keeps nothing of its input: one input object, rewritten for each candle.
  const decision = runtime.policy.recommend(mode === 'scratch' ? scratchInput(signal, product, position, nowMs) : { signal, product, position, nowMs });
  if (decision.kind === 'none') return outcomeOf(outcomes, runtime, vectors, item, signal, kept, nowMs, decision.reason, undefined);
  if (decision.kind === 'reject') return outcomeOf(outcomes, runtime, vectors, item, signal, kept, nowMs, undefined, { recommendation: decision.recommendation, reason: decision.reason });
  return undefined;
}

/** The next outcome, of a candle with a signal: without its id's text when it is the `scratch` mode's signal and its id was not read. */
function outcomeOf(outcomes: QuietOutcomes, runtime: PipelineRuntime, vectors: ChunkVectors, item: ChunkItem, signal: Signal, kept: Signal | undefined, nowMs: number, reason: string | undefined, rejected: QuietOutcome['rejected']): QuietOutcome {
  return outcomes.next().set(runtime, vectors, item, true, signal === scratch ? scratchIdText : signal.id, kept, nowMs, reason, rejected);
}

/**
 * Writes quiet outcomes with one `writeBulk` once the clock has reached `clockMs` (at least the last one's
 * close: no record before its time), then emits the events the stages would have, in order.
 * @param lazySignals whether the store is the core memory store, which reads each signal item's `record` once and
 *   keeps no item (the outcomes are the items, each record built as the store copies it); any other store gets plain
 *   items
 * @internal
 */
export async function writeQuiet(access: ReplayAccess, store: PipelineStore, outcomes: readonly QuietOutcome[], lazySignals: boolean): Promise<void> {
  if (outcomes.length === 0) return;
  const candles: Candle[] = [];
  const signals: QuietSignal[] = [];
  const recommendations: { record: TradeRecommendation; state: 'REJECTED'; reason: string }[] = [];
  for (let index = 0; index < outcomes.length; index += 1) {
    const outcome = outcomes[index]!;
    candles.push(outcome.candle);
    if (outcome.hasSignal) {
      if (lazySignals) signals.push(outcome as unknown as QuietSignal);
      else signals.push(outcome.reason === undefined ? { record: outcome.record!, state: 'DONE' } : { record: outcome.record!, state: 'DONE', reason: outcome.reason });
    }
    if (outcome.rejected !== undefined) recommendations.push({ record: outcome.rejected.recommendation, state: 'REJECTED', reason: outcome.rejected.reason });
  }
  // The candles are the chunk's, each checked with `checkCandle` as it was read (see `CANDLES_CHECKED`).
  await store.writeBulk({ candles, candleState: 'DONE', signals, recommendations, [CANDLES_CHECKED]: true } as BulkWrite);
  const { bus } = access.runtime;
  // A million candles emit two million events: none is built for an event nobody listens to. Whether anything
  // listens can change only inside a listener (this loop runs no other code), so it is asked again after each emit.
  let candleListened = bus.listens('candle:processed');
  let signalListened = bus.listens('signal:generated');
  const emitted = (): void => {
    candleListened = bus.listens('candle:processed');
    signalListened = bus.listens('signal:generated');
  };
  for (let index = 0; index < outcomes.length; index += 1) {
    const outcome = outcomes[index]!;
    // Built once for both events (the vector is the signal's features, as in the stage).
    let signal: Signal | undefined;
    if (candleListened) {
      signal = outcome.record;
      bus.emit('candle:processed', { candle: outcome.candle, vector: signal?.features ?? outcome.vector() });
      emitted();
    }
    if (outcome.hasSignal && signalListened) {
      bus.emit('signal:generated', { signal: signal ?? outcome.record! });
      emitted();
    }
    if (outcome.rejected !== undefined) {
      const { recommendation, reason } = outcome.rejected;
      bus.emit('recommendation:created', { recommendation, state: 'REJECTED', reason });
      bus.emit('recommendation:finished', { recommendation, state: 'REJECTED', reason });
      emitted();
    }
  }
}
