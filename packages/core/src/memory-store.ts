import { TradepipeError } from './errors.js';
import { checkCandleQuery } from './candle-check.js';
import { applyBulkWrite } from './memory-bulk.js';
import { MemoryFills } from './memory-fills.js';
import { CandleSeries } from './memory-candles.js';
import { GroupedRecords } from './memory-indexes.js';
import { MemoryApprovals } from './memory-approvals.js';
import { MemoryOrders, type OrderListQuery } from './memory-orders.js';
import { MemoryReservations } from './memory-reservations.js';
import { MemoryQueue, type ClaimedRecordOf, type Entry } from './memory-queue.js';
import { MemoryRecordWrites } from './memory-record-writes.js';
import { MemorySignals } from './memory-signals.js';
import { listMemoryDeadLetters, settleMemoryDeadLetter } from './memory-dead-letters.js';
import type { DeadLetter, DeadLetterAction, DeadLetterQuery } from './dead-letters.js';
import { checkCandlesClosed, checkExposureFits, expectedOrderOf, isOrderAsExpected, orderChangedUnderneath } from './store-rules.js';
import { parseWith } from './parse.js';
import {
  BalanceSchema,
  FillSchema,
  HealthReportSchema,
  OrderSchema,
  TERMINAL_ORDER_STATUSES,
  type Balance,
  type Fill,
  type HealthReport,
  type Order,
  type Position,
} from './records/execution.js';
import { CandleSchema, ProductSchema, type Candle, type Product } from './records/market.js';
import { RiskAssessmentSchema, RiskApprovalSchema, ExposureReservationSchema, RiskStateSchema } from './records/risk.js';
import type { ExposureReservation, RiskApproval, RiskAssessment, RiskState } from './records/risk.js';
import type { LlmValidation, RecommendationState, Signal, SignalAction, TradeRecommendation } from './records/trading.js';
import { candleWorkId, partitionKeyOf } from './store.js';
import type {
  BulkWrite, CandleQuery, CandleState, Claim, ClaimRequest, Completion, HandOnRequest, EquitySnapshot, FailureOutcome, FailureResult, InsertResult, PipelineStore,
  PutCandlesResult, RecordWrite, RiskDecisionRecord, OrderUpdate, FillOptions, RiskDecisionResult, SignalCountQuery, WorkKind, WorkRecords, WorkStates, WorkStatus,
} from './store.js';
import { systemClock, type Clock, type Granularity } from './time.js';

/** The default risk state: kill switch off (freeze mode), no cooldown. */
export const INITIAL_RISK_STATE: RiskState = { killSwitch: { engaged: false, mode: 'freeze' }, updatedAtMs: 0 };

/**
 * Creates an in-memory {@link PipelineStore} for tests, backtests and embedded runs. It keeps every rule of
 * the interface (first-write-wins, leases and fencing, atomic completions, single-use approvals, atomic
 * exposure reservation) and passes the conformance suite; it keeps nothing after the process ends.
 * @param options.clock the store's clock (leases, expiry); a manual clock for replays
 * @example
 * const store = createMemoryStore({ clock: createManualClock(Date.UTC(2025, 0, 1)) });
 */
export function createMemoryStore(options: { clock?: Clock } = {}): PipelineStore {
  return new MemoryStore(options.clock ?? systemClock);
}

/**
 * For the batched replay: whether `store` was made by {@link createMemoryStore} (its `writeBulk` reads a signal item's
 * `record` once and keeps no item); if so, room is made at once for `count` more bulk-written signals.
 * @internal
 */
export function prepareMemoryBulkSignals(store: PipelineStore, count: number): boolean {
  if (!(store instanceof MemoryStore)) return false;
  store.reserveBulkSignals(count);
  return true;
}

class MemoryStore implements PipelineStore {
  readonly name = 'memory';
  private readonly queue: MemoryQueue;
  private readonly candles = new CandleSeries();
  private readonly products = new Map<string, Product>();
  private readonly signals = new MemorySignals();
  private readonly recommendations = new Map<string, TradeRecommendation>();
  private readonly validations = new Map<string, LlmValidation>();
  private readonly assessments = new Map<string, RiskAssessment>();
  /** Approvals, and which were consumed (single use). */
  private readonly approvals = new MemoryApprovals();
  /** Orders, indexed so that no read per trade scans every order. */
  private readonly orders = new MemoryOrders();
  /** Exposure reservations by approval id; a risk decision reads the open ones, not every one ever made. */
  private readonly reservations = new MemoryReservations((orderId) => TERMINAL_ORDER_STATUSES.includes(this.orders.get(orderId)!.status));
  /** Fills, and the positions and balances they move. */
  private readonly fills = new MemoryFills();
  /** The validations of each recommendation, in the order stored. */
  private readonly validationsByRecommendation = new GroupedRecords<LlmValidation>();
  /** Checks and applies the records a completion, a failure or an insert writes. */
  private readonly recordWrites: MemoryRecordWrites;
  private readonly equity: EquitySnapshot[] = [];
  private readonly checkpoints = new Map<string, { value: unknown; atMs: number }>();
  private readonly health = new Map<string, HealthReport>();
  private riskState: RiskState = INITIAL_RISK_STATE;
  private closed = false;

  constructor(private readonly clock: Clock) {
    // A signal's queue place comes from its stored record: bulk-written settled signals need no entry each, and
    // those the signal columns hold are kept there by handle, not by id.
    this.queue = new MemoryQueue(() => clock.nowMs(), { signal: (id) => this.signals.placeOf(id) }, { signal: this.signals });
    this.recordWrites = new MemoryRecordWrites({ signals: this.signals, recommendations: this.recommendations, validations: this.validations, validationsByRecommendation: this.validationsByRecommendation, assessments: this.assessments, queue: this.queue });
  }

  private open(): void {
    if (this.closed) throw new TradepipeError('storage_failed', 'The store is closed');
  }

  async nowMs(): Promise<number> {
    return this.clock.nowMs();
  }

  async ping(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.closed) throw new TradepipeError('storage_unavailable', 'The store is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // --- Candles ---

  async putCandles(candles: readonly Candle[], options: { state?: CandleState } = {}): Promise<PutCandlesResult> {
    this.open();
    const parsed = candles.map((candle) => parseWith(CandleSchema, candle, 'candle'));
    checkCandlesClosed(parsed, this.clock.nowMs());
    const result = this.candles.insert(parsed);
    for (const candle of result.added) this.queue.add('candle', candleWorkId(candle), partitionKeyOf(candle), candle.startMs, options.state ?? 'PENDING');
    return { inserted: result.added.length, duplicates: result.duplicates, conflicts: result.conflicts };
  }

  /** Makes room for `count` more bulk-written signals (see {@link prepareMemoryBulkSignals}). @internal */
  reserveBulkSignals(count: number): void {
    this.signals.reserveBulk(count);
  }

  async writeBulk(batch: BulkWrite): Promise<void> {
    this.open();
    applyBulkWrite({ candles: this.candles, signals: this.signals, recommendations: this.recommendations, queue: this.queue }, batch, this.clock.nowMs());
  }

  async getCandles(query: CandleQuery): Promise<Candle[]> {
    checkCandleQuery(query);
    return this.candles.range(query);
  }

  async getLatestCandle(productId: string, granularity: Granularity): Promise<Candle | undefined> {
    return this.candles.latest(productId, granularity);
  }

  async getCandle(productId: string, granularity: Granularity, startMs: number): Promise<Candle | undefined> {
    return this.candles.at(productId, granularity, startMs);
  }

  // --- Products ---

  async putProduct(product: Product): Promise<void> {
    this.open();
    const parsed = parseWith(ProductSchema, product, 'product');
    this.products.set(parsed.productId, parsed);
  }

  async getProduct(productId: string): Promise<Product | undefined> {
    return this.products.get(productId);
  }

  async listProducts(): Promise<Product[]> {
    return [...this.products.values()];
  }

  // --- Records ---

  async getSignal(id: string): Promise<Signal | undefined> {
    return this.signals.get(id);
  }

  async countSignalsByAction(query: SignalCountQuery): Promise<Partial<Record<SignalAction, number>>> {
    return this.signals.countByAction(query);
  }

  async insertRecommendation(record: TradeRecommendation, state: RecommendationState, reason?: string): Promise<InsertResult> {
    this.open();
    const write: RecordWrite = { type: 'recommendation', record, state, ...(reason === undefined ? {} : { reason }) };
    const [checked] = this.recordWrites.check([write]);
    return this.recordWrites.apply(checked!);
  }

  async getRecommendation(id: string): Promise<{ record: TradeRecommendation; status: WorkStatus<RecommendationState> } | undefined> {
    const record = this.recommendations.get(id);
    const status = this.queue.status('recommendation', id) as WorkStatus<RecommendationState> | undefined;
    return record === undefined || status === undefined ? undefined : { record, status };
  }

  async listRecommendations(query: { state?: RecommendationState; productId?: string; limit?: number }): Promise<TradeRecommendation[]> {
    const list = [...this.recommendations.values()]
      .filter((record) => query.productId === undefined || record.productId === query.productId)
      .filter((record) => query.state === undefined || this.queue.status('recommendation', record.id)?.state === query.state)
      .sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : 1));
    return query.limit === undefined ? list : list.slice(0, query.limit);
  }

  async listValidations(recommendationId: string): Promise<LlmValidation[]> {
    return this.validationsByRecommendation.list(recommendationId);
  }

  async getRiskAssessment(recommendationId: string): Promise<RiskAssessment | undefined> {
    return this.assessments.get(recommendationId);
  }

  async getApproval(recommendationId: string): Promise<RiskApproval | undefined> {
    return this.approvals.get(recommendationId);
  }

  async getWorkStatus<K extends WorkKind>(kind: K, id: string): Promise<WorkStatus<WorkStates[K]> | undefined> {
    return this.queue.status(kind, id) as WorkStatus<WorkStates[K]> | undefined;
  }

  async countByState<K extends WorkKind>(kind: K): Promise<Partial<Record<WorkStates[K], number>>> {
    return this.queue.countByState(kind) as Partial<Record<WorkStates[K], number>>;
  }

  // --- Queue ---

  async claim<K extends WorkKind>(request: ClaimRequest<K>): Promise<Claim<K>[]> {
    this.open();
    return this.queue.claim(request, this.claimedRecordOf);
  }

  /** A claimed item's stored record: each claim carries it, so a stage loads nothing. */
  private readonly claimedRecordOf: ClaimedRecordOf = (kind, entry) => {
    if (kind === 'candle') return this.candles.atKey(entry.partitionKey, entry.orderKey);
    if (kind === 'signal') return this.signals.get(entry.id);
    return this.recommendations.get(entry.id);
  };

  async complete<K extends WorkKind>(claim: Claim<K>, completion: Completion<K>): Promise<void> {
    this.open();
    const entry = this.queue.checkLease(claim);
    const writes = this.recordWrites.check(completion.writes ?? []);
    for (const write of writes) this.recordWrites.apply(write);
    this.queue.transition(entry, completion.state, completion.reason);
  }

  async completeAndClaim<K extends WorkKind>(claim: Claim<K>, completion: Completion<K>, next: HandOnRequest): Promise<Claim | undefined> {
    // A dead letter is handed to nobody: completed as it is.
    if (completion.state === 'DEAD_LETTER' && next.write === undefined) {
      await this.complete(claim, completion);
      return undefined;
    }
    this.open();
    const entry = this.queue.checkLease(claim);
    const writes = this.recordWrites.check(completion.writes ?? []);
    const leaseMs = Math.max(0, next.leaseMs);
    if (next.write === undefined) {
      for (const write of writes) this.recordWrites.apply(write);
      return this.queue.transitionAndLease(entry, completion.state, completion.reason, next.workerId, leaseMs, this.claimedRecordOf(claim.kind, entry) as WorkRecords[K] | undefined);
    }
    // A written work item inserted now is leased at once, its waiters not woken.
    const handed = writes[next.write];
    const leased = handed !== undefined && !handed.duplicate && (handed.write.type === 'signal' || handed.write.type === 'recommendation') ? handed : undefined;
    for (const write of writes) this.recordWrites.apply(write, write !== leased);
    this.queue.transition(entry, completion.state, completion.reason);
    if (leased === undefined) return undefined;
    const kind = leased.write.type as 'signal' | 'recommendation';
    const written = this.queue.entry(kind, leased.write.record.id)!;
    return this.queue.lease(written, next.workerId, leaseMs, this.claimedRecordOf(kind, written));
  }

  async renewLease<K extends WorkKind>(claim: Claim<K>, leaseMs: number): Promise<Claim<K>> {
    this.open();
    return this.queue.renew(claim, leaseMs);
  }

  async release<K extends WorkKind>(claim: Claim<K>, options: { delayMs?: number } = {}): Promise<void> {
    this.open();
    this.queue.release(claim, options.delayMs ?? 0);
  }

  async fail<K extends WorkKind>(claim: Claim<K>, outcome: FailureOutcome<K>): Promise<FailureResult> {
    this.open();
    const entry: Entry = this.queue.checkLease(claim);
    const attempt = entry.status.attempt + 1;
    if (outcome.retryable && attempt < outcome.maxAttempts) {
      const availableAtMs = this.clock.nowMs() + Math.max(0, outcome.backoffMs);
      this.queue.scheduleRetry(entry, attempt, outcome.error, availableAtMs);
      return { kind: 'retry_scheduled', availableAtMs };
    }
    const writes = this.recordWrites.check(outcome.terminalWrites ?? []);
    for (const write of writes) this.recordWrites.apply(write);
    this.queue.transition(entry, outcome.terminalState, outcome.terminalReason ?? outcome.error.message, outcome.error, attempt);
    return { kind: 'terminal' };
  }

  waitForWork(kind: WorkKind, options: { timeoutMs: number; signal?: AbortSignal; state?: string }): Promise<void> {
    return this.queue.wait(kind, options.timeoutMs, options.signal, options.state);
  }

  // --- Dead letters ---

  async listDeadLetters(query: DeadLetterQuery = {}): Promise<DeadLetter[]> {
    return listMemoryDeadLetters(this.queue, query);
  }

  async requeueDeadLetter<K extends WorkKind>(kind: K, id: string, action: DeadLetterAction): Promise<WorkStatus<WorkStates[K]>> {
    this.open();
    return settleMemoryDeadLetter(this.queue, { kind, id, action, mode: 'requeue', hasOrder: this.hasOrderFor(kind, id) }) as WorkStatus<WorkStates[K]>;
  }

  async discardDeadLetter<K extends WorkKind>(kind: K, id: string, action: DeadLetterAction): Promise<WorkStatus<WorkStates[K]>> {
    this.open();
    return settleMemoryDeadLetter(this.queue, { kind, id, action, mode: 'discard', hasOrder: this.hasOrderFor(kind, id) }) as WorkStatus<WorkStates[K]>;
  }

  /** Whether a recommendation has an order: its approval was consumed (an order is recorded only so, atomically). */
  private hasOrderFor(kind: WorkKind, id: string): boolean {
    return kind === 'recommendation' && this.approvals.isConsumedFor(id);
  }

  // --- Risk ---

  async recordRiskDecision(decision: RiskDecisionRecord): Promise<RiskDecisionResult> {
    this.open();
    const assessment = parseWith(RiskAssessmentSchema, decision.assessment, 'risk assessment');
    const existing = this.assessments.get(assessment.recommendationId);
    if (existing !== undefined) {
      const approval = this.approvals.get(assessment.recommendationId);
      return { status: 'existing', assessment: existing, ...(approval === undefined ? {} : { approval }) };
    }
    if (decision.approval === undefined) {
      this.assessments.set(assessment.recommendationId, assessment);
      return { status: 'recorded', assessment };
    }
    const approval = parseWith(RiskApprovalSchema, decision.approval, 'risk approval');
    const reservation = parseWith(ExposureReservationSchema, decision.reservation, 'exposure reservation');
    this.checkExposure(reservation, decision);
    this.assessments.set(assessment.recommendationId, assessment);
    this.approvals.add(approval);
    this.reservations.add(approval.id, reservation);
    return { status: 'recorded', assessment, approval };
  }

  private checkExposure(reservation: ExposureReservation, decision: RiskDecisionRecord): void {
    const limits = decision.limits ?? {};
    const nowMs = this.clock.nowMs();
    const ordersInWindow = limits.maxOrders === undefined ? undefined : this.orders.countSince(limits.maxOrders.sinceMs) + this.reservations.countUnplaced(nowMs);
    checkExposureFits({
      reservation,
      positions: this.fills.allPositions(),
      activeReservations: this.reservations.active(nowMs),
      markPrices: decision.markPrices ?? {},
      limits,
      ...(ordersInWindow === undefined ? {} : { ordersInWindow }),
    });
  }

  async listActiveReservations(): Promise<ExposureReservation[]> {
    return this.reservations.active(this.clock.nowMs());
  }

  async consumeApprovalAndRecordOrderIntent(approval: RiskApproval, order: Order): Promise<{ status: 'consumed'; order: Order }> {
    this.open();
    const parsedOrder = parseWith(OrderSchema, order, 'order');
    const stored = this.approvals.checkConsumable(approval, parsedOrder, { killSwitchEngaged: this.riskState.killSwitch.engaged, nowMs: this.clock.nowMs() });
    if (this.orders.has(parsedOrder.id, parsedOrder.clientOrderId)) {
      throw new TradepipeError('approval_consumed', 'An order for this recommendation exists already', { details: { approvalId: approval.id, recommendationId: approval.recommendationId } });
    }
    this.approvals.consume(stored);
    this.orders.add(parsedOrder);
    this.reservations.place(stored.id, parsedOrder.id);
    return { status: 'consumed', order: parsedOrder };
  }

  async getRiskState(): Promise<RiskState> {
    return this.riskState;
  }

  async updateRiskState(update: Partial<Omit<RiskState, 'updatedAtMs'>> & { updatedAtMs: number }): Promise<RiskState> {
    this.open();
    this.riskState = parseWith(RiskStateSchema, { ...this.riskState, ...update }, 'risk state');
    return this.riskState;
  }

  async recordEquity(snapshot: EquitySnapshot): Promise<void> {
    this.open();
    if (!Number.isFinite(snapshot.equityQuote)) throw new TradepipeError('validation_failed', 'Equity must be finite');
    this.equity.push({ ...snapshot });
  }

  async getDayStartEquity(dayStartMs: number): Promise<EquitySnapshot | undefined> {
    return this.equity
      .filter((snapshot) => snapshot.atMs >= dayStartMs && snapshot.atMs < dayStartMs + 86_400_000)
      .sort((a, b) => a.atMs - b.atMs)[0];
  }

  // --- Orders, fills, positions, balances ---

  async getOrder(id: string): Promise<Order | undefined> {
    return this.orders.get(id);
  }

  async getOrderByClientOrderId(clientOrderId: string): Promise<Order | undefined> {
    return this.orders.getByClientOrderId(clientOrderId);
  }

  async listOrders(query: OrderListQuery): Promise<Order[]> {
    return this.orders.list(query);
  }

  async countOrdersSince(sinceMs: number): Promise<number> {
    return this.orders.countSince(sinceMs);
  }

  async updateOrder(id: string, update: OrderUpdate): Promise<Order> {
    this.open();
    return this.orders.update(id, update, (orderId) => this.fills.list(orderId).length);
  }

  async recordFill(fill: Fill, options: FillOptions): Promise<InsertResult> {
    this.open();
    const parsed = parseWith(FillSchema, fill, 'fill');
    const expectedOrder = expectedOrderOf(options);
    // A fill recorded already is a duplicate (or a conflict) whatever its order became: a repeat is never refused.
    if (expectedOrder !== undefined && !this.fills.has(parsed.id)) {
      const order = this.orders.get(parsed.orderId);
      if (order === undefined) throw new TradepipeError('not_found', 'No such order', { details: { orderId: parsed.orderId } });
      if (!isOrderAsExpected(order, expectedOrder)) throw orderChangedUnderneath(order, expectedOrder);
    }
    return this.fills.record(parsed, options);
  }

  async listFills(orderId: string): Promise<Fill[]> {
    return this.fills.list(orderId);
  }

  async listPositions(): Promise<Position[]> {
    return this.fills.openPositions();
  }

  async getPosition(productId: string): Promise<Position | undefined> {
    return this.fills.position(productId);
  }

  async listBalances(): Promise<Balance[]> {
    return this.fills.allBalances();
  }

  async putBalances(balances: readonly Balance[]): Promise<void> {
    this.open();
    this.fills.putBalances(balances.map((balance) => parseWith(BalanceSchema, balance, 'balance')));
  }

  // --- Checkpoints and health ---

  async saveCheckpoint(key: string, value: unknown, atMs: number): Promise<void> {
    this.open();
    this.checkpoints.set(key, { value: JSON.parse(JSON.stringify(value)) as unknown, atMs });
  }

  async loadCheckpoint(key: string): Promise<{ value: unknown; atMs: number } | undefined> {
    return this.checkpoints.get(key);
  }

  async recordHealth(report: HealthReport): Promise<void> {
    this.open();
    const parsed = parseWith(HealthReportSchema, report, 'health report');
    this.health.set(parsed.service, parsed);
  }

  async latestHealth(service: string): Promise<HealthReport | undefined> {
    return this.health.get(service);
  }
}

