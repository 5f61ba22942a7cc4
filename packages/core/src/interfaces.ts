import type { Clock } from './time.js';
import type { Logger } from './logger.js';
import type { Granularity } from './time.js';
import type { Candle, FeatureVector, Product } from './records/market.js';
import type { Order, Position } from './records/execution.js';
import type { RiskApproval, RiskState } from './records/risk.js';
import type { LlmValidation, Signal, SignalAction, TradeRecommendation } from './records/trading.js';
import type { PipelineStore, RiskDecisionResult } from './store.js';

/** What every stage call receives: time, logging, cancellation, the store and the pipeline's id. */
export interface StageContext {
  /** The pipeline's id, part of every record id it makes. */
  readonly pipelineId: string;
  /** The pipeline's clock: read time from it, never from `Date.now()` (a replay gives a manual clock). */
  readonly clock: Clock;
  /** The pipeline's logger: every line carries `pipelineId`, and fields are redacted. */
  readonly logger: Logger;
  /** Aborts when the pipeline stops (after its drain timeout); pass it to every wait and request. */
  readonly signal: AbortSignal;
  /** The pipeline's store, for reading what the stage needs and recording what it decides. */
  readonly store: PipelineStore;
}

/** A candle series: one product at one granularity. */
export interface SeriesKey {
  /** The product, e.g. `BTC-USD`. */
  readonly productId: string;
  /** The candle size, e.g. `ONE_HOUR`. */
  readonly granularity: Granularity;
}

/** A source of closed candles: history in pages, then live candles as they close. */
export interface MarketDataSource {
  /** Names the source (e.g. `coinbase`); informational. */
  readonly name: string;
  /**
   * Closed candles with `fromStartMs <= startMs < toStartMs`, oldest first, in pages, with core's gap
   * policy applied. Never yields a candle whose bucket has not ended.
   */
  backfill(request: SeriesKey & { readonly fromStartMs: number; readonly toStartMs: number; readonly signal?: AbortSignal }): AsyncIterable<readonly Candle[]>;
  /** Closed candles as they close, in order per series, until `signal` aborts. */
  subscribe(request: { readonly series: readonly SeriesKey[]; readonly signal: AbortSignal }): AsyncIterable<Candle>;
}

/**
 * A streaming feature engine for one series. Fed closed candles in order; returns a vector once every
 * feature is warm. Its state can be saved and restored so a restarted service resumes without history.
 */
export interface FeatureExtractor {
  /**
   * Feeds the next closed candle. Returns the vector at this candle, or `undefined` while warming up.
   * @throws TradepipeError `candle_out_of_order`, `candle_gap`, `validation_failed` on bad input.
   */
  update(candle: Candle): FeatureVector | undefined;
  /**
   * Optional: feeds the next closed candle as `update` does, and writes the values of the vector `update` would
   * return into `target` from `offset` instead (no vector object made: the batched replay writes them straight into
   * its chunk's matrix). That vector must be a plain one of the candle's series and start, of the set's
   * `featureSetVersion`, with `featureNames.length` values.
   * @returns false while warming up (nothing written)
   * @throws as `update`
   */
  updateInto?(candle: Candle, target: Float64Array, offset: number): boolean;
  /** Start of the last candle fed, if any. */
  lastCandleStartMs(): number | undefined;
  /** A JSON-serialisable snapshot of the engine's state. */
  saveState(): unknown;
  /** Restores a snapshot made by `saveState` of an engine of the same feature set. @throws TradepipeError `validation_failed` */
  restoreState(state: unknown): void;
  /**
   * Optional, with {@link FeatureExtractor.resumeCopy}: an exact copy of the state for this process, cheaper than
   * `saveState` (no checksum; not for storage), sharing nothing with the engine. The batched replay logs one every
   * 1,024 candles to recompute its quiet signals' features on read; without it, it deep-copies `saveState`.
   */
  copyState?(): unknown;
  /** Optional, with {@link FeatureExtractor.copyState}: puts back a copy it gave (of an engine of the same feature set and series), reading it, not keeping it. */
  resumeCopy?(copy: unknown): void;
}

/**
 * A feature set: its names and version (the model's input contract) and a factory of extractors. A set
 * composed of a base set and plugin sets joins their versions with `+` (`tp-51-v2+my-plugin-v1`).
 */
export interface FeatureSet {
  /**
   * Version of the feature definitions; a model must declare the same one, or the pipeline refuses to build
   * (`pipeline_invalid`).
   */
  readonly featureSetVersion: string;
  /** The names of the vector's values, in order; the model must take exactly these, in this order. */
  readonly featureNames: readonly string[];
  /** Candles needed before the first vector. */
  readonly warmupCandles: number;
  /** Creates a fresh, cold extractor for one series. */
  createExtractor(series: SeriesKey): FeatureExtractor;
}

/** One model prediction. */
export interface ModelPrediction {
  /** The class predicted: `BUY`, `SELL` or `HOLD`. */
  readonly action: SignalAction;
  /** Probability of the chosen class (after the minimum-confidence rule, the HOLD probability or the class's). */
  readonly confidence: number;
  /**
   * Each class's probability, when the model outputs them: they sum to 1 (within 0.01), and a BUY or SELL is the
   * most probable class (a HOLD may be any: a confidence bar turns a weak BUY into a HOLD). A prediction they
   * contradict is refused with `model_failed`, its candle dead-lettered.
   */
  readonly probabilities?: { readonly BUY: number; readonly SELL: number; readonly HOLD: number };
}

/** A classifier from feature vectors to BUY/SELL/HOLD. */
export interface SignalModel {
  /** Identifies the model; recorded on every signal it makes. */
  readonly modelId: string;
  /** The model's version; recorded on every signal it makes. */
  readonly modelVersion: string;
  /**
   * The features the model reads, by name, in the order it takes them: any subset of the feature set's
   * names, in any order. The pipeline hands `predict` the model's own view of each vector (these values in
   * this order, see `createFeatureView`), checked when the pipeline is built.
   */
  readonly featureNames: readonly string[];
  /**
   * The feature-set version the model was trained on; each of its `+`-joined parts must be a part of the
   * pipeline's feature-set version (a plugin composes `base+plugin`).
   */
  readonly featureSetVersion: string;
  /** The candle granularity the model was trained on, if it declares one. */
  readonly granularity?: Granularity;
  /**
   * The candles the model was fitted to, if it declares them: the starts of the first and the last training candle,
   * epoch ms (their closes made the labels). A backtest over them is in sample, not a test of the model: its report
   * counts them (`BacktestReport.inSample`) and says so.
   */
  readonly trainingRange?: { readonly fromMs: number; readonly toMs: number };
  /** @throws TradepipeError `validation_failed` for NaN/missing features, `model_failed` if inference fails. */
  predict(vector: FeatureVector, options?: { readonly signal?: AbortSignal }): Promise<ModelPrediction>;
  /**
   * Predicts many vectors at once (backtests, evaluation). Each prediction must be exactly what `predict` gives
   * for its vector, whatever the batch: the batched replay predicts a chunk at once and must decide as a live run.
   * The vectors are the caller's and valid during the call: the batched replay rewrites their objects for its next
   * chunk once the promise settles, so a model keeps none of them (nor their `values`).
   * @returns one prediction per vector, in the same order
   * @throws TradepipeError as {@link SignalModel.predict}
   */
  predictBatch(vectors: readonly FeatureVector[], options?: { readonly signal?: AbortSignal }): Promise<ModelPrediction[]>;
  /**
   * Optional: {@link SignalModel.predictBatch} for vectors given as rows of the feature set's values (the set's whole
   * vectors, not the model's view), all of one series, written as numbers into `into` instead of one object per row:
   * row `i`'s prediction is `{ action: PREDICTION_ACTIONS[into.actions[i]], confidence: into.confidences[i],
   * probabilities: { BUY, SELL, HOLD } }` with the probabilities at `into.probabilities[3 * i]` onwards, and it must be
   * exactly what `predictBatch` gives for the model's view of the same vector (a model whose predictions carry no
   * probabilities does not implement this). Returns false, having written nothing, when the model cannot take rows of
   * that set (the caller then calls `predictBatch`). The batched replay predicts its chunk's matrix with it: no vector
   * and no prediction object made (a row it finds unwritten or refuses is predicted again with `predict`). The rows and
   * `into` are the caller's, valid during the call; after a throw, what `into` holds is unspecified.
   * @returns whether the predictions were written
   * @throws TradepipeError as {@link SignalModel.predict}; `validation_failed` when `rows` or `into` hold fewer rows than `rows.count`
   */
  predictRows?(rows: FeatureRows, into: PredictionColumns, options?: { readonly signal?: AbortSignal }): Promise<boolean>;
}

/** The actions of {@link PredictionColumns.actions}, by their code: 0 BUY, 1 SELL, 2 HOLD. */
export const PREDICTION_ACTIONS: readonly ['BUY', 'SELL', 'HOLD'] = Object.freeze(['BUY', 'SELL', 'HOLD'] as const);

/** Where {@link SignalModel.predictRows} writes its predictions: row `i` of each at index `i` (three per row for probabilities). */
export interface PredictionColumns {
  /** Each row's action, as its index in {@link PREDICTION_ACTIONS}. */
  readonly actions: Uint8Array;
  /** Each row's confidence. */
  readonly confidences: Float64Array;
  /** Each row's BUY, SELL and HOLD probabilities, in that order: three per row. */
  readonly probabilities: Float64Array;
}

/** Feature vectors of one series as rows of numbers (see {@link SignalModel.predictRows}). */
export interface FeatureRows {
  /** The rows' values, row after row from index 0 (it may hold more than `count` rows: the rest is not read). */
  readonly values: Float64Array;
  /** Rows given. */
  readonly count: number;
  /** Values per row: the feature set's `featureNames.length`. */
  readonly width: number;
  /** The feature set's version (every row's). */
  readonly featureSetVersion: string;
  /** The product of every row. */
  readonly productId: string;
  /** The granularity of every row. */
  readonly granularity: Granularity;
}

/** What the signal bridge decided for one signal. */
export type RecommendationDecision =
  | { readonly kind: 'none'; readonly reason: string }
  | { readonly kind: 'recommend'; readonly recommendation: TradeRecommendation }
  /** A recommendation recorded as REJECTED at once (e.g. SELL with nothing held). */
  | { readonly kind: 'reject'; readonly recommendation: TradeRecommendation; readonly reason: string };

/** The signal bridge: turns a signal into a trade recommendation. */
export interface RecommendationPolicy {
  /** Names the policy (e.g. `default-100`); informational. */
  readonly name: string;
  /**
   * Decides what a signal becomes; called by the bridge once per signal not older than `maxSignalAgeCandles`.
   * Synchronous; it should decide from its input alone.
   * @returns `none` (nothing recorded, e.g. HOLD), `recommend` (recorded as `PENDING_VALIDATION`) or `reject` (recorded
   * as `REJECTED` with the reason)
   */
  recommend(input: {
    readonly signal: Signal;
    readonly product: Product;
    readonly position: Position | undefined;
    readonly nowMs: number;
  }): RecommendationDecision;
}

/** What a validator sees: the recommendation, recent candles up to the decision, the features and the signal. */
export interface ValidationInput {
  /** The recommendation to judge. */
  readonly recommendation: TradeRecommendation;
  /** The signal it came from; undefined for an exit-rule recommendation. */
  readonly signal: Signal | undefined;
  /** Candles closed at or before the decision time, oldest first. */
  readonly recentCandles: readonly Candle[];
  /** The names of `signal.features.values`, in order (empty when the pipeline has no feature set). */
  readonly featureNames: readonly string[];
}

/**
 * Approves or rejects a recommendation. Returns a verdict (APPROVE or REJECT with reasons; build it with
 * `createValidation`) or throws a retryable TradepipeError for a transient failure; anything else thrown is
 * recorded as a REJECT. The pipeline stores the verdict under `recordId('validation', [recommendation.id,
 * validator.name])` whatever id it carries, so a validator's name must be unique within a pipeline.
 */
export interface TradeValidator {
  /**
   * The validator's name: recorded as `validator` on its verdicts and part of their id; must be unique within a
   * pipeline.
   */
  readonly name: string;
  /**
   * Judges one recommendation.
   * @returns the verdict for `input.recommendation` (the pipeline sets its id and `validator`)
   * @throws TradepipeError a retryable code (e.g. `llm_unavailable`) for a transient failure, retried then recorded as
   * a fail-closed REJECT; anything else thrown is a REJECT at once
   */
  validate(input: ValidationInput, context: StageContext): Promise<LlmValidation>;
}

/** Risk management: assesses a recommendation and, on APPROVE, records a signed approval and reserves its exposure. */
export interface RiskManager {
  /** Names the manager (default `risk` for `@tradepipe/risk`); informational. */
  readonly name: string;
  /** Reads positions, balances, candles (up to `nowMs`) and risk state from `context.store`; records the decision there. */
  assess(recommendation: TradeRecommendation, context: StageContext): Promise<RiskDecisionResult>;
}

/** Exit rules evaluated on each closed candle for an open position. */
export interface ExitPolicy {
  /** Names the policy (e.g. `atr-exits`); informational. */
  readonly name: string;
  /** Returns a reduce recommendation (origin `exit`) or `undefined`. Uses no candle after `candle`. */
  evaluate(input: {
    readonly candle: Candle;
    readonly position: Position;
    readonly product: Product;
    /** Candles up to and including `candle`, oldest first. */
    readonly recentCandles: readonly Candle[];
    readonly riskState: RiskState;
    readonly pipelineId: string;
    readonly nowMs: number;
  }): TradeRecommendation | undefined;
  /** Candles of history `evaluate` wants. */
  readonly lookbackCandles: number;
}

/**
 * Places orders. `execute` verifies and consumes the approval together with recording the order intent,
 * then submits; on a retry it finds the recorded intent and reconciles instead of placing again.
 */
export interface OrderExecutor {
  /** Names the executor (e.g. `paper`, `coinbase`); informational. */
  readonly name: string;
  /** Where orders go: `paper` (simulated) or `coinbase` (real money); written on every order and fill it records. */
  readonly venue: 'paper' | 'coinbase';
  /** @throws TradepipeError `approval_*` (not retryable), `order_state_unknown` (retryable: reconcile first). */
  execute(input: { readonly recommendation: TradeRecommendation; readonly approval: RiskApproval | undefined }, context: StageContext): Promise<Order>;
  /** Follows a non-terminal order one step (poll the venue, or simulate the next price). */
  refresh(order: Order, context: StageContext): Promise<Order>;
  /**
   * Called once by the pipeline before its first execution or fills work (e.g. a clock-skew check and a
   * balance reconciliation with the venue). Throwing stops the pipeline from starting.
   */
  start?(context: StageContext): Promise<unknown>;
}
