import type { RecordId } from './ids.js';
import type { Candle, Product } from './records/market.js';
import type { Balance, Fill, HealthReport, Order, OrderStatus, Position } from './records/execution.js';
import type { ExposureReservation, RiskApproval, RiskAssessment, RiskState } from './records/risk.js';
import type { LlmValidation, RecommendationState, Signal, SignalAction, TradeRecommendation } from './records/trading.js';
import type { Granularity } from './time.js';
import type { DeadLetter, DeadLetterAction, DeadLetterQuery } from './dead-letters.js';

/**
 * The kinds of records that are also work queues: their state column says which stage handles them next.
 * Candles wait for the signal stage, signals for the bridge, recommendations for validation, risk and execution.
 */
export type WorkKind = 'candle' | 'signal' | 'recommendation';

/** States of a candle as a work item (`DISCARDED`: a dead letter an operator acknowledged without running it again). */
export type CandleState = 'PENDING' | 'DONE' | 'DEAD_LETTER' | 'DISCARDED';

/** States of a signal as a work item (`DISCARDED`: a dead letter an operator acknowledged without running it again). */
export type SignalState = 'PENDING' | 'DONE' | 'DEAD_LETTER' | 'DISCARDED';

/** The state type of each work kind. */
export interface WorkStates {
  /** States of a candle: `PENDING` (for the signal stage), `DONE`, `DEAD_LETTER`, `DISCARDED`. */
  candle: CandleState;
  /** States of a signal: `PENDING` (for the bridge), `DONE`, `DEAD_LETTER`, `DISCARDED`. */
  signal: SignalState;
  /** States of a recommendation: the stage it waits for (`PENDING_VALIDATION`, …, `SUBMITTED`) or how it ended. */
  recommendation: RecommendationState;
}

/** The last error of a work item, kept for retries and dead letters. */
export interface WorkError {
  /** The error code (a {@link TradepipeError} code, or e.g. `listener_error`). */
  readonly code: string;
  /** The error message, for people: branch on `code`. */
  readonly message: string;
}

/**
 * Queue bookkeeping of a work item, stored beside the record.
 * @typeParam S the states of the item's kind (see {@link WorkStates})
 */
export interface WorkStatus<S extends string = string> {
  /** The item's current state. */
  readonly state: S;
  /** Why the item is in this state (a REJECT reason, an expiry), if any. */
  readonly reason?: string;
  /** Failed attempts so far. */
  readonly attempt: number;
  /** The last failure, if any attempt failed. */
  readonly lastError?: WorkError;
  /** Not claimable before this instant (backoff, delayed release). */
  readonly availableAtMs: number;
  /** When the status last changed, on the store's clock, epoch ms. */
  readonly updatedAtMs: number;
}

/**
 * A leased work item. Only the holder of the current `fencingToken` may complete, release or fail it;
 * after `leaseExpiresAtMs` another worker may claim it with a new token.
 * @typeParam K the kind of item claimed
 */
export interface Claim<K extends WorkKind = WorkKind> {
  /** The kind of item claimed. */
  readonly kind: K;
  /** The item's id: `productId/granularity/startMs` for a candle, the record id for a signal or recommendation. */
  readonly id: string;
  /** The state the item was claimed in; completing or failing checks the item is still in it. */
  readonly state: WorkStates[K];
  /** `productId/granularity`: items of one partition are claimed in order when the claim asks for it. */
  readonly partitionKey: string;
  /** The worker that holds the lease, as given in the claim request. */
  readonly workerId: string;
  /**
   * A number that grows with every claim of the store; only the current holder's token completes, releases or fails the
   * item.
   */
  readonly fencingToken: number;
  /** Failed attempts of the item before this claim (0 on the first try). */
  readonly attempt: number;
  /** When the lease ends on the store's clock, epoch ms; `renewLease` moves it. */
  readonly leaseExpiresAtMs: number;
  /**
   * The item's record as stored, when the store reads it with the claim (the SQL stores do: one round trip for
   * claim and input); a stage loads it itself when absent. Records are immutable once stored (first write wins).
   */
  readonly record?: WorkRecords[K];
  /**
   * Ordered claims: whether, when the claim was made, items in the claimed state remained that this call did not
   * take (behind a claimed item in its partition, in a partition another lease holds, or not yet due); `false`
   * when it took all there was. `undefined` when the store does not tell (then a worker assumes there may be).
   */
  readonly moreWaiting?: boolean;
}

/** The record of each kind of work item, as {@link Claim.record} carries it. */
export interface WorkRecords {
  /** A candle item's candle. */
  candle: Candle;
  /** A signal item's signal. */
  signal: Signal;
  /** A recommendation item's recommendation. */
  recommendation: TradeRecommendation;
}

/**
 * What to claim.
 * @typeParam K the kind of item to claim
 */
export interface ClaimRequest<K extends WorkKind = WorkKind> {
  /** The kind of item to claim. */
  readonly kind: K;
  /** Claim only items in this state (the stage's input state, e.g. `PENDING_RISK`). */
  readonly state: WorkStates[K];
  /** Names the claimer, recorded with the lease. */
  readonly workerId: string;
  /** How long the lease lasts, ms, on the store's clock; after it another worker may claim the item. */
  readonly leaseMs: number;
  /** Most items to claim at once. */
  readonly limit: number;
  /**
   * Claim in order within each partition: only the oldest item of a partition in this state, and only
   * when no other item of that partition and kind is leased. Candles and signals are claimed this way.
   */
  readonly ordered?: boolean;
}

/**
 * Who takes an item over in its new state when {@link PipelineStore.completeAndClaim} completes it: the worker of
 * the stage that takes that state, as a {@link ClaimRequest} names it.
 */
export interface HandOnRequest {
  /** Names the claimer, recorded with the lease. */
  readonly workerId: string;
  /** How long the new lease lasts, ms, on the store's clock. */
  readonly leaseMs: number;
  /**
   * Which item to claim: the completed item in its new state when absent; else the work item the completion's
   * write at this index makes (a `signal` or `recommendation` write), claimed as an unordered claim takes it, and
   * only if this completion inserted it (a duplicate claims nothing).
   */
  readonly write?: number;
}

/** A record written together with a completion, in the same transaction. Inserts are first-write-wins. */
export type RecordWrite =
  | { readonly type: 'signal'; readonly record: Signal }
  | { readonly type: 'recommendation'; readonly record: TradeRecommendation; readonly state: RecommendationState; readonly reason?: string }
  | { readonly type: 'validation'; readonly record: LlmValidation }
  | { readonly type: 'assessment'; readonly record: RiskAssessment };

/**
 * How a claim ends well: its item moves to `state`, and `writes` are recorded, atomically.
 * @typeParam K the kind of item claimed
 */
export interface Completion<K extends WorkKind = WorkKind> {
  /** The state the item moves to (e.g. `DONE`, `PENDING_RISK`, `REJECTED`). */
  readonly state: WorkStates[K];
  /** Why, recorded with the state (e.g. a REJECT reason); absent when there is nothing to say. */
  readonly reason?: string;
  /** Records written in the same transaction (a signal, a recommendation, validations, an assessment). */
  readonly writes?: readonly RecordWrite[];
}

/**
 * How a claim ends in failure.
 * @typeParam K the kind of item claimed
 */
export interface FailureOutcome<K extends WorkKind = WorkKind> {
  /** The failure's code and message, kept as the item's `lastError`. */
  readonly error: WorkError;
  /** A retryable failure goes back to its state after a backoff until `maxAttempts`; then, or if not retryable, to `terminalState`. */
  readonly retryable: boolean;
  /** Attempts allowed in all, this one included: the failure that reaches it is terminal. */
  readonly maxAttempts: number;
  /** How long a retried item waits before it can be claimed again, ms. */
  readonly backoffMs: number;
  /** The state a terminal failure moves the item to (e.g. `DEAD_LETTER`, `REJECTED`). */
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
  /** Candles stored by this call. */
  readonly inserted: number;
  /** Candles already stored with the same values (nothing written). */
  readonly duplicates: number;
  /** Candles whose bucket is stored with other values: refused, the stored candle stands. */
  readonly conflicts: readonly { readonly productId: string; readonly granularity: Granularity; readonly startMs: number }[];
}

/** A range query over candles. Only candles closed at or before `asOfMs` are returned, oldest first. */
export interface CandleQuery {
  /** The product of the series, e.g. `BTC-USD`. */
  readonly productId: string;
  /** The candle size of the series. */
  readonly granularity: Granularity;
  /** Decision time, epoch ms (a finite number): candles whose bucket ends after this instant are never returned. */
  readonly asOfMs: number;
  /** Earliest candle start to include, epoch ms (a finite number). */
  readonly fromStartMs?: number;
  /** Return only the most recent `limit` candles (still oldest first): a non-negative integer. */
  readonly limit?: number;
}

/** Records the batched replay writes at once; see {@link PipelineStore.writeBulk}. */
export interface BulkWrite {
  /** Closed candles, entering in `candleState` (default `DONE`). */
  readonly candles?: readonly Candle[];
  /** Work state the candles enter in (default `DONE`: stored as already seen). */
  readonly candleState?: CandleState;
  /** Signals with the work state the bridge left them in. */
  readonly signals?: readonly { readonly record: Signal; readonly state: SignalState; readonly reason?: string }[];
  /** Recommendations the bridge settled at once (e.g. REJECTED: nothing held). */
  readonly recommendations?: readonly { readonly record: TradeRecommendation; readonly state: RecommendationState; readonly reason?: string }[];
}

/** A work item's bookkeeping as a batched replay's in-memory view left it; see {@link ReplayImport}. */
export interface ReplayWorkStatus {
  /** The kind of item. */
  readonly kind: WorkKind;
  /** The item's id (see {@link Claim.id}). */
  readonly id: string;
  /** Its state, reason, attempts, last error and times, as the store is to keep them. */
  readonly status: WorkStatus;
  /** With state `DEAD_LETTER`: the state it was dead-lettered from (see `requeueDeadLetter`). */
  readonly deadLetteredFrom?: string;
}

/**
 * What a batched replay ran through its stages in memory, for {@link PipelineStore.importReplay}: the records new
 * since the last import, and the current state of every record that changed. Records of one import were all
 * written at or before the store's now.
 */
export interface ReplayImport {
  /** New candles, signals and recommendations, written as {@link PipelineStore.writeBulk} writes them (in order). */
  readonly inserts: readonly BulkWrite[];
  /** Work bookkeeping that replaces what is stored (items inserted above or by an earlier import). */
  readonly statuses: readonly ReplayWorkStatus[];
  /** New validations, in the order they were written. */
  readonly validations: readonly LlmValidation[];
  /** New risk assessments. */
  readonly assessments: readonly RiskAssessment[];
  /** Approvals, new or consumed since (with when and by which order). */
  readonly approvals: readonly { readonly approval: RiskApproval; readonly consumedAtMs?: number; readonly consumedByOrderId?: string }[];
  /** Exposure reservations, new or changed since (tied to an order, released when it ended). */
  readonly reservations: readonly { readonly reservation: ExposureReservation; readonly orderId?: string; readonly releasedAtMs?: number }[];
  /** Orders as they are now (new or updated). */
  readonly orders: readonly Order[];
  /** New fills, in the order they were recorded. */
  readonly fills: readonly Fill[];
  /** Positions as they are now. */
  readonly positions: readonly Position[];
  /** Balances as they are now (new currencies in the order they first appeared). */
  readonly balances: readonly Balance[];
  /** The risk state as it is now, when it changed. */
  readonly riskState?: RiskState;
  /** New equity snapshots, in the order they were recorded. */
  readonly equity: readonly EquitySnapshot[];
  /** Products as they are now (put since). */
  readonly products: readonly Product[];
  /**
   * What the importer believes the store holds now (what it read when it began, then what each import wrote): the
   * import locks the risk state and the balances and fails, writing nothing, if they differ (someone else changed them).
   */
  readonly expected?: {
    /** The risk state the store should hold. */
    readonly riskState: RiskState;
    /** Every balance the store should hold (no other currency). */
    readonly balances: readonly Balance[];
  };
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
  /** The assessment, APPROVE or REJECT, recorded once per recommendation. */
  readonly assessment: RiskAssessment;
  /** On APPROVE, the signed single-use approval; absent on REJECT. */
  readonly approval?: RiskApproval;
  /** On APPROVE, the exposure the approval holds until its order ends or it expires unused. */
  readonly reservation?: ExposureReservation;
  /** The limits the reservation must fit, checked inside the transaction; none checked when absent. */
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
> & {
  readonly updatedAtMs: number;
  /**
   * Compare-and-set: apply the update only if the stored order still has this status and status reason (what the
   * caller read); otherwise the store throws `order_conflict` and changes nothing. A worker about to send uses it so
   * that two workers holding the same unsent order cannot both decide from a stale copy.
   */
  readonly expected?: {
    readonly status: Order['status'];
    readonly statusReason?: string | undefined;
    /**
     * And exactly this many fills recorded for the order, counted under the order's lock: a fill recorded after the
     * caller counted makes the store refuse (`order_conflict`). A fill recorded with {@link FillOptions.expectedOrder}
     * cannot slip in between: it waits for the order's update, or the update for it.
     */
    readonly fillCount?: number;
    /**
     * And these filled figures stored, as the caller read them (canonical decimal strings): an order sync that raised
     * Coinbase's reported `filledBaseSize` / `filledQuoteValue` since (with no new fill listed) makes the store
     * refuse (`order_conflict`). An operator's settlement checks its fills against those figures: it must not end the
     * order on figures that changed underneath it.
     */
    readonly filledBaseSize?: Order['filledBaseSize'];
    readonly filledQuoteValue?: Order['filledQuoteValue'];
  };
};

/** What {@link PipelineStore.recordFill} needs beside the fill. */
export interface FillOptions {
  /** The product's quote currency (the balance a fill debits or credits in quote). */
  readonly quoteCurrency: string;
  /** The product's base currency. */
  readonly baseCurrency: string;
  /**
   * Compare-and-set: record the fill only if its order is stored with this status and status reason (what the caller
   * read), checked under the order's lock; otherwise `order_conflict` and nothing recorded. An order sync uses it so
   * that a fill it read from the venue is not booked onto an order someone ended meanwhile (an operator's settlement).
   */
  readonly expectedOrder?: { readonly status: Order['status']; readonly statusReason?: string | undefined };
}

/** Equity snapshot for the daily loss limit. */
export interface EquitySnapshot {
  /** When equity was measured, epoch ms. */
  readonly atMs: number;
  /** Equity in quote currency as the recorder measured it (risk: the quote balance plus positions at mark); finite. */
  readonly equityQuote: number;
}

/** Which signals {@link PipelineStore.countSignalsByAction} counts. */
export interface SignalCountQuery {
  /** Only this product's signals. */
  readonly productId?: string;
  /** Only signals of candles starting at or after this instant (epoch ms). */
  readonly fromCandleStartMs?: number;
  /** Only signals of candles starting at or before this instant (epoch ms). */
  readonly toCandleStartMs?: number;
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
  /** Closes the store (and the pool or PGlite instance it created; not one it was given). Writes afterwards fail. */
  close(): Promise<void>;

  // --- Candles (crypto_prices) ---
  /**
   * Inserts candles deduplicated on (product, granularity, start). New candles enter in `state` (default `PENDING`).
   * Only closed candles are stored: if any candle's bucket ends after the store's `nowMs()`, the whole batch is
   * refused and nothing is stored.
   * @throws TradepipeError `candle_not_closed` (not retryable) for a candle that has not closed; `validation_failed` for an invalid one
   */
  putCandles(candles: readonly Candle[], options?: { readonly state?: CandleState }): Promise<PutCandlesResult>;
  /**
   * Writes records in bulk, atomically, for the batched replay: candles, signals and settled recommendations
   * with their work states. Inserts are first-write-wins as everywhere; candles are checked as `putCandles` checks them
   * (a candle not closed at the store's now refuses the batch). The records given must not change until the
   * promise settles (a store may read a large batch a chunk at a time).
   * @throws TradepipeError `record_conflict` if a record conflicts with a stored one; `candle_not_closed`; `validation_failed` (nothing is written)
   */
  writeBulk(batch: BulkWrite): Promise<void>;
  /**
   * Candles of a series closed at or before `query.asOfMs`, oldest first, from `fromStartMs`, the last `limit` of them.
   * @returns the candles; empty when there are none
   * @throws TradepipeError `validation_failed` for a query it cannot answer (see `checkCandleQuery`)
   */
  getCandles(query: CandleQuery): Promise<Candle[]>;
  /**
   * The newest stored candle of a series, whatever its time; undefined when the series has none. For decisions at a
   * time, use `getCandles` with `asOfMs`.
   */
  getLatestCandle(productId: string, granularity: Granularity): Promise<Candle | undefined>;
  /** The candle of a series starting at `startMs`, epoch ms; undefined when not stored. */
  getCandle(productId: string, granularity: Granularity, startMs: number): Promise<Candle | undefined>;

  /**
   * Optional (the SQL stores have it, with {@link PipelineStore.holdsTradingHistory}): writes what a batched replay
   * ran in memory, in one transaction, with multi-row statements per table. Candles, signals and recommendations
   * (`inserts`) are written as {@link PipelineStore.writeBulk} writes them: first write wins (one stored before with
   * the same content is kept, with different content fails the import). Validations, assessments, fills and equity
   * snapshots are plain inserts: one stored before fails the whole import. Orders, positions, balances, the risk
   * state, approvals' consumption, reservations and work bookkeeping replace what is stored. Items written in bulk
   * (quiet candles, signals, recommendations) get the import's time (the store's now) as their work bookkeeping
   * times (updated, available). With `expected`, the risk state and balances are locked first and compared; if
   * they differ, nothing is written. Nothing is written whenever the import fails.
   * @throws TradepipeError `validation_failed` for an invalid record; `record_conflict` if a bulk record conflicts
   *   with a stored one or the risk state or balances differ from `expected`; `storage_failed` if a new record exists
   *   or an item to update does not
   */
  importReplay?(batch: ReplayImport): Promise<void>;
  /**
   * Optional, with {@link PipelineStore.importReplay}: whether the store holds any trading history: a recommendation,
   * validation, assessment, approval, reservation, order, fill, position or equity snapshot, or a candle or signal
   * waiting for its stage or dead-lettered. A store without (products, balances, the risk state, settled candles and
   * signals, checkpoints) can be mirrored in memory exactly by a batched replay.
   */
  holdsTradingHistory?(): Promise<boolean>;

  // --- Products ---
  /** Inserts or replaces a product (products change: status, increments). */
  putProduct(product: Product): Promise<void>;
  /** The product as last put; undefined when unknown. */
  getProduct(productId: string): Promise<Product | undefined>;
  /** Every product, in the order they were first put. */
  listProducts(): Promise<Product[]>;

  // --- Records ---
  /** A signal by id; undefined when not stored. */
  getSignal(id: RecordId): Promise<Signal | undefined>;
  /**
   * How many signals were recorded of each action (for a backtest's funnel), optionally for one product and
   * for candles starting in `[fromCandleStartMs, toCandleStartMs]` (both ends included; open when not given).
   */
  countSignalsByAction(query: SignalCountQuery): Promise<Partial<Record<SignalAction, number>>>;
  /** Inserts a recommendation in a state (exit rules write reduce recommendations straight to `PENDING_RISK`). */
  insertRecommendation(record: TradeRecommendation, state: RecommendationState, reason?: string): Promise<InsertResult>;
  /** A recommendation by id with its queue status (state, reason, attempts); undefined when not stored. */
  getRecommendation(id: RecordId): Promise<{ readonly record: TradeRecommendation; readonly status: WorkStatus<RecommendationState> } | undefined>;
  /**
   * Recommendations, optionally only those in `state` and of `productId`, oldest first (by `createdAtMs`), at most
   * `limit` (the oldest ones).
   */
  listRecommendations(query: { readonly state?: RecommendationState; readonly productId?: string; readonly limit?: number }): Promise<TradeRecommendation[]>;
  /**
   * The validations recorded for a recommendation, one per validator, in the order they were written; empty when none.
   */
  listValidations(recommendationId: RecordId): Promise<LlmValidation[]>;
  /** The risk assessment of a recommendation (by the recommendation's id); undefined before risk decided. */
  getRiskAssessment(recommendationId: RecordId): Promise<RiskAssessment | undefined>;
  /**
   * The approval risk recorded for a recommendation (by the recommendation's id), consumed or not; undefined when risk
   * did not approve.
   */
  getApproval(recommendationId: RecordId): Promise<RiskApproval | undefined>;
  /** The queue status of an item (see {@link Claim.id} for ids); undefined when there is no such item. */
  getWorkStatus<K extends WorkKind>(kind: K, id: string): Promise<WorkStatus<WorkStates[K]> | undefined>;
  /** How many items of a kind are in each state; states with no item are absent. */
  countByState<K extends WorkKind>(kind: K): Promise<Partial<Record<WorkStates[K], number>>>;

  // --- Queue ---
  /**
   * Leases up to `limit` items of a kind in a state that are available now and not leased, oldest first (in order per
   * partition when `ordered`).
   * @returns the claims, each with a fresh fencing token; empty when nothing is claimable
   */
  claim<K extends WorkKind>(request: ClaimRequest<K>): Promise<Claim<K>[]>;
  /** @throws TradepipeError `lease_lost` if the fencing token is stale; `record_conflict` if a write conflicts (nothing is applied). */
  complete<K extends WorkKind>(claim: Claim<K>, completion: Completion<K>): Promise<void>;
  /**
   * {@link complete}, and in the same atomic step a claim for `next.workerId` (a fresh fencing token, a lease of
   * `next.leaseMs`) of the item in its new state, or of the work item one of the completion's writes makes (see
   * {@link HandOnRequest.write}); either is due at once: the live path hands an item to the next stage's worker
   * without that worker claiming it. The claimed item's waiters need not wake (it is not claimable). Optional:
   * without it a pipeline completes and the next stage claims as usual.
   * @returns the new claim (its `record` may be absent), or undefined when the store completed without claiming
   *   (what the completion made claimable is then claimable, and its waiters woken, as after {@link complete})
   * @throws as {@link complete} (nothing is applied)
   */
  completeAndClaim?<K extends WorkKind>(claim: Claim<K>, completion: Completion<K>, next: HandOnRequest): Promise<Claim | undefined>;
  /**
   * Extends a held lease to `leaseMs` from now (the store's clock), keeping the fencing token: a worker calls it
   * while a slow item (an LLM answer, an order being followed) is still in hand.
   * @throws TradepipeError `lease_lost` if the claim no longer holds the item.
   */
  renewLease<K extends WorkKind>(claim: Claim<K>, leaseMs: number): Promise<Claim<K>>;
  /** Gives the item back in its state, claimable again after `delayMs`, without counting an attempt. */
  release<K extends WorkKind>(claim: Claim<K>, options?: { readonly delayMs?: number }): Promise<void>;
  /**
   * Records a failed attempt. A retryable failure below `maxAttempts` goes back to its state after `backoffMs`;
   * otherwise the item moves to `terminalState` with `terminalWrites`, atomically.
   * @returns whether a retry was scheduled (and when) or the item ended
   * @throws TradepipeError `lease_lost` if the fencing token is stale (nothing changes)
   */
  fail<K extends WorkKind>(claim: Claim<K>, outcome: FailureOutcome<K>): Promise<FailureResult>;
  /**
   * Resolves when work of `kind` may be available (a notification), or after `timeoutMs`, or on abort. With
   * `state`, a store that knows which state new work arrived in may leave the wait running when work arrives
   * in another state (a wake-up for the wrong state is allowed; a missed one for `state` is not).
   */
  waitForWork(kind: WorkKind, options: { readonly timeoutMs: number; readonly signal?: AbortSignal; readonly state?: string }): Promise<void>;

  // --- Dead letters (operators) ---
  /**
   * Items in `DEAD_LETTER`, oldest first (by when they were dead-lettered, then kind, then id), optionally of one
   * kind, at most `limit` (default 100), after `after` (the last item of the previous page).
   * @throws TradepipeError `validation_failed` for a limit outside 1..1000
   */
  listDeadLetters(query?: DeadLetterQuery): Promise<DeadLetter[]>;
  /**
   * Moves a `DEAD_LETTER` item back to the state its stage claims (the state it was dead-lettered from; `PENDING`
   * for a candle or signal whose origin was not recorded), claimable at once, attempts reset to 0, the last error
   * kept (as `lastError` and in the new reason), and wakes the workers. A recommendation with an order is refused:
   * an order is never placed twice. A re-queued recommendation past its TTL ends `EXPIRED` at its stage.
   * @returns the item's new status
   * @throws TradepipeError `not_found`; `invalid_state_transition` if the item is not `DEAD_LETTER` (or is a
   * recommendation whose origin was not recorded); `order_recorded`; `validation_failed` for an empty reason
   */
  requeueDeadLetter<K extends WorkKind>(kind: K, id: string, action: DeadLetterAction): Promise<WorkStatus<WorkStates[K]>>;
  /**
   * Acknowledges a `DEAD_LETTER` item without running it again: it moves to the terminal state `DISCARDED`
   * (counted apart by `countByState`, not by the health check's `dead_letters`), with the reason and its last error.
   * @returns the item's new status
   * @throws TradepipeError `not_found`; `invalid_state_transition` if the item is not `DEAD_LETTER`;
   * `validation_failed` for an empty reason
   */
  discardDeadLetter<K extends WorkKind>(kind: K, id: string, action: DeadLetterAction): Promise<WorkStatus<WorkStates[K]>>;

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
  /** The shared risk state (kill switch, cool-down); kill switch off in `freeze` mode until first updated. */
  getRiskState(): Promise<RiskState>;
  /**
   * Merges `update` into the risk state (a `killSwitch` given replaces the whole kill switch), atomically.
   * @returns the new state
   * @throws TradepipeError `validation_failed` if the result is not a valid state
   */
  updateRiskState(update: Partial<Omit<RiskState, 'updatedAtMs'>> & { readonly updatedAtMs: number }): Promise<RiskState>;
  /** Records an equity snapshot; the first of each UTC day is the day's reference. */
  recordEquity(snapshot: EquitySnapshot): Promise<void>;
  /** The first equity snapshot at or after `dayStartMs` and before the next day, if any. */
  getDayStartEquity(dayStartMs: number): Promise<EquitySnapshot | undefined>;

  // --- Orders, fills, positions, balances ---
  /** An order by id (`recordId('order', [recommendationId])`); undefined when not stored. */
  getOrder(id: RecordId): Promise<Order | undefined>;
  /** The order with this client order id (the one sent to the venue); undefined when none. */
  getOrderByClientOrderId(clientOrderId: string): Promise<Order | undefined>;
  /** Orders, optionally only in `statuses`, of `productId` and created at or after `createdSinceMs`, oldest first. */
  listOrders(query: { readonly statuses?: readonly OrderStatus[]; readonly productId?: string; readonly createdSinceMs?: number }): Promise<Order[]>;
  /** Orders created at or after `sinceMs` (for the orders-per-hour limit). */
  countOrdersSince(sinceMs: number): Promise<number>;
  /**
   * Applies an update, checking the transition. A terminal status releases the order's reservation.
   * @throws TradepipeError `invalid_state_transition`, `not_found`
   */
  updateOrder(id: RecordId, update: OrderUpdate): Promise<Order>;
  /**
   * Records a fill once (by fill id) and, atomically, updates the position and balances.
   * @throws TradepipeError `validation_failed`, `record_conflict` (same id, other figures), `order_conflict` (the order is no longer as `options.expectedOrder` says: nothing recorded)
   */
  recordFill(fill: Fill, options: FillOptions): Promise<InsertResult>;
  /** The fills of an order, oldest first; empty when none. */
  listFills(orderId: RecordId): Promise<Fill[]>;
  /** Positions with a size above zero. */
  listPositions(): Promise<Position[]>;
  /** The position in a product, including one closed to size zero; undefined when the product was never traded. */
  getPosition(productId: string): Promise<Position | undefined>;
  /** Every stored balance, one per currency. */
  listBalances(): Promise<Balance[]>;
  /** Replaces balances with the venue's truth (reconciliation, paper account funding). */
  putBalances(balances: readonly Balance[]): Promise<void>;

  // --- Checkpoints and health ---
  /** Saves a stage's state (e.g. a feature engine's) under a key, replacing the previous one. */
  saveCheckpoint(key: string, value: unknown, atMs: number): Promise<void>;
  /** The state last saved under `key` (a JSON copy) and when; undefined when none. */
  loadCheckpoint(key: string): Promise<{ readonly value: unknown; readonly atMs: number } | undefined>;
  /**
   * Records a health report.
   * @throws TradepipeError `validation_failed` if the report is not valid
   */
  recordHealth(report: HealthReport): Promise<void>;
  /** The report last recorded for a service; undefined when none. */
  latestHealth(service: string): Promise<HealthReport | undefined>;
}

/** The partition key of a candle, signal or recommendation: `productId/granularity`. */
export function partitionKeyOf(record: { readonly productId: string; readonly granularity: Granularity }): string {
  return `${record.productId}/${record.granularity}`;
}

/** Id of a candle as a work item: `productId/granularity/startMs`. */
export function candleWorkId(candle: Pick<Candle, 'productId' | 'granularity' | 'startMs'>): string {
  // A join makes one flat string; a template makes a rope of three parts (≈ 100 bytes more), which the in-memory
  // store would keep as long as the candle.
  return [candle.productId, candle.granularity, candle.startMs].join('/');
}
