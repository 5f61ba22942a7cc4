import { z } from 'zod';
import type {
  ExitPolicy,
  FeatureSet,
  MarketDataSource,
  OrderExecutor,
  RecommendationPolicy,
  RiskManager,
  SeriesKey,
  SignalModel,
  TradeValidator,
} from '../interfaces.js';
import type { Logger } from '../logger.js';
import type { PipelineStore } from '../store.js';
import type { Clock } from '../time.js';
import type { PipelineListeners } from './events.js';

/** The stages a pipeline process can run. A deployment runs some of them per service. */
export const STAGE_NAMES = ['ingest', 'signal', 'bridge', 'validation', 'risk', 'execution', 'fills'] as const;

/** A stage name; see {@link STAGE_NAMES}. */
export type StageName = (typeof STAGE_NAMES)[number];

/** A plugin: extra validators (every validator must approve) and event listeners. */
export interface PipelinePlugin {
  readonly name: string;
  readonly validators?: readonly TradeValidator[];
  readonly listeners?: PipelineListeners;
}

/** Tuning of the workers: leases, polling, retries. */
export const PipelineTuningSchema = z.object({
  leaseMs: z.number().int().positive().default(60_000),
  pollIntervalMs: z.number().int().positive().default(1_000),
  claimBatchSize: z.number().int().positive().default(16),
  /** Items of one stage processed at once by this process (products in parallel). */
  concurrency: z.number().int().positive().default(4),
  maxAttempts: z.number().int().positive().default(5),
  baseBackoffMs: z.number().int().nonnegative().default(1_000),
  maxBackoffMs: z.number().int().positive().default(60_000),
  /** How often a submitted order is polled. */
  orderPollIntervalMs: z.number().int().positive().default(2_000),
  /** Signals older than this many candles after their candle closed make no recommendation (backfills never trade). */
  maxSignalAgeCandles: z.number().positive().default(1),
  /** Candles of history handed to validators. */
  validationCandles: z.number().int().positive().default(48),
  /** Save each feature engine's state after this many candles. */
  checkpointEveryCandles: z.number().int().positive().default(50),
});

/** Worker tuning; see {@link PipelineTuningSchema}. */
export interface PipelineTuning extends z.output<typeof PipelineTuningSchema> {}

/**
 * The slots of a pipeline. Which are required depends on the stages this process runs: `signal` needs
 * `features` and `model`; `validation` a `validator` (or plugin validators); `risk` a `risk` manager;
 * `execution` and `fills` an `executor`; `ingest` a `marketData` source. Slots are checked when the
 * pipeline is built.
 */
export interface PipelineOptions {
  /** Names this pipeline in every record id; keep it stable across restarts. */
  readonly pipelineId: string;
  readonly store: PipelineStore;
  readonly features?: FeatureSet;
  readonly model?: SignalModel;
  /** The signal bridge; default {@link createDefaultRecommendationPolicy}. */
  readonly policy?: RecommendationPolicy;
  readonly validator?: TradeValidator;
  readonly risk?: RiskManager;
  readonly exits?: ExitPolicy;
  readonly executor?: OrderExecutor;
  readonly marketData?: { readonly source: MarketDataSource; readonly series: readonly SeriesKey[]; readonly backfillCandles?: number };
  readonly plugins?: readonly PipelinePlugin[];
  /** Stages this process runs; default all that have their slots filled. */
  readonly stages?: readonly StageName[];
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly tuning?: z.input<typeof PipelineTuningSchema>;
  /** Source of jitter for backoff; default `Math.random`. */
  readonly random?: () => number;
}
