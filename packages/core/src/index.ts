/**
 * @packageDocumentation
 * The contracts of a tradepipe pipeline: the records that flow between stages (zod schemas and types),
 * the stage interfaces, the store, the Pipeline that composes them, errors, config and logging.
 * Core has no I/O; implementations live in the other `@tradepipe/*` packages.
 */
export {
  ERROR_CODES,
  REDACTED,
  TradepipeError,
  isRetryableError,
  isTradepipeError,
  redactText,
  sanitizeCause,
  toTradepipeError,
  type ErrorCode,
  type ErrorDetails,
  type SanitizedCause,
} from './errors.js';
export {
  DecimalStringSchema,
  NonNegativeDecimalSchema,
  PositiveDecimalSchema,
  addDecimal,
  compareDecimal,
  decimal,
  decimalFromNumber,
  divideDecimal,
  floorToIncrement,
  isDecimalString,
  isPositiveDecimal,
  isZeroDecimal,
  minDecimal,
  multiplyDecimal,
  signDecimal,
  subtractDecimal,
  toApproxNumber,
  type DecimalString,
  type RoundingMode,
} from './decimal.js';
export {
  GRANULARITIES,
  GranularitySchema,
  barsPerDay,
  createManualClock,
  granularityMs,
  startOfUtcDayMs,
  systemClock,
  type Clock,
  type Granularity,
  type ManualClock,
} from './time.js';
export {
  childLogger,
  createJsonLogger,
  redactFields,
  silentLogger,
  type LogFields,
  type LogLevel,
  type Logger,
} from './logger.js';
export {
  RECORD_ID_PREFIXES,
  canonicalJson,
  clientOrderIdFor,
  contentHash,
  contentHashOfCanonicalJson,
  recordId,
  type NaturalKeyPart,
  type RecordId,
  type RecordKind,
} from './ids.js';
export {
  describeIssues,
  parseWith,
} from './parse.js';
export {
  CANDLE_PRICE_RANGE,
  CANDLE_VOLUME_RANGE,
  CandleSchema,
  FeatureVectorSchema,
  MAX_CANDLE_START_MS,
  ProductIdSchema,
  ProductSchema,
  ProductStatusSchema,
  candleCloseMs,
  isCandleClosed,
  isProductTradable,
  type Candle,
  type FeatureVector,
  type Product,
  type ProductId,
  type ProductStatus,
} from './records/market.js';
export {
  ExitRuleSchema,
  LlmValidationSchema,
  RecommendationOriginSchema,
  RecommendationStateSchema,
  SignalActionSchema,
  SignalSchema,
  TERMINAL_RECOMMENDATION_STATES,
  TradeRecommendationSchema,
  TradeSideSchema,
  ValidationDecisionSchema,
  ValidationFailureKindSchema,
  type ExitRule,
  type LlmValidation,
  type RecommendationOrigin,
  type RecommendationState,
  type Signal,
  type SignalAction,
  type TradeRecommendation,
  type TradeSide,
  type ValidationDecision,
  type ValidationFailureKind,
} from './records/trading.js';
export {
  ApprovalAlgorithmSchema,
  ExposureReservationSchema,
  KillSwitchModeSchema,
  RiskApprovalSchema,
  RiskAssessmentSchema,
  RiskReasonCodeSchema,
  RiskStateSchema,
  type ApprovalAlgorithm,
  type ExposureReservation,
  type KillSwitchMode,
  type RiskApproval,
  type RiskAssessment,
  type RiskReasonCode,
  type RiskState,
} from './records/risk.js';
export {
  BalanceSchema,
  FillSchema,
  HealthReportSchema,
  HealthStatusSchema,
  ORDER_TRANSITIONS,
  OrderSchema,
  OrderStatusSchema,
  OrderTypeSchema,
  PositionSchema,
  TERMINAL_ORDER_STATUSES,
  ORDER_REASON_SEND_IN_FLIGHT,
  ORDER_REASON_NOTHING_PLACED,
  canTransitionOrder,
  type Balance,
  type Fill,
  type HealthReport,
  type HealthStatus,
  type Order,
  type OrderStatus,
  type OrderType,
  type Position,
} from './records/execution.js';
export {
  DEFAULT_GAP_POLICY,
  GapPolicySchema,
  gapFillCandles,
  sequenceCandle,
  sequenceCandles,
  type GapPolicy,
  type SequenceResult,
} from './gap-policy.js';
export {
  checkFeatureView,
  createFeatureView,
  featureSetVersionParts,
  isModelView,
  type FeatureNamesAndVersion,
  type FeatureView,
} from './feature-view.js';
export {
  approvalPayload,
  createEd25519ApprovalSigner,
  createHmacApprovalSigner,
  signRiskApproval,
  verifyRiskApproval,
  type ApprovalPayload,
  type ApprovalSigner,
} from './approval.js';
export {
  candleWorkId,
  partitionKeyOf,
  type BulkWrite,
  type ReplayImport,
  type ReplayWorkStatus,
  type CandleQuery,
  type CandleState,
  type Claim,
  type WorkRecords,
  type ClaimRequest,
  type HandOnRequest,
  type Completion,
  type ConsumeApprovalResult,
  type EquitySnapshot,
  type ExposureLimits,
  type FailureOutcome,
  type FailureResult,
  type InsertResult,
  type OrderUpdate,
  type FillOptions,
  type PipelineStore,
  type PutCandlesResult,
  type RecordWrite,
  type RiskDecisionRecord,
  type RiskDecisionResult,
  type SignalCountQuery,
  type SignalState,
  type WorkError,
  type WorkKind,
  type WorkStates,
  type WorkStatus,
} from './store.js';
export {
  PREDICTION_ACTIONS,
  type ExitPolicy,
  type FeatureExtractor,
  type FeatureRows,
  type FeatureSet,
  type MarketDataSource,
  type ModelPrediction,
  type OrderExecutor,
  type PredictionColumns,
  type RecommendationDecision,
  type RecommendationPolicy,
  type RiskManager,
  type SeriesKey,
  type SignalModel,
  type StageContext,
  type TradeValidator,
  type ValidationInput,
} from './interfaces.js';
export {
  INITIAL_RISK_STATE,
  createMemoryStore,
} from './memory-store.js';
export {
  MAX_DEAD_LETTER_PAGE,
  compareDeadLetters,
  deadLetterLimit,
  planDiscard,
  planRequeue,
  type DeadLetter,
  type DeadLetterAction,
  type DeadLetterChange,
  type DeadLetterCursor,
  type DeadLetterQuery,
  type DeadLetterSubject,
} from './dead-letters.js';
export {
  applyFillToBalances,
  applyFillToPosition,
} from './memory-ledger.js';
export { checkCandle, checkCandleQuery } from './candle-check.js';
export {
  checkCandlesClosed,
  checkExposureFits,
  checkOrderWithinApproval,
  isRepeatedTerminalUpdate,
  isOrderAsExpected,
  orderChangedUnderneath,
  orderFillsChangedUnderneath,
  checkExpectedFigures,
  expectedFillCountOf,
  expectedOrderOf,
  parseRecordWrite,
} from './store-rules.js';
export {
  DefaultRecommendationPolicyOptionsSchema,
  createDefaultRecommendationPolicy,
  type DefaultRecommendationPolicyOptions,
} from './recommendation-policy.js';
export {
  RAW_RESPONSE_LIMIT,
  createValidation,
  failClosedValidation,
  type FailClosedDetails,
} from './validation-records.js';
export { Pipeline, createPipeline } from './pipeline/pipeline.js';
export { SEND_IN_FLIGHT_GRACE_MS, checkStoreHealth, worstHealthStatus, type HealthStore } from './pipeline/stages/health.js';
export { replayCandles } from './pipeline/replay.js';
export { replayCandlesBatched, type BatchedReplayInput, type BatchedReplayResult } from './pipeline/batched-replay.js';
export { collectReplayRecords, type ReplayRecords, type SettledState } from './pipeline/replay-records.js';
export { parseCandleCsv } from './candle-csv.js';
export { WorkWaiterSet } from './work-waiters.js';
export { STAGE_NAMES, PipelineTuningSchema, type StageName, type PipelinePlugin, type PipelineOptions, type PipelineTuning } from './pipeline/options.js';
export type { PipelineEvents, PipelineListener, PipelineListeners } from './pipeline/events.js';
export {
  StageFailure,
  defineStage,
  stageEvent,
  type AnyPipelineStage,
  type PipelineStage,
  type StageEvent,
  type StageResult,
  type StageRunContext,
} from './pipeline/stage.js';
export {
  definePluginStage,
  wrapEveryStage,
  wrapStage,
  type PluginStage,
  type StageCall,
  type StageInputs,
  type StageMiddleware,
  type StageWrapper,
  type WrapOptions,
} from './pipeline/plugins.js';
export {
  abortAtExpiry,
  expiredResult,
  isExpired,
  loadRecommendation,
  resultOfOrder,
  stateOfOrder,
  type RecommendationInput,
  type RecommendationReader,
} from './pipeline/stages/recommendation-input.js';
export { OPEN_ORDER_STATUSES, OrderReconciler, createOrderReconciler, type FollowedOrder, type OrderReconcilerOptions, type SettledRecommendation } from './pipeline/stages/order-reconciler.js';
export type { CandleInput, FeaturesAndPrediction, SignalGenerationStore } from './pipeline/stages/signal-generation.js';
export type { SignalBridgeStore, SignalInput } from './pipeline/stages/signal-bridge.js';
export type { ValidationStore } from './pipeline/stages/llm-validation.js';
export type { RiskStageStore } from './pipeline/stages/risk.js';
export type { ExecutionInput, ExecutionStore } from './pipeline/stages/execution.js';
export type { FillsInput, FillsStore } from './pipeline/stages/fills.js';
export type { FeatureEngineStore } from './pipeline/stages/feature-engines.js';
export {
  BooleanTextSchema,
  CONFIG_ENV_VARS,
  DEFAULT_SERVICE_PORTS,
  LIVE_TRADING_CONFIRMATION,
  SERVICE_PORT_ENV_VARS,
  TradepipeConfigSchema,
  loadConfig,
  redactConfig,
  type LoadConfigOptions,
  type TradepipeConfig,
} from './config.js';
export {
  recordOrderIntent,
} from './order-intent.js';
export {
  DAYS_PER_YEAR,
  DAY_MS,
  meanOf,
  quantileOfSorted,
  sampleStandardDeviation,
  sharpeRatio,
  simpleReturns,
  sortinoRatio,
} from './backtest/statistics.js';
export {
  buildEquityCurve,
  drawdownSeries,
  resampleToUtcDays,
  type DrawdownPoint,
  type EquityPoint,
} from './backtest/equity-curve.js';
export {
  buildRoundTrips,
  executionsFromFills,
  matchRoundTrips,
  type OpenLot,
  type RoundTrip,
  type RoundTripResult,
  type TradeExecution,
} from './backtest/round-trips.js';
export {
  MIN_CAGR_PERIOD_DAYS,
  computePerformanceMetrics,
  measureMaxDrawdown,
  type MaxDrawdown,
  type PerformanceMetrics,
} from './backtest/performance.js';
export {
  buyAndHoldBaseline,
  smaCrossoverBaseline,
  type BaselineRun,
  type CostModel,
} from './backtest/baselines.js';
export {
  circularShiftSignificance,
  type CircularShiftResult,
} from './backtest/significance.js';
export {
  loadBacktestRecords,
  type BacktestRecords,
  type RecommendationTrail,
} from './backtest/backtest-records.js';
export {
  compareSizes,
  computeFunnel,
  summarizeDeadLetters,
  type AmountSpread,
  type BacktestFunnel,
  type DeadLetterCount,
  type DeadLetterSummary,
  type FunnelStage,
  type RejectionCount,
  type SizeComparison,
} from './backtest/funnel.js';
export {
  downsampleMinMax,
  mergeCandles,
  type PriceBar,
} from './backtest/downsample.js';
export {
  BACKTEST_REPORT_SCHEMA_VERSION,
  buildBacktestReport,
  type BacktestReport,
  type BacktestReportInput,
  type BaselineReport,
  type SeriesPoint,
} from './backtest/backtest-report.js';
export {
  backtest,
  splitBacktestCandles,
  type BacktestContext,
  type BacktestOptions,
  type BacktestProgress,
  type BacktestResult,
  type BacktestStages,
  type ReplayMode,
} from './backtest/backtest.js';
export { type BacktestDecision, type BacktestRunRecords } from './backtest/run-records.js';
export { type DecisionEntry, type DecisionKind } from './backtest/decisions.js';
export {
  checkLookahead,
  lookaheadCutPoints,
  scaleCandlesAfter,
  type CandlePoison,
  type LookaheadDifference,
  type LookaheadOptions,
  type LookaheadReport,
} from './backtest/check-lookahead.js';
export {
  walkForwardBacktest,
  walkForwardWindows,
  type WalkForwardBacktestOptions,
  type WalkForwardFold,
  type WalkForwardResult,
  type WalkForwardWindow,
} from './backtest/walk-forward-backtest.js';
