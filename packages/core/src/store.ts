import type { RecordId } from './ids.js';
import type { Candle, Product } from './records/market.js';
import type { Balance, Fill, HealthReport, Order, OrderStatus, Position } from './records/execution.js';
import type { ExposureReservation, RiskApproval, RiskAssessment, RiskState } from './records/risk.js';
import type { LlmValidation, RecommendationState, Signal, TradeRecommendation } from './records/trading.js';
import type { Granularity } from './time.js';

/**
 * The kinds of records that are also work queues: their state column says which stage handles them next.
 * Candles wait for the signal stage, signals for the bridge, recommendations for validation, risk and execution.
 */
export type WorkKind = 'candle' | 'signal' | 'recommendation';

/** States of a candle or signal as work items. */
export type CandleState = 'PENDING' | 'DONE' | 'DEAD_LETTER';

/** States of a signal as a work item. */
export type SignalState = 'PENDING' | 'DONE' | 'DEAD_LETTER';

/** The state type of each work kind. */
export interface WorkStates {
  candle: CandleState;
  signal: SignalState;
  recommendation: RecommendationState;
}

/** The last error of a work item, kept for retries and dead letters. */
export interface WorkError {
  readonly code: string;
  readonly message: string;
}

/** Queue bookkeeping of a work item, stored beside the record. */
export interface WorkStatus<S extends string = string> {
  readonly state: S;
  /** Why the item is in this state (a REJECT reason, an expiry), if any. */
  readonly reason?: string;
  /** Failed attempts so far. */
  readonly attempt: number;
  readonly lastError?: WorkError;
  /** Not claimable before this instant (backoff, delayed release). */
  readonly availableAtMs: number;
  readonly updatedAtMs: number;
}

/**
 * A leased work item. Only the holder of the current `fencingToken` may complete, release or fail it;
 * after `leaseExpiresAtMs` another worker may claim it with a new token.
 */
export interface Claim<K extends WorkKind = WorkKind> {
  readonly kind: K;
  readonly id: string;
  readonly state: WorkStates[K];
  /** `productId/granularity`: items of one partition are claimed in order when the claim asks for it. */
  readonly partitionKey: string;
  readonly workerId: string;
  readonly fencingToken: number;
  readonly attempt: number;
  readonly leaseExpiresAtMs: number;
}

/** What to claim. */
export interface ClaimRequest<K extends WorkKind = WorkKind> {
  readonly kind: K;
  readonly state: WorkStates[K];
  readonly workerId: string;
  readonly leaseMs: number;
  /** Most items to claim at once. */
  readonly limit: number;
  /**
   * Claim in order within each partition: only the oldest item of a partition in this state, and only
   * when no other item of that partition and kind is leased. Candles and signals are claimed this way.
   */
  readonly ordered?: boolean;
}

/** A record written together with a completion, in the same transaction. Inserts are first-write-wins. */
export type RecordWrite =
  | { readonly type: 'signal'; readonly record: Signal }
  | { readonly type: 'recommendation'; readonly record: TradeRecommendation; readonly state: RecommendationState; readonly reason?: string }
  | { readonly type: 'validation'; readonly record: LlmValidation }
  | { readonly type: 'assessment'; readonly record: RiskAssessment };

/** How a claim ends well: its item moves to `state`, and `writes` are recorded, atomically. */
export interface Completion<K extends WorkKind = WorkKind> {
  readonly state: WorkStates[K];
  readonly reason?: string;
  readonly writes?: readonly RecordWrite[];
}

/** How a claim ends in failure. */
export interface FailureOutcome<K extends WorkKind = WorkKind> {
  readonly error: WorkError;
  /** A retryable failure goes back to its state after a backoff until `maxAttempts`; then, or if not retryable, to `terminalState`. */
  readonly retryable: boolean;
  readonly maxAttempts: number;
  readonly backoffMs: number;
  readonly terminalState: WorkStates[K];
  /** The reason recorded with the terminal state. */
  readonly terminalReason?: string;
  /** Records written with the terminal state (e.g. the fail-closed REJECT validation). */
  readonly terminalWrites?: readonly RecordWrite[];
}

/** Whether a failure was scheduled for retry or ended the item. */
export type FailureResult = { readonly kind: 'retry_scheduled'; readonly availableAtMs: number } | { readonly kind: 'terminal' };

/** Result of an insert-once write. */
export type InsertResult = { readonly status: 'inserted' } | { readonly status: 'duplicate' };

/** Result of a bulk candle write. Conflicts (same bucket, other values) are not written. */
export interface PutCandlesResult {
  readonly inserted: number;
  readonly duplicates: number;
  readonly conflicts: readonly { readonly productId: string; readonly granularity: Granularity; readonly startMs: number }[];
}

/** A range query over candles. Only candles closed at or before `asOfMs` are returned, oldest first. */
export interface CandleQuery {
  readonly productId: string;
  readonly granularity: Granularity;
  /** Decision time: candles whose bucket ends after this instant are never returned. */
  readonly asOfMs: number;
  /** Earliest candle start to include. */
  readonly fromStartMs?: number;
  /** Return only the most recent `limit` candles (still oldest first). */
  readonly limit?: number;
}

/** Records the batched replay writes at once; see {@link PipelineStore.writeBulk}. */
export interface BulkWrite {
  /** Closed candles, entering in `candleState` (default `DONE`). */
  readonly candles?: readonly Candle[];
  readonly candleState?: CandleState;
  /** Signals with the work state the bridge left them in. */
  readonly signals?: readonly { readonly record: Signal; readonly state: SignalState; readonly reason?: string }[];
  /** Recommendations the bridge settled at once (e.g. REJECTED: nothing held). */
  readonly recommendations?: readonly { readonly record: TradeRecommendation; readonly state: RecommendationState; readonly reason?: string }[];
}

/** The limits the store enforces atomically while reserving exposure. */
export interface ExposureLimits {
  /** Σ over products of position size × mark price + active BUY reservations must stay at or below this. */
  readonly maxTotalExposureQuote?: number;
  /** The same for one product. */
  readonly maxProductExposureQuote?: number;
  /**
   * BUY only: portfolio heat after this reservation, Σ over products (position size × mark + active BUY
   * reservations) × annualised volatility / equity, must stay at or below `limit`.
   */
  readonly maxPortfolioHeat?: {
    readonly limit: number;
    readonly equityQuote: number;
    /** Annualised volatility by product; `fallbackVolatility` for a product not listed. */
    readonly volatilities: Readonly<Record<string, number>>;
    readonly fallbackVolatility: number;
  };
  /** BUY only: orders created since `sinceMs` plus approvals not yet consumed, plus this one, must stay at or below `limit`. */
  readonly maxOrders?: { readonly limit: number; readonly sinceMs: number };
}

/**
 * A risk decision to record. On APPROVE, `approval` and `reservation` are recorded in the same transaction
 * as the assessment, after checking — inside that transaction — that the reservation fits the limits
 * (exposure, heat, order count) given the positions, the orders and every other active reservation, so two
 * replicas cannot spend the same room.
 */
export interface RiskDecisionRecord {
  readonly assessment: RiskAssessment;
  readonly approval?: RiskApproval;
  readonly reservation?: ExposureReservation;
  readonly limits?: ExposureLimits;
  /** Mark prices by product for valuing positions inside the transaction. */
  readonly markPrices?: Readonly<Record<string, number>>;
}

/** Outcome of {@link PipelineStore.recordRiskDecision}. */
export type RiskDecisionResult =
  | { readonly status: 'recorded'; readonly assessment: RiskAssessment; readonly approval?: RiskApproval }
  /** A decision for this recommendation was recorded before; it stands and is returned. */
  | { readonly status: 'existing'; readonly assessment: RiskAssessment; readonly approval?: RiskApproval };

/** Outcome of consuming an approval. */
export type ConsumeApprovalResult = { readonly status: 'consumed'; readonly order: Order };

/** A change to an order: a new status and what came with it. The store checks the transition. */
export type OrderUpdate = Partial<
  Pick<
    Order,
    | 'status'
    | 'exchangeOrderId'
    | 'filledBaseSize'
    | 'filledQuoteValue'
    | 'averageFillPrice'
    | 'totalFees'
    | 'statusReason'
    | 'submittedAtMs'
    | 'completedAtMs'
  >
> & { readonly updatedAtMs: number };

/** Equity snapshot for the daily loss limit. */
export interface EquitySnapshot {
  readonly atMs: number;
  readonly equityQuote: number;
}

/**
 * The pipeline's durable state and work queues. Implementations: the in-memory store in core (tests,
 * embedded runs) and `@tradepipe/storage-pg` (PostgreSQL, PGlite). Every implementation passes core's
 * conformance suite (`@tradepipe/core/testing`) unchanged.
 *
 * Rules every implementation keeps:
 * - Inserts are first-write-wins on the record id: the same content again is a `duplicate`; other content
 *   is refused with `record_conflict` and nothing is overwritten.
 * - Work items are claimed with a lease and a fencing token; completing, releasing or failing with a stale
 *   token throws `lease_lost` and changes nothing. Lease times come from the store's own clock.
 * - A completion moves the item and records its writes atomically; so does a failure's terminal write.
 * - Consuming an approval succeeds once; reserving exposure is checked and recorded in one transaction.
 */
export interface PipelineStore {
  /** A short name for logs (`memory`, `postgres`, `pglite`). */
  readonly name: string;
  /** The store's clock (the database's clock for PostgreSQL), epoch ms. */
  nowMs(): Promise<number>;
  /** Checks the store answers; throws `storage_unavailable` otherwise. */
  ping(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;

  // --- Candles (crypto_prices) ---
  /** Inserts candles deduplicated on (product, granularity, start). New candles enter in `state` (default `PENDING`). */
  putCandles(candles: readonly Candle[], options?: { readonly state?: CandleState }): Promise<PutCandlesResult>;
  /**
   * Writes records in bulk, atomically, for the batched replay: candles, signals and settled recommendations
   * with their work states. Inserts are first-write-wins as everywhere; candles are checked as `putCandles` checks them.
   * @throws TradepipeError `record_conflict` if a record conflicts with a stored one (nothing is written)
   */
  writeBulk(batch: BulkWrite): Promise<void>;
  getCandles(query: CandleQuery): Promise<Candle[]>;
  getLatestCandle(productId: string, granularity: Granularity): Promise<Candle | undefined>;
  getCandle(productId: string, granularity: Granularity, startMs: number): Promise<Candle | undefined>;

  // --- Products ---
  /** Inserts or replaces a product (products change: status, increments). */
  putProduct(product: Product): Promise<void>;
  getProduct(productId: string): Promise<Product | undefined>;
  listProducts(): Promise<Product[]>;

  // --- Records ---
  getSignal(id: RecordId): Promise<Signal | undefined>;
  /** Inserts a recommendation in a state (exit rules write reduce recommendations straight to `PENDING_RISK`). */
  insertRecommendation(record: TradeRecommendation, state: RecommendationState, reason?: string): Promise<InsertResult>;
  getRecommendation(id: RecordId): Promise<{ readonly record: TradeRecommendation; readonly status: WorkStatus<RecommendationState> } | undefined>;
  listRecommendations(query: { readonly state?: RecommendationState; readonly productId?: string; readonly limit?: number }): Promise<TradeRecommendation[]>;
  listValidations(recommendationId: RecordId): Promise<LlmValidation[]>;
  getRiskAssessment(recommendationId: RecordId): Promise<RiskAssessment | undefined>;
  getApproval(recommendationId: RecordId): Promise<RiskApproval | undefined>;
  getWorkStatus<K extends WorkKind>(kind: K, id: string): Promise<WorkStatus<WorkStates[K]> | undefined>;
  countByState<K extends WorkKind>(kind: K): Promise<Partial<Record<WorkStates[K], number>>>;

  // --- Queue ---
  claim<K extends WorkKind>(request: ClaimRequest<K>): Promise<Claim<K>[]>;
  /** @throws TradepipeError `lease_lost` if the fencing token is stale; `record_conflict` if a write conflicts (nothing is applied). */
  complete<K extends WorkKind>(claim: Claim<K>, completion: Completion<K>): Promise<void>;
  /**
   * Extends a held lease to `leaseMs` from now (the store's clock), keeping the fencing token: a worker calls it
   * while a slow item (an LLM answer, an order being followed) is still in hand.
   * @throws TradepipeError `lease_lost` if the claim no longer holds the item.
   */
  renewLease<K extends WorkKind>(claim: Claim<K>, leaseMs: number): Promise<Claim<K>>;
  /** Gives the item back in its state, claimable again after `delayMs`, without counting an attempt. */
  release<K extends WorkKind>(claim: Claim<K>, options?: { readonly delayMs?: number }): Promise<void>;
  fail<K extends WorkKind>(claim: Claim<K>, outcome: FailureOutcome<K>): Promise<FailureResult>;
  /** Resolves when work of `kind` may be available (a notification), or after `timeoutMs`, or on abort. */
  waitForWork(kind: WorkKind, options: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<void>;

  // --- Risk ---
  /** @throws TradepipeError `exposure_limit_exceeded` if the reservation does not fit (nothing is recorded). */
  recordRiskDecision(decision: RiskDecisionRecord): Promise<RiskDecisionResult>;
  /** Reservations still holding exposure: unexpired and unconsumed, or consumed by a non-terminal order. */
  listActiveReservations(): Promise<ExposureReservation[]>;
  /**
   * Consumes a (verified) approval and records the order intent, atomically. The stored approval must equal
   * the presented one, be unconsumed and unexpired at the store's clock, and match the order's product,
   * side, client order id and size limit. A BUY is refused while the kill switch is engaged, however recently
   * risk approved it (reducing orders stay allowed).
   * @throws TradepipeError `approval_invalid`, `approval_expired`, `approval_consumed`, `kill_switch_engaged`
   */
  consumeApprovalAndRecordOrderIntent(approval: RiskApproval, order: Order): Promise<ConsumeApprovalResult>;
  getRiskState(): Promise<RiskState>;
  updateRiskState(update: Partial<Omit<RiskState, 'updatedAtMs'>> & { readonly updatedAtMs: number }): Promise<RiskState>;
  /** Records an equity snapshot; the first of each UTC day is the day's reference. */
  recordEquity(snapshot: EquitySnapshot): Promise<void>;
  /** The first equity snapshot at or after `dayStartMs` and before the next day, if any. */
  getDayStartEquity(dayStartMs: number): Promise<EquitySnapshot | undefined>;

  // --- Orders, fills, positions, balances ---
  getOrder(id: RecordId): Promise<Order | undefined>;
  getOrderByClientOrderId(clientOrderId: string): Promise<Order | undefined>;
  listOrders(query: { readonly statuses?: readonly OrderStatus[]; readonly productId?: string; readonly createdSinceMs?: number }): Promise<Order[]>;
  /** Orders created at or after `sinceMs` (for the orders-per-hour limit). */
  countOrdersSince(sinceMs: number): Promise<number>;
  /**
   * Applies an update, checking the transition. A terminal status releases the order's reservation.
   * @throws TradepipeError `invalid_state_transition`, `not_found`
   */
  updateOrder(id: RecordId, update: OrderUpdate): Promise<Order>;
  /** Records a fill once (by fill id) and, atomically, updates the position and balances. */
  recordFill(fill: Fill, options: { readonly quoteCurrency: string; readonly baseCurrency: string }): Promise<InsertResult>;
  listFills(orderId: RecordId): Promise<Fill[]>;
  /** Positions with a size above zero. */
  listPositions(): Promise<Position[]>;
  getPosition(productId: string): Promise<Position | undefined>;
  listBalances(): Promise<Balance[]>;
  /** Replaces balances with the venue's truth (reconciliation, paper account funding). */
  putBalances(balances: readonly Balance[]): Promise<void>;

  // --- Checkpoints and health ---
  /** Saves a stage's state (e.g. a feature engine's) under a key, replacing the previous one. */
  saveCheckpoint(key: string, value: unknown, atMs: number): Promise<void>;
  loadCheckpoint(key: string): Promise<{ readonly value: unknown; readonly atMs: number } | undefined>;
  recordHealth(report: HealthReport): Promise<void>;
  latestHealth(service: string): Promise<HealthReport | undefined>;
}

/** The partition key of a candle, signal or recommendation: `productId/granularity`. */
export function partitionKeyOf(record: { readonly productId: string; readonly granularity: Granularity }): string {
  return `${record.productId}/${record.granularity}`;
}

/** Id of a candle as a work item: `productId/granularity/startMs`. */
export function candleWorkId(candle: Pick<Candle, 'productId' | 'granularity' | 'startMs'>): string {
  return `${candle.productId}/${candle.granularity}/${candle.startMs}`;
}
