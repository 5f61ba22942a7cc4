// Box 2 of the design: signal generation. A closed candle → its series' features → the model → a signal;
// exit rules for an open position on the same candle.
import { TradepipeError } from '../../errors.js';
import { createFeatureView, type FeatureView } from '../../feature-view.js';
import { recordIdsAfter, type RecordIdsAfter } from '../../ids.js';
import type { ModelPrediction, SignalModel } from '../../interfaces.js';
import { candleCloseMs, type Candle, type FeatureVector } from '../../records/market.js';
import type { Signal, TradeRecommendation } from '../../records/trading.js';
import { candleWorkId, type Claim, type PipelineStore, type RecordWrite } from '../../store.js';
import { GRANULARITIES, type Granularity } from '../../time.js';
import type { PipelineRuntime } from '../runtime.js';
import { defineStage, stageEvent, type PipelineStage, type StageEvent, type StageRunContext } from '../stage.js';
import { predictionProblem } from '../replay-chunk-predictions.js';
import type { FeatureEngineStore, FeatureEngines, SeriesEngine } from './feature-engines.js';

/** What the signal stage needs from the store. */
export type SignalGenerationStore = FeatureEngineStore &
  Pick<PipelineStore, 'nowMs' | 'getCandle' | 'getSignal' | 'getPosition' | 'getProduct' | 'getRiskState' | 'getRecommendation'>;

/** The signal stage's input: the claimed candle. */
export interface CandleInput {
  /** The claimed closed candle. */
  readonly candle: Candle;
}

/** A candle's features and, once they are warm and no signal exists yet for it, the model's prediction. */
export interface FeaturesAndPrediction {
  /** The engine that took the candle; `undefined` when the batched replay precomputed it (the replay keeps that engine's cadence). @internal */
  readonly engine: SeriesEngine | undefined;
  /** The candle's feature vector; `undefined` while the engine warms up. */
  readonly vector: FeatureVector | undefined;
  /** The model's prediction; `undefined` while warming up or when the candle's signal already exists. */
  readonly prediction: ModelPrediction | undefined;
}

/**
 * The signal stage: claims each product's candles in order, refuses one that has not closed at the store's
 * clock (`candle_not_closed`), updates the series' feature engine, asks the model for a signal once the
 * features are warm, and evaluates exit rules for an open position.
 */
export function createSignalGenerationStage(runtime: PipelineRuntime, engines: FeatureEngines): PipelineStage<'candle', CandleInput, SignalGenerationStore> {
  return defineStage({
    name: 'signal',
    takes: { kind: 'candle', state: 'PENDING', ordered: true },
    onRetriesExhausted: 'DEAD_LETTER',
    onPermanentFailure: 'DEAD_LETTER',
    // The claim's record when it carries one: a settled promise, no async layer or store call.
    load: (claim, context) => (claim.record !== undefined ? Promise.resolve({ candle: claim.record }) : loadCandle(claim, context.store).then((candle) => ({ candle }))),
    async run({ candle }, context) {
      refuseUnclosed(candle, await context.store.nowMs());
      const computed = await computeFeaturesAndPredict(runtime, engines, candle, context);
      const signal = computed.prediction === undefined ? undefined : signalRecord(runtime, candle, computed.vector!, computed.prediction, context.clock.nowMs());
      const exit = runtime.options.exits === undefined ? undefined : await exitFor(runtime, candle, context);
      const writes: RecordWrite[] = [];
      const events: StageEvent[] = [stageEvent('candle:processed', { candle, vector: computed.vector })];
      if (signal !== undefined) writes.push({ type: 'signal', record: signal });
      if (signal !== undefined) events.push(stageEvent('signal:generated', { signal }));
      if (exit !== undefined) writes.push({ type: 'recommendation', record: exit, state: 'PENDING_RISK' });
      if (exit !== undefined) events.push(stageEvent('recommendation:created', { recommendation: exit, state: 'PENDING_RISK' }));
      const { engine } = computed;
      if (engine === undefined) return { kind: 'complete', state: 'DONE', writes, events };
      const afterPersist = () => engines.afterCandle(candle, engine, context.store, context.clock.nowMs());
      return { kind: 'complete', state: 'DONE', writes, events, afterPersist };
    },
  });
}

/**
 * Compute features + predict: the candle goes into its series' engine; once the vector is warm and the
 * candle has no signal yet, the model predicts. (A batched replay can hand in a precomputed vector and
 * prediction in place of this step: `engines.precomputed`.)
 */
export async function computeFeaturesAndPredict(
  runtime: PipelineRuntime,
  engines: FeatureEngines,
  candle: Candle,
  context: StageRunContext<SignalGenerationStore>,
): Promise<FeaturesAndPrediction> {
  // Batched replay hook: the replay fed this candle to its engine and predicted it in batch.
  // The batched replay's entries are looked up only while it runs (no work id built per live candle).
  const precomputed = engines.precomputed.size === 0 ? undefined : engines.precomputed.get(candleWorkId(candle));
  const engine = precomputed === undefined ? (engines.current(candle) ?? (await engines.engineFor(candle, context.store, context.logger))) : undefined;
  const vector = engine === undefined ? precomputed!.vector : engine.extractor.update(candle);
  const model: SignalModel | undefined = runtime.options.model;
  if (vector === undefined || model === undefined) return { engine, vector, prediction: undefined };
  if ((await context.store.getSignal(signalIdOf(runtime, candle))) !== undefined) return { engine, vector, prediction: undefined };
  const prediction: unknown = precomputed?.prediction ?? (await model.predict(modelViewOf(runtime).project(vector), new PredictOptions(context)));
  // A model that answers nothing (`undefined` read as "no prediction yet" made the candle DONE with no signal) or
  // contradicts its own probabilities: refused, so the candle is dead-lettered, never silently skipped or traded.
  const problem = predictionProblem(prediction);
  if (problem !== undefined) throw new TradepipeError('model_failed', problem, { details: { modelId: model.modelId, candleStartMs: candle.startMs } });
  return { engine, vector, prediction: prediction as ModelPrediction };
}

/**
 * The options a model's `predict` gets: `signal` (the claim's) is an own, enumerable property read on first use,
 * so a model that never looks at it costs the claim no AbortSignal.
 */
class PredictOptions {
  declare readonly signal: AbortSignal;
  readonly #context: { readonly signal: AbortSignal };

  constructor(context: { readonly signal: AbortSignal }) {
    this.#context = context;
    Object.defineProperty(this, 'signal', PredictOptions.#signal);
  }

  /** One descriptor for every instance: the objects keep one hidden class. */
  static readonly #signal: PropertyDescriptor = {
    enumerable: true,
    get(this: PredictOptions): AbortSignal {
      return this.#context.signal;
    },
  };
}

const modelViews = new WeakMap<PipelineRuntime, FeatureView>();

/** The model's own view of the feature set (its features by name, in its order), built once per pipeline. @internal */
export function modelViewOf(runtime: PipelineRuntime): FeatureView {
  let view = modelViews.get(runtime);
  if (view === undefined) {
    view = createFeatureView(runtime.options.features!, runtime.options.model!);
    modelViews.set(runtime, view);
  }
  return view;
}

/** The signal ids of one series: its natural key's shared parts, and the id of a candle start. */
interface SeriesIds {
  readonly pipelineId: string;
  readonly productId: string;
  readonly granularity: Granularity;
  readonly idAt: RecordIdsAfter;
}

/** Series whose signal ids were asked for lately, the last one first (a replay asks for one series' candles in a row, or a few series' in turn). */
const recentSeriesIds: SeriesIds[] = [];
/** Series {@link recentSeriesIds} keeps at most. */
const RECENT_SERIES = 8;

/** The ids of a candle's series' signals (made once per series among the recent ones). */
function seriesIdsOf(pipelineId: string, candle: Candle): RecordIdsAfter {
  for (let index = 0; index < recentSeriesIds.length; index += 1) {
    const ids = recentSeriesIds[index]!;
    if (ids.pipelineId !== pipelineId || ids.productId !== candle.productId || ids.granularity !== candle.granularity) continue;
    if (index > 0) {
      recentSeriesIds.splice(index, 1);
      recentSeriesIds.unshift(ids);
    }
    return ids.idAt;
  }
  const ids = { pipelineId, productId: candle.productId, granularity: candle.granularity, idAt: recordIdsAfter('signal', [pipelineId, candle.productId, candle.granularity]) };
  recentSeriesIds.unshift(ids);
  if (recentSeriesIds.length > RECENT_SERIES) recentSeriesIds.pop();
  return ids.idAt;
}

/** The id of a candle's signal: `recordId('signal', [pipelineId, productId, granularity, startMs])`. @internal */
export function signalIdOf(runtime: PipelineRuntime, candle: Candle): string {
  return seriesIdsOf(runtime.options.pipelineId, candle)(candle.startMs);
}

/**
 * {@link signalIdOf} as four 32-bit words (see `RecordIdsAfter.words`) written into `target` from `offset`, without the
 * id's text; false (nothing written) for a start that is not a non-negative safe integer.
 * @internal
 */
export function signalIdWordsOf(runtime: PipelineRuntime, candle: Candle, target: Uint32Array, offset: number): boolean {
  return seriesIdsOf(runtime.options.pipelineId, candle).words(candle.startMs, target, offset);
}

/** When a signal of `candle` decided at `nowMs` is stamped: no earlier than the candle's close. @internal */
export function signalGeneratedAtMs(candle: Candle, nowMs: number): number {
  return Math.max(nowMs, candleCloseMs(candle));
}

/**
 * The signal record of a prediction on a candle, stamped no earlier than the candle's close (the batched replay builds
 * its signals with it too, passing the `id` it computed before for the candle).
 * @internal
 */
export function signalRecord(runtime: PipelineRuntime, candle: Candle, vector: FeatureVector, prediction: ModelPrediction, nowMs: number, id = signalIdOf(runtime, candle)): Signal {
  const model = runtime.options.model!;
  const generatedAtMs = signalGeneratedAtMs(candle, nowMs);
  const { action, confidence, probabilities } = prediction;
  // Two literals, not a spread: the same keys in the same order, without a spread's copy per signal.
  if (probabilities === undefined) {
    return { id, pipelineId: runtime.options.pipelineId, productId: candle.productId, granularity: candle.granularity, candleStartMs: candle.startMs, action, confidence, modelId: model.modelId, modelVersion: model.modelVersion, closePrice: candle.close, features: vector, generatedAtMs };
  }
  return { id, pipelineId: runtime.options.pipelineId, productId: candle.productId, granularity: candle.granularity, candleStartMs: candle.startMs, action, confidence, probabilities, modelId: model.modelId, modelVersion: model.modelVersion, closePrice: candle.close, features: vector, generatedAtMs };
}

/**
 * Refuses a candle whose bucket has not closed at the store's clock (`storeNowMs`, read from the store): nothing is
 * computed from it.
 * @throws TradepipeError `candle_not_closed` (not retryable)
 */
function refuseUnclosed(candle: Candle, storeNowMs: number): void {
  const closeMs = candleCloseMs(candle);
  if (closeMs <= storeNowMs) return;
  throw new TradepipeError('candle_not_closed', 'The candle has not closed yet at the store clock', {
    details: { productId: candle.productId, granularity: candle.granularity, startMs: candle.startMs, closeMs, storeNowMs },
  });
}

/** A reduce recommendation from the exit rules for an open position, unless one exists for this candle. */
async function exitFor(runtime: PipelineRuntime, candle: Candle, context: StageRunContext<SignalGenerationStore>): Promise<TradeRecommendation | undefined> {
  const { exits } = runtime.options;
  if (exits === undefined) return undefined;
  const { store } = context;
  const position = await store.getPosition(candle.productId);
  if (position === undefined || position.sizeBase === '0') return undefined;
  const product = await store.getProduct(candle.productId);
  if (product === undefined) return undefined;
  const recentCandles = await store.getCandles({ productId: candle.productId, granularity: candle.granularity, asOfMs: candleCloseMs(candle), limit: exits.lookbackCandles });
  const recommendation = exits.evaluate({
    candle,
    position,
    product,
    recentCandles,
    riskState: await store.getRiskState(),
    pipelineId: runtime.options.pipelineId,
    nowMs: Math.max(context.clock.nowMs(), candleCloseMs(candle)),
  });
  if (recommendation === undefined) return undefined;
  return (await store.getRecommendation(recommendation.id)) === undefined ? recommendation : undefined;
}

async function loadCandle(claim: Claim<'candle'>, store: Pick<PipelineStore, 'getCandle'>): Promise<Candle> {
  if (claim.record !== undefined) return claim.record;
  const { productId, granularity, startMs } = parseCandleWorkId(claim.id);
  const candle = await store.getCandle(productId, granularity, startMs);
  if (candle === undefined) throw new TradepipeError('not_found', 'Claimed candle is missing', { details: { id: claim.id } });
  return candle;
}

/** Splits a candle work id `productId/granularity/startMs`. @internal */
export function parseCandleWorkId(id: string): { productId: string; granularity: Granularity; startMs: number } {
  const [productId, granularity, startMs] = id.split('/');
  if (productId === undefined || granularity === undefined || startMs === undefined || !(granularity in GRANULARITIES)) {
    throw new TradepipeError('validation_failed', 'Malformed candle work id', { details: { id } });
  }
  return { productId, granularity: granularity as Granularity, startMs: Number(startMs) };
}
