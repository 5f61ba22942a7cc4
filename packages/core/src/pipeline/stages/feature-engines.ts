import type { FeatureExtractor, FeatureSet } from '../../interfaces.js';
import type { Logger } from '../../logger.js';
import type { ModelPrediction } from '../../interfaces.js';
import type { Candle, FeatureVector } from '../../records/market.js';
import type { PipelineStore } from '../../store.js';
import { GRANULARITIES } from '../../time.js';

/** What the feature engines need from the store: checkpoints and history for a warm-up. */
export type FeatureEngineStore = Pick<PipelineStore, 'loadCheckpoint' | 'saveCheckpoint' | 'getCandles'>;

/** One series' streaming feature engine and how many candles it has taken since its last checkpoint. @internal */
export interface SeriesEngine {
  readonly extractor: FeatureExtractor;
  candlesSinceCheckpoint: number;
}

/** A candle's vector and prediction computed by the batched replay (its engine already took the candle). @internal */
export interface PrecomputedFeatures {
  /** The candle's feature vector; `undefined` while the engine warms up. */
  readonly vector: FeatureVector | undefined;
  /** The model's prediction on the model's view of `vector`; `undefined` when the batch had none (the stage predicts). */
  readonly prediction: ModelPrediction | undefined;
}

/**
 * The signal stage's feature engines, one per series, in memory. An engine that does not follow on from the
 * previous candle (a restart, another replica took over) is restored from its checkpoint or warmed up from
 * history; engines are checkpointed every `checkpointEveryCandles` candles and on `checkpointAll`.
 * @internal
 */
export class FeatureEngines {
  private readonly engines = new Map<string, SeriesEngine>();
  /**
   * Batched replay hook (batched-replay.ts): vectors and predictions computed in batch, by candle work id.
   * `computeFeaturesAndPredict` uses an entry instead of feeding the engine; the replay sets and clears it.
   */
  readonly precomputed = new Map<string, PrecomputedFeatures>();

  constructor(
    private readonly features: FeatureSet,
    private readonly settings: { readonly pipelineId: string; readonly checkpointEveryCandles: number },
  ) {}

  /** The series' engine when it is ready to take the candle (it took the one before), without waiting; else `undefined`. */
  current(candle: Candle): SeriesEngine | undefined {
    const current = this.engines.get(`${candle.productId}/${candle.granularity}`);
    return current !== undefined && current.extractor.lastCandleStartMs() === candle.startMs - GRANULARITIES[candle.granularity] ? current : undefined;
  }

  /** The engine for a candle's series, ready to take that candle. */
  async engineFor(candle: Candle, store: FeatureEngineStore, logger: Logger): Promise<SeriesEngine> {
    const seriesKey = `${candle.productId}/${candle.granularity}`;
    const previousStartMs = candle.startMs - GRANULARITIES[candle.granularity];
    const current = this.engines.get(seriesKey);
    if (current !== undefined && current.extractor.lastCandleStartMs() === previousStartMs) return current;
    const series = { productId: candle.productId, granularity: candle.granularity };
    const extractor = this.features.createExtractor(series);
    const checkpoint = await store.loadCheckpoint(this.checkpointKey(seriesKey));
    if (checkpoint !== undefined) {
      try {
        extractor.restoreState(checkpoint.value);
      } catch (error) {
        logger.warn('feature checkpoint unusable; warming up from history', { seriesKey, error });
      }
    }
    const engine = extractor.lastCandleStartMs() === previousStartMs ? { extractor, candlesSinceCheckpoint: 0 } : await this.warmUp(candle, extractor, store);
    this.engines.set(seriesKey, engine);
    return engine;
  }

  /** Feeds history up to the candle: from a restored but older state, or from scratch. */
  private async warmUp(candle: Candle, restored: FeatureExtractor, store: FeatureEngineStore): Promise<SeriesEngine> {
    const series = { productId: candle.productId, granularity: candle.granularity };
    const previousStartMs = candle.startMs - GRANULARITIES[candle.granularity];
    const lastMs = restored.lastCandleStartMs();
    const resume = lastMs !== undefined && lastMs < previousStartMs;
    const extractor = resume ? restored : this.features.createExtractor(series);
    const history = await store.getCandles({
      ...series,
      asOfMs: candle.startMs,
      ...(resume ? { fromStartMs: lastMs + GRANULARITIES[candle.granularity] } : { limit: this.features.warmupCandles }),
    });
    for (const earlier of history) extractor.update(earlier);
    return { extractor, candlesSinceCheckpoint: history.length };
  }

  /** Counts a processed candle and checkpoints its engine when the cadence says so. */
  async afterCandle(candle: Candle, engine: SeriesEngine, store: FeatureEngineStore, nowMs: number): Promise<void> {
    engine.candlesSinceCheckpoint += 1;
    if (engine.candlesSinceCheckpoint < this.settings.checkpointEveryCandles) return;
    await store.saveCheckpoint(this.checkpointKey(`${candle.productId}/${candle.granularity}`), engine.extractor.saveState(), nowMs);
    engine.candlesSinceCheckpoint = 0;
  }

  /** Saves every engine that took candles since its last checkpoint (on stop and at a replay's end, not after every `runUntilIdle`). */
  async checkpointAll(store: FeatureEngineStore, nowMs: number): Promise<void> {
    for (const [seriesKey, engine] of this.engines) {
      if (engine.candlesSinceCheckpoint === 0) continue;
      await store.saveCheckpoint(this.checkpointKey(seriesKey), engine.extractor.saveState(), nowMs);
      engine.candlesSinceCheckpoint = 0;
    }
  }

  private checkpointKey(seriesKey: string): string {
    return `features/${this.settings.pipelineId}/${this.features.featureSetVersion}/${seriesKey}`;
  }
}
