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
import type { PipelinePlugin } from './plugins.js';

export type { PipelinePlugin } from './plugins.js';

/** The stages a pipeline process can run. A deployment runs some of them per service. */
export const STAGE_NAMES = ['ingest', 'signal', 'bridge', 'validation', 'risk', 'execution', 'fills'] as const;

/** A stage name; see {@link STAGE_NAMES}. */
export type StageName = (typeof STAGE_NAMES)[number];

/** Tuning of the workers: leases, polling, retries. */
export const PipelineTuningSchema = z.object({
  /** How long a claimed item stays leased, ms; renewed every third of it while the item is in hand. */
  leaseMs: z.number().int().positive().default(60_000),
  /** Longest wait for new work before claiming again, ms (a store notification wakes workers sooner). */
  pollIntervalMs: z.number().int().positive().default(1_000),
  /** Most items claimed at once by `runUntilIdle`. */
  claimBatchSize: z.number().int().positive().default(16),
  /** Items of one stage processed at once by this process (products in parallel). */
  concurrency: z.number().int().positive().default(4),
  /** Attempts an item gets in all; a retryable failure at the last one ends it (`DEAD_LETTER`, or `REJECTED` in validation). */
  maxAttempts: z.number().int().positive().default(5),
  /** Wait before the first retry, ms; doubled for each further attempt, then up to +20 % jitter. */
  baseBackoffMs: z.number().int().nonnegative().default(1_000),
  /** Cap of the doubled retry wait, ms, before jitter. */
  maxBackoffMs: z.number().int().positive().default(60_000),
  /** How often a submitted order is polled. */
  orderPollIntervalMs: z.number().int().positive().default(2_000),
  /** How often the order reconciler lists the orders that have not ended (injected clock). */
  reconcileIntervalMs: z.number().int().positive().default(30_000),
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
  /**
   * Where every record, queue and state lives; share one clock between it and the pipeline (checked before the first
   * work).
   */
  readonly store: PipelineStore;
  /** The feature set the signal stage computes; needed by `signal`. */
  readonly features?: FeatureSet;
  /**
   * The model the signal stage asks; needed by `signal`. It must take exactly the feature set's names, order and
   * version.
   */
  readonly model?: SignalModel;
  /** The signal bridge; default {@link createDefaultRecommendationPolicy}. */
  readonly policy?: RecommendationPolicy;
  /** The primary validator (e.g. the Ollama one); `validation` needs it or a plugin's validators. */
  readonly validator?: TradeValidator;
  /** The risk manager; needed by `risk`. */
  readonly risk?: RiskManager;
  /** Exit rules evaluated by the signal stage on each candle of a held product; none when absent. */
  readonly exits?: ExitPolicy;
  /** The order executor (e.g. a `PaperExecutor`); needed by `execution` and `fills`. */
  readonly executor?: OrderExecutor;
  /**
   * Candle ingestion, needed by `ingest`: the source, the series to collect, and how many candles to backfill for a
   * series the store has none of (default 300).
   */
  readonly marketData?: { readonly source: MarketDataSource; readonly series: readonly SeriesKey[]; readonly backfillCandles?: number };
  /** Extra validators and event listeners. */
  readonly plugins?: readonly PipelinePlugin[];
  /** Stages this process runs; default all that have their slots filled. */
  readonly stages?: readonly StageName[];
  /** The pipeline's time (default the system clock); give the store the same one. */
  readonly clock?: Clock;
  /** Where the pipeline logs (default silent); every line gets `pipelineId` and redacted fields. */
  readonly logger?: Logger;
  /** Worker tuning (leases, polling, retries, checkpoints); see {@link PipelineTuningSchema} for the defaults. */
  readonly tuning?: z.input<typeof PipelineTuningSchema>;
  /** Source of jitter for backoff; default `Math.random`. */
  readonly random?: () => number;
}
