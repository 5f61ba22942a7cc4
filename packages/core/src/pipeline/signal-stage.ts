import { TradepipeError } from '../errors.js';
import { recordId } from '../ids.js';
import type { FeatureExtractor, FeatureSet, ModelPrediction, StageContext } from '../interfaces.js';
import type { Candle, FeatureVector } from '../records/market.js';
import type { Signal } from '../records/trading.js';
import { candleCloseMs } from '../records/market.js';
import type { Claim, RecordWrite } from '../store.js';
import { GRANULARITIES, type Granularity } from '../time.js';
import type { PipelineRuntime } from './runtime.js';

/** A series' feature engine and how many candles it took since its last checkpoint. @internal */
export interface SeriesEngine {
  extractor: FeatureExtractor;
  candlesSinceCheckpoint: number;
}

/**
 * The signal stage: claims each product's candles in order, updates that series' feature engine, asks the
 * model for a signal once the features are warm, and evaluates exit rules for an open position. Engines
 * live in memory and are checkpointed to the store; an engine that does not follow on from the previous
 * candle (a restart, another replica took over) is restored from its checkpoint or warmed up from history.
 * @internal
 */
export class SignalStage {
  private readonly engines = new Map<string, SeriesEngine>();
  /** Batched replay hook (batched-replay.ts): a candle's vector and prediction computed in batch, by candle work id. */
  readonly precomputed = new Map<string, { readonly vector: FeatureVector | undefined; readonly prediction?: ModelPrediction }>();

  constructor(
    private readonly runtime: PipelineRuntime,
    private readonly features: FeatureSet,
  ) {}

  async process(claim: Claim<'candle'>, context: StageContext): Promise<void> {
    const { productId, granularity, startMs } = parseCandleWorkId(claim.id);
    const candle = await context.store.getCandle(productId, granularity, startMs);
    if (candle === undefined) throw new TradepipeError('not_found', 'Claimed candle is missing', { details: { id: claim.id } });
    const precomputed = this.precomputed.get(claim.id); // batched replay hook: its engine was fed this candle already
    const engine = precomputed === undefined ? await this.engineFor(candle, context) : undefined;
    const vector = engine === undefined ? precomputed!.vector : engine.extractor.update(candle);
    const writes: RecordWrite[] = [];
    let signal: Signal | undefined;
    if (vector !== undefined && this.runtime.options.model !== undefined) {
      signal = await this.signalFor(candle, vector, context, precomputed?.prediction);
      if (signal !== undefined) writes.push({ type: 'signal', record: signal });
    }
    const exit = await this.exitFor(candle, context);
    if (exit !== undefined) writes.push({ type: 'recommendation', record: exit, state: 'PENDING_RISK' });
    await context.store.complete(claim, { state: 'DONE', writes });
    this.precomputed.delete(claim.id); // batched replay hook: the replay keeps that engine's checkpoint cadence
    if (engine !== undefined) {
      engine.candlesSinceCheckpoint += 1;
      if (engine.candlesSinceCheckpoint >= this.runtime.tuning.checkpointEveryCandles) await this.checkpoint(candle, engine, context);
    }
    this.runtime.bus.emit('candle:processed', { candle, vector });
    if (signal !== undefined) this.runtime.bus.emit('signal:generated', { signal });
    if (exit !== undefined) this.runtime.bus.emit('recommendation:created', { recommendation: exit, state: 'PENDING_RISK' });
  }

  /** Saves every engine's state (called on stop). */
  async checkpointAll(context: StageContext): Promise<void> {
    for (const [key, engine] of this.engines) {
      if (engine.candlesSinceCheckpoint === 0) continue;
      await context.store.saveCheckpoint(this.checkpointKey(key), engine.extractor.saveState(), context.clock.nowMs());
      engine.candlesSinceCheckpoint = 0;
    }
  }

  private checkpointKey(seriesKey: string): string {
    return `features/${this.runtime.options.pipelineId}/${this.features.featureSetVersion}/${seriesKey}`;
  }

  private async checkpoint(candle: Candle, engine: SeriesEngine, context: StageContext): Promise<void> {
    await context.store.saveCheckpoint(this.checkpointKey(`${candle.productId}/${candle.granularity}`), engine.extractor.saveState(), context.clock.nowMs());
    engine.candlesSinceCheckpoint = 0;
  }

  /** The series' engine, following on from the previous candle (restored or warmed up if not); public for the batched replay. */
  async engineFor(candle: Candle, context: StageContext): Promise<SeriesEngine> {
    const seriesKey = `${candle.productId}/${candle.granularity}`;
    const previousStartMs = candle.startMs - GRANULARITIES[candle.granularity];
    const current = this.engines.get(seriesKey);
    if (current !== undefined && current.extractor.lastCandleStartMs() === previousStartMs) return current;
    const series = { productId: candle.productId, granularity: candle.granularity };
    const extractor = this.features.createExtractor(series);
    const checkpoint = await context.store.loadCheckpoint(this.checkpointKey(seriesKey));
    if (checkpoint !== undefined) {
      try {
        extractor.restoreState(checkpoint.value);
      } catch (error) {
        context.logger.warn('feature checkpoint unusable; warming up from history', { seriesKey, error });
      }
    }
    if (extractor.lastCandleStartMs() !== previousStartMs) {
      const restored = extractor.lastCandleStartMs();
      const fresh = restored !== undefined && restored < previousStartMs ? extractor : this.features.createExtractor(series);
      const fromStartMs = fresh === extractor ? restored! + GRANULARITIES[candle.granularity] : undefined;
      const history = await context.store.getCandles({
        ...series,
        asOfMs: candle.startMs,
        ...(fromStartMs === undefined ? { limit: this.features.warmupCandles } : { fromStartMs }),
      });
      for (const earlier of history) fresh.update(earlier);
      const engine = { extractor: fresh, candlesSinceCheckpoint: history.length };
      this.engines.set(seriesKey, engine);
      return engine;
    }
    const engine = { extractor, candlesSinceCheckpoint: 0 };
    this.engines.set(seriesKey, engine);
    return engine;
  }

  private async signalFor(candle: Candle, vector: FeatureVector, context: StageContext, precomputed?: ModelPrediction): Promise<Signal | undefined> {
    const { pipelineId, model } = this.runtime.options;
    const id = recordId('signal', [pipelineId, candle.productId, candle.granularity, candle.startMs]);
    if ((await context.store.getSignal(id)) !== undefined) return undefined;
    const prediction = precomputed ?? (await model!.predict(vector, { signal: context.signal }));
    return {
      id,
      pipelineId,
      productId: candle.productId,
      granularity: candle.granularity,
      candleStartMs: candle.startMs,
      action: prediction.action,
      confidence: prediction.confidence,
      ...(prediction.probabilities === undefined ? {} : { probabilities: prediction.probabilities }),
      modelId: model!.modelId,
      modelVersion: model!.modelVersion,
      closePrice: candle.close,
      features: vector,
      generatedAtMs: Math.max(context.clock.nowMs(), candleCloseMs(candle)),
    };
  }

  private async exitFor(candle: Candle, context: StageContext) {
    const exits = this.runtime.options.exits;
    if (exits === undefined) return undefined;
    const position = await context.store.getPosition(candle.productId);
    if (position === undefined || position.sizeBase === '0') return undefined;
    const product = await context.store.getProduct(candle.productId);
    if (product === undefined) return undefined;
    const recentCandles = await context.store.getCandles({
      productId: candle.productId,
      granularity: candle.granularity,
      asOfMs: candleCloseMs(candle),
      limit: exits.lookbackCandles,
    });
    const recommendation = exits.evaluate({
      candle,
      position,
      product,
      recentCandles,
      riskState: await context.store.getRiskState(),
      pipelineId: this.runtime.options.pipelineId,
      nowMs: Math.max(context.clock.nowMs(), candleCloseMs(candle)),
    });
    if (recommendation === undefined) return undefined;
    const existing = await context.store.getRecommendation(recommendation.id);
    return existing === undefined ? recommendation : undefined;
  }
}

/** Splits a candle work id `productId/granularity/startMs`. @internal */
export function parseCandleWorkId(id: string): { productId: string; granularity: Granularity; startMs: number } {
  const [productId, granularity, startMs] = id.split('/');
  if (productId === undefined || granularity === undefined || startMs === undefined || !(granularity in GRANULARITIES)) {
    throw new TradepipeError('validation_failed', 'Malformed candle work id', { details: { id } });
  }
  return { productId, granularity: granularity as Granularity, startMs: Number(startMs) };
}
