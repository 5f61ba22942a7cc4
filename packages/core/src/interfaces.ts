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
  readonly pipelineId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly store: PipelineStore;
}

/** A candle series: one product at one granularity. */
export interface SeriesKey {
  readonly productId: string;
  readonly granularity: Granularity;
}

/** A source of closed candles: history in pages, then live candles as they close. */
export interface MarketDataSource {
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
  /** Start of the last candle fed, if any. */
  lastCandleStartMs(): number | undefined;
  /** A JSON-serialisable snapshot of the engine's state. */
  saveState(): unknown;
  /** Restores a snapshot made by `saveState` of an engine of the same feature set. @throws TradepipeError `validation_failed` */
  restoreState(state: unknown): void;
}

/**
 * A feature set: its names and version (the model's input contract) and a factory of extractors. A set
 * composed of a base set and plugin sets joins their versions with `+` (`tp-51-v2+my-plugin-v1`).
 */
export interface FeatureSet {
  readonly featureSetVersion: string;
  readonly featureNames: readonly string[];
  /** Candles needed before the first vector. */
  readonly warmupCandles: number;
  createExtractor(series: SeriesKey): FeatureExtractor;
}

/** One model prediction. */
export interface ModelPrediction {
  readonly action: SignalAction;
  /** Probability of the chosen class (after the minimum-confidence rule, the HOLD probability or the class's). */
  readonly confidence: number;
  readonly probabilities?: { readonly BUY: number; readonly SELL: number; readonly HOLD: number };
}

/** A classifier from feature vectors to BUY/SELL/HOLD. */
export interface SignalModel {
  readonly modelId: string;
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
  /** @throws TradepipeError `validation_failed` for NaN/missing features, `model_failed` if inference fails. */
  predict(vector: FeatureVector, options?: { readonly signal?: AbortSignal }): Promise<ModelPrediction>;
  predictBatch(vectors: readonly FeatureVector[], options?: { readonly signal?: AbortSignal }): Promise<ModelPrediction[]>;
}

/** What the signal bridge decided for one signal. */
export type RecommendationDecision =
  | { readonly kind: 'none'; readonly reason: string }
  | { readonly kind: 'recommend'; readonly recommendation: TradeRecommendation }
  /** A recommendation recorded as REJECTED at once (e.g. SELL with nothing held). */
  | { readonly kind: 'reject'; readonly recommendation: TradeRecommendation; readonly reason: string };

/** The signal bridge: turns a signal into a trade recommendation. */
export interface RecommendationPolicy {
  readonly name: string;
  recommend(input: {
    readonly signal: Signal;
    readonly product: Product;
    readonly position: Position | undefined;
    readonly nowMs: number;
  }): RecommendationDecision;
}

/** What a validator sees: the recommendation, recent candles up to the decision, the features and the signal. */
export interface ValidationInput {
  readonly recommendation: TradeRecommendation;
  readonly signal: Signal | undefined;
  /** Candles closed at or before the decision time, oldest first. */
  readonly recentCandles: readonly Candle[];
  readonly featureNames: readonly string[];
}

/**
 * Approves or rejects a recommendation. Returns a verdict (APPROVE or REJECT with reasons; build it with
 * `createValidation`) or throws a retryable TradepipeError for a transient failure; anything else thrown is
 * recorded as a REJECT. The pipeline stores the verdict under `recordId('validation', [recommendation.id,
 * validator.name])` whatever id it carries, so a validator's name must be unique within a pipeline.
 */
export interface TradeValidator {
  readonly name: string;
  validate(input: ValidationInput, context: StageContext): Promise<LlmValidation>;
}

/** Risk management: assesses a recommendation and, on APPROVE, records a signed approval and reserves its exposure. */
export interface RiskManager {
  readonly name: string;
  /** Reads positions, balances, candles (up to `nowMs`) and risk state from `context.store`; records the decision there. */
  assess(recommendation: TradeRecommendation, context: StageContext): Promise<RiskDecisionResult>;
}

/** Exit rules evaluated on each closed candle for an open position. */
export interface ExitPolicy {
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
  readonly name: string;
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
