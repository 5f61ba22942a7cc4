import {
  TradepipeError,
  checkCandleQuery,
  type Balance,
  type Candle,
  type CandleQuery,
  type CandleState,
  type Claim,
  type ClaimRequest,
  type DeadLetter,
  type DeadLetterAction,
  type DeadLetterQuery,
  type Completion,
  type HandOnRequest,
  type ConsumeApprovalResult,
  type EquitySnapshot,
  type ExposureReservation,
  type FailureOutcome,
  type FailureResult,
  type Fill,
  type FillOptions,
  type Granularity,
  type HealthReport,
  type InsertResult,
  type LlmValidation,
  type Order,
  type OrderStatus,
  type OrderUpdate,
  type PipelineStore,
  type Position,
  type Product,
  type PutCandlesResult,
  type RecommendationState,
  type ReplayImport,
  type RiskApproval,
  type RiskAssessment,
  type RiskDecisionRecord,
  type RiskDecisionResult,
  type RiskState,
  type Signal,
  type SignalAction,
  type SignalCountQuery,
  type TradeRecommendation,
  type WorkKind,
  type WorkStates,
  type WorkStatus,
  parseRecordWrite,
} from '@tradepipe/core';
import { writeBulk } from './bulk-sql.js';
import * as deadLetters from './dead-letters-sql.js';
import * as candles from './candles-sql.js';
import { currentMs, nowParam, type StoreContext } from './context.js';
import { guarded } from './db-errors.js';
import * as orders from './orders-sql.js';
import * as positions from './positions-sql.js';
import { complete as completeWork, completeAndClaim as completeWorkAndClaim } from './complete-sql.js';
import * as queue from './queue-sql.js';
import * as reads from './reads-sql.js';
import { holdsTradingHistory, importReplay } from './replay-import-sql.js';
import { applyRecordWrite } from './records-sql.js';
import * as risk from './risk-sql.js';
import * as state from './state-sql.js';
import { WorkWaiters } from './work-waiters.js';

/**
 * The SQL {@link PipelineStore}, the same for both drivers. Each method validates its input, runs its SQL
 * (one statement or one transaction) and converts driver failures to `storage_unavailable`/`storage_failed`.
 * @internal
 */
export class SqlStore implements PipelineStore {
  readonly name: string;
  private readonly waiters: WorkWaiters;
  private closed = false;

  constructor(private readonly context: StoreContext) {
    this.name = context.driver.name;
    this.waiters = new WorkWaiters(context.driver, context.schema, context.logger);
  }

  private async run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new TradepipeError('storage_failed', 'The store is closed', { details: { operation } });
    return guarded(operation, work);
  }

  nowMs(): Promise<number> {
    return this.run('nowMs', () => currentMs(this.context));
  }

  async ping(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.closed) throw new TradepipeError('storage_unavailable', 'The store is closed');
    try {
      await this.context.driver.query('SELECT 1 AS one');
    } catch (error) {
      throw new TradepipeError('storage_unavailable', 'The database did not answer', { cause: error, details: { operation: 'ping' } });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.waiters.close();
    await this.context.driver.close();
  }

  putCandles(list: readonly Candle[], options: { readonly state?: CandleState } = {}): Promise<PutCandlesResult> {
    return this.run('putCandles', () => candles.putCandles(this.context, list, options.state ?? 'PENDING'));
  }

  writeBulk(batch: Parameters<PipelineStore['writeBulk']>[0]): Promise<void> {
    return this.run('writeBulk', () => writeBulk(this.context, batch));
  }

  importReplay(batch: ReplayImport): Promise<void> {
    return this.run('importReplay', () => importReplay(this.context, batch));
  }

  holdsTradingHistory(): Promise<boolean> {
    return this.run('holdsTradingHistory', () => holdsTradingHistory(this.context));
  }

  getCandles(query: CandleQuery): Promise<Candle[]> {
    return this.run('getCandles', async () => {
      checkCandleQuery(query);
      return candles.getCandles(this.context, query);
    });
  }

  getLatestCandle(productId: string, granularity: Granularity): Promise<Candle | undefined> {
    return this.run('getLatestCandle', () => candles.getLatestCandle(this.context, productId, granularity));
  }

  getCandle(productId: string, granularity: Granularity, startMs: number): Promise<Candle | undefined> {
    return this.run('getCandle', () => candles.getCandle(this.context, productId, granularity, startMs));
  }

  putProduct(product: Product): Promise<void> {
    return this.run('putProduct', () => state.putProduct(this.context, product));
  }

  getProduct(productId: string): Promise<Product | undefined> {
    return this.run('getProduct', async () => (await state.getProducts(this.context, productId))[0]);
  }

  listProducts(): Promise<Product[]> {
    return this.run('listProducts', () => state.getProducts(this.context));
  }

  getSignal(id: string): Promise<Signal | undefined> {
    return this.run('getSignal', () => reads.getSignal(this.context, id));
  }

  countSignalsByAction(query: SignalCountQuery): Promise<Partial<Record<SignalAction, number>>> {
    return this.run('countSignalsByAction', () => reads.countSignalsByAction(this.context, query));
  }

  insertRecommendation(record: TradeRecommendation, recommendationState: RecommendationState, reason?: string): Promise<InsertResult> {
    return this.run('insertRecommendation', () => {
      const write = parseRecordWrite({ type: 'recommendation', record, state: recommendationState, ...(reason === undefined ? {} : { reason }) });
      return applyRecordWrite(this.context, this.context.driver, write, nowParam(this.context));
    });
  }

  getRecommendation(id: string): Promise<{ record: TradeRecommendation; status: WorkStatus<RecommendationState> } | undefined> {
    return this.run('getRecommendation', () => reads.getRecommendation(this.context, id));
  }

  listRecommendations(query: { readonly state?: RecommendationState; readonly productId?: string; readonly limit?: number }): Promise<TradeRecommendation[]> {
    return this.run('listRecommendations', () => reads.listRecommendations(this.context, query));
  }

  listValidations(recommendationId: string): Promise<LlmValidation[]> {
    return this.run('listValidations', () => reads.listValidations(this.context, recommendationId));
  }

  getRiskAssessment(recommendationId: string): Promise<RiskAssessment | undefined> {
    return this.run('getRiskAssessment', () => risk.assessmentFor(this.context, recommendationId));
  }

  getApproval(recommendationId: string): Promise<RiskApproval | undefined> {
    return this.run('getApproval', () => risk.approvalFor(this.context, this.context.driver, recommendationId));
  }

  getWorkStatus<K extends WorkKind>(kind: K, id: string): Promise<WorkStatus<WorkStates[K]> | undefined> {
    return this.run('getWorkStatus', () => queue.getWorkStatus(this.context, kind, id));
  }

  countByState<K extends WorkKind>(kind: K): Promise<Partial<Record<WorkStates[K], number>>> {
    return this.run('countByState', () => queue.countByState(this.context, kind));
  }

  claim<K extends WorkKind>(request: ClaimRequest<K>): Promise<Claim<K>[]> {
    return this.run('claim', () => queue.claim(this.context, request));
  }

  complete<K extends WorkKind>(claim: Claim<K>, completion: Completion<K>): Promise<void> {
    return this.run('complete', () => completeWork(this.context, claim, completion));
  }

  completeAndClaim<K extends WorkKind>(claim: Claim<K>, completion: Completion<K>, next: HandOnRequest): Promise<Claim | undefined> {
    return this.run('complete', () => completeWorkAndClaim(this.context, claim, completion, next));
  }

  renewLease<K extends WorkKind>(claim: Claim<K>, leaseMs: number): Promise<Claim<K>> {
    return this.run('renew lease', () => queue.renewLease(this.context, claim, leaseMs));
  }

  release<K extends WorkKind>(claim: Claim<K>, options: { readonly delayMs?: number } = {}): Promise<void> {
    return this.run('release', () => queue.release(this.context, claim, options.delayMs ?? 0));
  }

  fail<K extends WorkKind>(claim: Claim<K>, outcome: FailureOutcome<K>): Promise<FailureResult> {
    return this.run('fail', () => queue.fail(this.context, claim, outcome));
  }

  waitForWork(kind: WorkKind, options: { readonly timeoutMs: number; readonly signal?: AbortSignal; readonly state?: string }): Promise<void> {
    return this.waiters.wait(kind, options.timeoutMs, options.signal, options.state);
  }

  listDeadLetters(query: DeadLetterQuery = {}): Promise<DeadLetter[]> {
    return this.run('listDeadLetters', () => deadLetters.listDeadLetters(this.context, query));
  }

  requeueDeadLetter<K extends WorkKind>(kind: K, id: string, action: DeadLetterAction): Promise<WorkStatus<WorkStates[K]>> {
    return this.run('requeueDeadLetter', () => deadLetters.settleDeadLetter(this.context, { kind, id, action, mode: 'requeue' }));
  }

  discardDeadLetter<K extends WorkKind>(kind: K, id: string, action: DeadLetterAction): Promise<WorkStatus<WorkStates[K]>> {
    return this.run('discardDeadLetter', () => deadLetters.settleDeadLetter(this.context, { kind, id, action, mode: 'discard' }));
  }

  recordRiskDecision(decision: RiskDecisionRecord): Promise<RiskDecisionResult> {
    return this.run('recordRiskDecision', () => risk.recordRiskDecision(this.context, decision));
  }

  listActiveReservations(): Promise<ExposureReservation[]> {
    return this.run('listActiveReservations', async () =>
      risk.activeReservations(this.context, this.context.driver, await currentMs(this.context)),
    );
  }

  consumeApprovalAndRecordOrderIntent(approval: RiskApproval, order: Order): Promise<ConsumeApprovalResult> {
    return this.run('consumeApprovalAndRecordOrderIntent', () => risk.consumeApproval(this.context, approval, order));
  }

  getRiskState(): Promise<RiskState> {
    return this.run('getRiskState', () => state.getRiskState(this.context));
  }

  updateRiskState(update: Partial<Omit<RiskState, 'updatedAtMs'>> & { readonly updatedAtMs: number }): Promise<RiskState> {
    return this.run('updateRiskState', () => state.updateRiskState(this.context, update));
  }

  recordEquity(snapshot: EquitySnapshot): Promise<void> {
    return this.run('recordEquity', () => state.recordEquity(this.context, snapshot));
  }

  getDayStartEquity(dayStartMs: number): Promise<EquitySnapshot | undefined> {
    return this.run('getDayStartEquity', () => state.getDayStartEquity(this.context, dayStartMs));
  }

  getOrder(id: string): Promise<Order | undefined> {
    return this.run('getOrder', () => orders.getOrderBy(this.context, 'id', id));
  }

  getOrderByClientOrderId(clientOrderId: string): Promise<Order | undefined> {
    return this.run('getOrderByClientOrderId', () => orders.getOrderBy(this.context, 'client_order_id', clientOrderId));
  }

  listOrders(query: { readonly statuses?: readonly OrderStatus[]; readonly productId?: string; readonly createdSinceMs?: number }): Promise<Order[]> {
    return this.run('listOrders', () => orders.listOrders(this.context, query));
  }

  countOrdersSince(sinceMs: number): Promise<number> {
    return this.run('countOrdersSince', () => orders.countOrdersSince(this.context, sinceMs));
  }

  updateOrder(id: string, update: OrderUpdate): Promise<Order> {
    return this.run('updateOrder', () => orders.updateOrder(this.context, id, update));
  }

  recordFill(fill: Fill, options: FillOptions): Promise<InsertResult> {
    return this.run('recordFill', () => positions.recordFill(this.context, fill, options));
  }

  listFills(orderId: string): Promise<Fill[]> {
    return this.run('listFills', () => positions.listFills(this.context, orderId));
  }

  listPositions(): Promise<Position[]> {
    return this.run('listPositions', () => positions.listPositionsWith(this.context, this.context.driver, true));
  }

  getPosition(productId: string): Promise<Position | undefined> {
    return this.run('getPosition', () => positions.getPosition(this.context, productId));
  }

  listBalances(): Promise<Balance[]> {
    return this.run('listBalances', () => positions.listBalances(this.context));
  }

  putBalances(balances: readonly Balance[]): Promise<void> {
    return this.run('putBalances', () => positions.putBalances(this.context, balances));
  }

  saveCheckpoint(key: string, value: unknown, atMs: number): Promise<void> {
    return this.run('saveCheckpoint', () => state.saveCheckpoint(this.context, key, value, atMs));
  }

  loadCheckpoint(key: string): Promise<{ readonly value: unknown; readonly atMs: number } | undefined> {
    return this.run('loadCheckpoint', () => state.loadCheckpoint(this.context, key));
  }

  recordHealth(report: HealthReport): Promise<void> {
    return this.run('recordHealth', () => state.recordHealth(this.context, report));
  }

  latestHealth(service: string): Promise<HealthReport | undefined> {
    return this.run('latestHealth', () => state.latestHealth(this.context, service));
  }
}
