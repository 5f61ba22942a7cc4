import { checkCandle } from '../candle-check.js';
import type { DeadLetterAction } from '../dead-letters.js';
import { TradepipeError, isTradepipeError } from '../errors.js';
import { createMemoryStore } from '../memory-store.js';
import { parseWith } from '../parse.js';
import { TERMINAL_ORDER_STATUSES, type Balance, type Fill, type Order } from '../records/execution.js';
import type { Candle } from '../records/market.js';
import { ExposureReservationSchema, type ExposureReservation, type RiskApproval, type RiskState } from '../records/risk.js';
import type { RecommendationState, Signal, TradeRecommendation } from '../records/trading.js';
import {
  candleWorkId,
  partitionKeyOf,
  type BulkWrite,
  type CandleState,
  type Claim,
  type Completion,
  type EquitySnapshot,
  type FailureOutcome,
  type FailureResult,
  type InsertResult,
  type FillOptions,
  type OrderUpdate,
  type PipelineStore,
  type RecordWrite,
  type ReplayImport,
  type RiskDecisionRecord,
  type RiskDecisionResult,
  type WorkKind,
} from '../store.js';
import type { Clock } from '../time.js';

/** Where held events are delivered once the records they report are committed (the pipeline's event bus). */
export interface HeldEvents {
  /** Events held so far. */
  heldCount(): number;
  /** Delivers the first `count` events held. */
  deliverHeld(count: number): void;
}

/** The candle starts of each series (`productId/granularity`) the replay covers, both ends included. */
export type ReplayRange = ReadonlyMap<string, { readonly fromStartMs: number; readonly toStartMs: number }>;

/** Reads (and lease renewals) answered by the in-memory store alone: under the precondition the target holds none of their records. */
const MEMORY_CALLS = new Set([
  'nowMs', 'listValidations', 'getRiskAssessment', 'getApproval', 'listDeadLetters', 'listActiveReservations', 'getRiskState',
  'getDayStartEquity', 'getOrder', 'getOrderByClientOrderId', 'listOrders', 'countOrdersSince', 'listFills', 'listPositions',
  'getPosition', 'listBalances', 'getProduct', 'listProducts', 'claim', 'waitForWork', 'renewLease',
]);

/** Calls passed to the target as they are: nothing staged in memory changes their answer. */
const TARGET_CALLS = new Set(['ping', 'loadCheckpoint', 'latestHealth', 'recordHealth']);

const KINDS: readonly WorkKind[] = ['candle', 'signal', 'recommendation'];

const emptySets = (): Record<WorkKind, Set<string>> => ({ candle: new Set(), signal: new Set(), recommendation: new Set() });

/** Quiet records written in bulk and not imported yet. */
interface PendingBulk {
  readonly candles: Map<CandleState, Candle[]>;
  readonly signals: NonNullable<BulkWrite['signals']>[number][];
  readonly recommendations: NonNullable<BulkWrite['recommendations']>[number][];
}

const emptyBulk = (): PendingBulk => ({ candles: new Map(), signals: [], recommendations: [] });

/**
 * The batched replay's write-behind view of an SQL store that holds no trading history yet: the stages run on a
 * core memory store (exactly the store's rules, no round trip), and {@link ReplayStaging.flush} writes what they
 * produced, with the quiet candles written in bulk meanwhile, to the store in one `importReplay` transaction.
 *
 * Exact because of the precondition {@link ReplayStaging.open} checks: the store holds no recommendation, order,
 * fill, approval, reservation, validation, assessment, position, equity snapshot, dead letter or waiting work
 * (`holdsTradingHistory`), no candle or signal in the replay's range; its products, balances and risk state are
 * copied into memory. Reads of those records are answered from memory; reads that also see what was stored
 * before (candles, a signal or status not in memory, signal counts, the recommendation list) are answered by the
 * store after a flush, so the store then holds everything; work counts add the store's counts at the start, the
 * bulk-written items' and memory's. Checkpoints are saved to the store after a flush (never ahead of the candles
 * they cover). Like the replay's other views, it assumes the store is written only through it meanwhile.
 *
 * Events: the pipeline's bus holds them while the view stands; a flush delivers, once its transaction has
 * committed, the events emitted before it began (every one reports a record it wrote). Events of records never
 * committed (a replay that failed) are dropped.
 * @internal
 */
export class ReplayStaging {
  /** The store the stages (through the replay's `ReplayStore`) use. */
  readonly store: PipelineStore;
  private pending = emptyBulk();
  /** Quiet signals written in bulk and not committed yet, by id (a `getSignal` answers them). */
  private pendingSignals = new Map<string, Signal>();
  private importingSignals = new Map<string, Signal>();
  /** Quiet recommendations written in bulk: not imported yet, being imported, imported. */
  private pendingRecommendations = new Set<string>();
  private importingRecommendations = new Set<string>();
  private readonly storedRecommendations = new Set<string>();
  /** Items the stages changed since the last flush, by kind. */
  private touched = emptySets();
  /** Items of the stages the target holds (imported). */
  private readonly stored = emptySets();
  /** Candles the stages put and not imported yet, by work id. */
  private readonly candles = new Map<string, Candle>();
  private readonly deadLetteredFrom = new Map<string, string>();
  private readonly validationIds = new Set<string>();
  private newValidations: { readonly recommendationId: string; readonly id: string }[] = [];
  private readonly assessmentIds = new Set<string>();
  private newAssessments: string[] = [];
  private readonly consumptions = new Map<string, { consumedAtMs?: number; consumedByOrderId?: string }>();
  private touchedApprovals = new Set<string>();
  private readonly reservations = new Map<string, { reservation: ExposureReservation; orderId?: string; releasedAtMs?: number }>();
  private readonly reservationByOrder = new Map<string, string>();
  private touchedReservations = new Set<string>();
  private touchedOrders = new Set<string>();
  private newFills: { readonly orderId: string; readonly id: string }[] = [];
  private touchedPositions = new Set<string>();
  private balancesTouched = false;
  private riskStateTouched = false;
  private newEquity: EquitySnapshot[] = [];
  private touchedProducts = new Set<string>();
  /** Quiet items written in bulk, by `kind/state`. */
  private readonly bulkCounts = new Map<string, number>();
  /**
   * Set when an import failed: what it had collected is lost (its tracking was cleared), so every later call of the
   * view, write, flush or read, throws this and the store stays at its last committed flush.
   */
  private broken: TradepipeError | undefined;
  /** Writes to memory and the collection of a flush take turns (a flush reads a consistent state). */
  private writeTurn: Promise<void> = Promise.resolve();
  private flushTurn: Promise<void> = Promise.resolve();

  private constructor(
    private readonly target: PipelineStore,
    private readonly memory: PipelineStore,
    private readonly clock: Clock,
    private readonly range: ReplayRange,
    private readonly events: HeldEvents,
    /** The target's work counts when the view began (its items never change meanwhile: none waits). */
    private readonly baseCounts: Readonly<Record<WorkKind, Readonly<Record<string, number | undefined>>>>,
    /** The risk state and balances the target holds: read when the view began, then what each import wrote (an import checks them). */
    private expected: { riskState: RiskState; balances: readonly Balance[] },
  ) {
    const own: Record<string, (...args: never[]) => unknown> = {
      putCandles: (candles: readonly Candle[], options?: { readonly state?: CandleState }) => this.putCandles(candles, options),
      writeBulk: (batch: BulkWrite) => this.writeBulk(batch),
      // Not in memory nor waiting for its import: the store holds it (from before, or imported), or nobody does.
      getSignal: async (id: string) => (await memory.getSignal(id)) ?? this.pendingSignals.get(id) ?? this.importingSignals.get(id) ?? target.getSignal(id),
      getCandle: (...args: Parameters<PipelineStore['getCandle']>) =>
        this.memoryOr(memory.getCandle(...args), this.inRange({ productId: args[0], granularity: args[1], startMs: args[2] }) ? 'flush' : 'target', () => target.getCandle(...args)),
      getWorkStatus: (kind: WorkKind, id: string) => this.memoryOr(memory.getWorkStatus(kind, id), this.whereIs(kind, id), () => target.getWorkStatus(kind, id)),
      getRecommendation: (id: string) => this.memoryOr(memory.getRecommendation(id), this.whereIs('recommendation', id), () => target.getRecommendation(id)),
      countByState: (kind: WorkKind) => this.countByState(kind),
      saveCheckpoint: async (key: string, value: unknown, atMs: number) => {
        await this.flush();
        await target.saveCheckpoint(key, value, atMs);
      },
      putProduct: (product: Parameters<PipelineStore['putProduct']>[0]) => this.staged(() => memory.putProduct(product), () => void this.touchedProducts.add(product.productId)),
      insertRecommendation: (record: TradeRecommendation, state: RecommendationState, reason?: string) =>
        this.staged(() => memory.insertRecommendation(record, state, reason), (result) => void (result.status === 'inserted' && this.touched.recommendation.add(record.id))),
      complete: (claim: Claim, completion: Completion) => this.staged(() => memory.complete(claim, completion), () => this.settled(claim, completion.state, completion.writes)),
      fail: (claim: Claim, outcome: FailureOutcome) => this.staged(() => memory.fail(claim, outcome), (result: FailureResult) => this.settled(claim, result.kind === 'terminal' ? outcome.terminalState : claim.state, result.kind === 'terminal' ? outcome.terminalWrites : [])),
      release: (claim: Claim, options?: { readonly delayMs?: number }) => this.staged(() => memory.release(claim, options), () => this.settled(claim, claim.state, [])),
      requeueDeadLetter: (kind: WorkKind, id: string, action: DeadLetterAction) => this.staged(() => memory.requeueDeadLetter(kind, id, action), () => this.moved(kind, id)),
      discardDeadLetter: (kind: WorkKind, id: string, action: DeadLetterAction) => this.staged(() => memory.discardDeadLetter(kind, id, action), () => this.moved(kind, id)),
      recordRiskDecision: (decision: RiskDecisionRecord) => this.staged(() => memory.recordRiskDecision(decision), (result) => this.decided(decision, result)),
      consumeApprovalAndRecordOrderIntent: (approval: RiskApproval, order: Order) => this.consume(approval, order),
      updateOrder: (id: string, update: OrderUpdate) => this.updateOrder(id, update),
      recordFill: (fill: Fill, options: FillOptions) =>
        this.staged(() => memory.recordFill(fill, options), (result: InsertResult) => this.filled(fill, result)),
      putBalances: (balances: Parameters<PipelineStore['putBalances']>[0]) => this.staged(() => memory.putBalances(balances), () => void (this.balancesTouched = true)),
      updateRiskState: (update: Parameters<PipelineStore['updateRiskState']>[0]) => this.staged(() => memory.updateRiskState(update), () => void (this.riskStateTouched = true)),
      recordEquity: (snapshot: EquitySnapshot) => this.staged(() => memory.recordEquity(snapshot), () => void this.newEquity.push({ atMs: snapshot.atMs, equityQuote: snapshot.equityQuote })),
    };
    // Once broken (an import failed), every call throws why.
    const guarded = (call: (...args: unknown[]) => unknown) => (...args: unknown[]): unknown => (this.broken === undefined ? call(...args) : Promise.reject(this.broken));
    const wrap = (store: PipelineStore, property: string, value: (...args: unknown[]) => unknown): ((...args: unknown[]) => unknown) => {
      if (Object.prototype.hasOwnProperty.call(own, property)) return guarded(own[property] as (...args: unknown[]) => unknown);
      if (MEMORY_CALLS.has(property)) {
        const method = Reflect.get(memory, property) as (...args: unknown[]) => unknown;
        return guarded((...args: unknown[]) => method.apply(memory, args));
      }
      if (TARGET_CALLS.has(property)) return guarded((...args: unknown[]) => value.apply(store, args));
      // getCandles, getLatestCandle, countSignalsByAction, listRecommendations, close and anything else: the store, with everything written.
      return guarded(async (...args: unknown[]) => {
        await this.flush();
        return value.apply(store, args);
      });
    };
    // Each method's wrapper, made once per method the store gives (the stages call the store several times a candle).
    const wrappers = new Map<string, { readonly value: unknown; readonly wrapper: (...args: unknown[]) => unknown }>();
    this.store = new Proxy(target, {
      get: (store, property) => {
        const value: unknown = Reflect.get(store, property);
        if (typeof value !== 'function') return value;
        if (typeof property !== 'string') return (value as (...args: unknown[]) => unknown).bind(store);
        const known = wrappers.get(property);
        if (known !== undefined && known.value === value) return known.wrapper;
        const wrapper = wrap(store, property, value as (...args: unknown[]) => unknown);
        wrappers.set(property, { value, wrapper });
        return wrapper;
      },
    });
  }

  /**
   * The view, if `target` can take it: it imports replays and holds no trading history. Copies the target's
   * products, balances and risk state into memory and reads its work counts.
   * @param input.range the candles the replay covers (the target holds none of them, nor their signals)
   * @param input.events where held events go (the pipeline's bus, holding from now on)
   * @returns the view, or `undefined` when the replay must write to the store directly
   */
  static async open(input: { readonly target: PipelineStore; readonly clock: Clock; readonly range: ReplayRange; readonly events: HeldEvents }): Promise<ReplayStaging | undefined> {
    const { target } = input;
    if (target.importReplay === undefined || target.holdsTradingHistory === undefined || (await target.holdsTradingHistory())) return undefined;
    const memory = createMemoryStore({ clock: input.clock });
    for (const product of await target.listProducts()) await memory.putProduct(product);
    const balances = await target.listBalances();
    if (balances.length > 0) await memory.putBalances(balances);
    const riskState: RiskState = await target.getRiskState();
    await memory.updateRiskState(riskState);
    // Without trading history the store holds no recommendation: only candles and signals are counted.
    const baseCounts = { candle: await target.countByState('candle'), signal: await target.countByState('signal'), recommendation: {} };
    return new ReplayStaging(target, memory, input.clock, input.range, input.events, baseCounts, { riskState, balances });
  }

  /**
   * Writes everything staged since the last flush to the store in one transaction (`importReplay`), then delivers
   * the events emitted before the flush began. Flushes run one after the other. An import fails (nothing of it
   * written) on any error, and when the store's risk state or balances are not what the view last knew (an operator
   * engaged the kill switch, a balance sync ran: `record_conflict`); the view is then broken: this flush, every
   * later one and every later call of {@link ReplayStaging.store} throw the same error, and the events held are
   * never delivered (the replay drops them), so the replay fails and the store keeps its last committed flush.
   * @throws TradepipeError with the import's code (`storage_failed` for an untyped error), the import's error as its cause, not retryable
   */
  flush(): Promise<void> {
    const run = this.flushTurn.then(() => this.flushOnce());
    this.flushTurn = run.catch(() => undefined);
    return run;
  }

  private async flushOnce(): Promise<void> {
    if (this.broken !== undefined) throw this.broken;
    const collected = await this.turn(() => this.collect());
    if (collected.batch === undefined) {
      // The count was taken in collect's turn: an event emitted since reports a write not collected yet.
      this.events.deliverHeld(collected.events);
      return;
    }
    const { batch, events, committed } = collected;
    try {
      await this.target.importReplay!({ ...batch, expected: this.expected });
    } catch (error) {
      this.broken = new TradepipeError(
        isTradepipeError(error) ? error.code : 'storage_failed',
        'A batched replay failed to write its records to the store: the replay stops, the store keeps what its last write committed',
        // Not retryable whatever the cause: the replay stops (a re-run starts from the last committed write).
        { cause: error, retryable: false, details: { ...(isTradepipeError(error) ? error.details : {}), operation: 'importReplay' } },
      );
      throw this.broken;
    }
    this.expected = { riskState: batch.riskState ?? this.expected.riskState, balances: batch.balances.length > 0 ? batch.balances : this.expected.balances };
    committed();
    this.events.deliverHeld(events);
  }

  /** Runs `work` when no other write or collection is under way. */
  private async turn<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.writeTurn;
    let done!: () => void;
    this.writeTurn = new Promise<void>((resolve) => (done = resolve));
    await previous;
    try {
      if (this.broken !== undefined) throw this.broken;
      return await work();
    } finally {
      done();
    }
  }

  /** A write to memory, then `track` with its result, in one turn. */
  private staged<T>(write: () => Promise<T>, track: (result: T) => void): Promise<T> {
    return this.turn(async () => {
      const result = await write();
      track(result);
      return result;
    });
  }

  /**
   * Memory's answer, else the store's: after a flush (`flush`: the item may wait for its import), at once
   * (`target`: the store holds it from before, imported, or nobody does), or none (`absent`: nobody holds it).
   */
  private async memoryOr<T>(fromMemory: Promise<T | undefined>, where: 'flush' | 'target' | 'absent', fromTarget: () => Promise<T | undefined>): Promise<T | undefined> {
    const found = await fromMemory;
    if (found !== undefined || where === 'absent') return found;
    if (where === 'flush') await this.flush();
    return fromTarget();
  }

  /**
   * Where an item not in memory may be (see {@link ReplayStaging.memoryOr}). A recommendation not in memory is one
   * written in bulk or none: the store held none when the view began.
   */
  private whereIs(kind: WorkKind, id: string): 'flush' | 'target' | 'absent' {
    if (kind === 'signal') return this.pendingSignals.has(id) || this.importingSignals.has(id) ? 'flush' : 'target';
    if (kind === 'recommendation') {
      if (this.pendingRecommendations.has(id) || this.importingRecommendations.has(id)) return 'flush';
      return this.storedRecommendations.has(id) ? 'target' : 'absent';
    }
    const [productId, granularity, startMs] = id.split('/');
    return this.inRange({ productId: productId ?? '', granularity: (granularity ?? '') as Candle['granularity'], startMs: Number(startMs) }) ? 'flush' : 'target';
  }

  private inRange(candle: Pick<Candle, 'productId' | 'granularity' | 'startMs'>): boolean {
    const range = this.range.get(partitionKeyOf(candle));
    return range !== undefined && candle.startMs >= range.fromStartMs && candle.startMs <= range.toStartMs;
  }

  private async putCandles(candles: readonly Candle[], options?: { readonly state?: CandleState }): ReturnType<PipelineStore['putCandles']> {
    if (!candles.every((candle) => this.inRange(candle))) {
      await this.flush();
      return this.target.putCandles(candles, options);
    }
    return this.turn(async () => {
      const result = await this.memory.putCandles(candles, options);
      const refused = new Set(result.conflicts.map((conflict) => candleWorkId(conflict)));
      for (const candle of candles) {
        const id = candleWorkId(candle);
        if (refused.has(id) || this.candles.has(id) || this.stored.candle.has(id)) continue;
        this.candles.set(id, checkCandle(candle));
        this.touched.candle.add(id);
      }
      return result;
    });
  }

  private async writeBulk(batch: BulkWrite): Promise<void> {
    if (!(batch.candles ?? []).every((candle) => this.inRange(candle))) {
      await this.flush();
      return this.target.writeBulk(batch);
    }
    await this.turn(async () => {
      const candles = batch.candles ?? [];
      const state = batch.candleState ?? 'DONE';
      if (candles.length > 0) {
        const list = this.pending.candles.get(state);
        if (list === undefined) this.pending.candles.set(state, [...candles]);
        else for (const candle of candles) list.push(candle);
        this.bulkCounted('candle', state, candles.length);
      }
      for (const signal of batch.signals ?? []) {
        this.pending.signals.push(signal);
        this.pendingSignals.set(signal.record.id, signal.record);
        this.bulkCounted('signal', signal.state, 1);
      }
      for (const recommendation of batch.recommendations ?? []) {
        this.pending.recommendations.push(recommendation);
        this.pendingRecommendations.add(recommendation.record.id);
        this.bulkCounted('recommendation', recommendation.state, 1);
      }
    });
  }

  private bulkCounted(kind: WorkKind, state: string, count: number): void {
    const key = `${kind}/${state}`;
    this.bulkCounts.set(key, (this.bulkCounts.get(key) ?? 0) + count);
  }

  private async countByState(kind: WorkKind): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const add = (state: string, count: number | undefined): void => {
      if ((count ?? 0) > 0) counts[state] = (counts[state] ?? 0) + count!;
    };
    for (const [state, count] of Object.entries(this.baseCounts[kind])) add(state, count);
    for (const [state, count] of Object.entries(await this.memory.countByState(kind))) add(state, count as number | undefined);
    for (const [key, count] of this.bulkCounts) if (key.startsWith(`${kind}/`)) add(key.slice(kind.length + 1), count);
    return counts;
  }

  /** A claimed item moved to `state` with `writes`. */
  private settled(claim: Claim, state: string, writes: readonly RecordWrite[] | undefined): void {
    const key = `${claim.kind}/${claim.id}`;
    if (state !== 'DEAD_LETTER') this.deadLetteredFrom.delete(key);
    else if (claim.state !== 'DEAD_LETTER') this.deadLetteredFrom.set(key, claim.state);
    this.touched[claim.kind].add(claim.id);
    for (const write of writes ?? []) {
      if (write.type === 'signal') this.touched.signal.add(write.record.id);
      else if (write.type === 'recommendation') this.touched.recommendation.add(write.record.id);
      else if (write.type === 'validation') {
        if (this.validationIds.has(write.record.id)) continue;
        this.validationIds.add(write.record.id);
        this.newValidations.push({ recommendationId: write.record.recommendationId, id: write.record.id });
      } else this.assessed(write.record.recommendationId);
    }
  }

  private moved(kind: WorkKind, id: string): void {
    this.deadLetteredFrom.delete(`${kind}/${id}`);
    this.touched[kind].add(id);
  }

  private assessed(recommendationId: string): void {
    if (this.assessmentIds.has(recommendationId)) return;
    this.assessmentIds.add(recommendationId);
    this.newAssessments.push(recommendationId);
  }

  private decided(decision: RiskDecisionRecord, result: RiskDecisionResult): void {
    if (result.status !== 'recorded') return;
    this.assessed(result.assessment.recommendationId);
    if (result.approval === undefined) return;
    this.consumptions.set(result.approval.recommendationId, {});
    this.touchedApprovals.add(result.approval.recommendationId);
    const reservation = parseWith(ExposureReservationSchema, decision.reservation, 'exposure reservation');
    this.reservations.set(reservation.approvalId, { reservation });
    this.touchedReservations.add(reservation.approvalId);
  }

  private consume(approval: RiskApproval, order: Order): ReturnType<PipelineStore['consumeApprovalAndRecordOrderIntent']> {
    return this.turn(async () => {
      // The time the SQL store records the consumption at: its now when the call is made (the same clock).
      const consumedAtMs = this.clock.nowMs();
      const result = await this.memory.consumeApprovalAndRecordOrderIntent(approval, order);
      this.consumptions.set(approval.recommendationId, { consumedAtMs, consumedByOrderId: result.order.id });
      this.touchedApprovals.add(approval.recommendationId);
      this.touchedOrders.add(result.order.id);
      const held = this.reservations.get(approval.id);
      if (held !== undefined) {
        held.orderId = result.order.id;
        this.reservationByOrder.set(result.order.id, approval.id);
        this.touchedReservations.add(approval.id);
      }
      return result;
    });
  }

  private updateOrder(id: string, update: OrderUpdate): Promise<Order> {
    return this.turn(async () => {
      const before = await this.memory.getOrder(id);
      const order = await this.memory.updateOrder(id, update);
      this.touchedOrders.add(id);
      // An update applied (not a repeat of a terminal status) that ends the order releases its reservation, as the SQL store does.
      const approvalId = this.reservationByOrder.get(id);
      const held = approvalId === undefined ? undefined : this.reservations.get(approvalId);
      if (held !== undefined && held.releasedAtMs === undefined && order !== before && TERMINAL_ORDER_STATUSES.includes(order.status)) {
        held.releasedAtMs = this.clock.nowMs();
        this.touchedReservations.add(approvalId!);
      }
      return order;
    });
  }

  private filled(fill: Fill, result: InsertResult): void {
    if (result.status !== 'inserted') return;
    this.newFills.push({ orderId: fill.orderId, id: fill.id });
    this.touchedPositions.add(fill.productId);
    this.balancesTouched = true;
  }

  /** What the next import writes, read from memory in one turn (no `batch` when nothing is staged), and how many events were held when it began. */
  private async collect(): Promise<{ batch: ReplayImport; events: number; committed: () => void } | { batch?: undefined; events: number }> {
    const events = this.events.heldCount();
    const touched = this.touched;
    const pending = this.pending;
    const nothing =
      KINDS.every((kind) => touched[kind].size === 0) && pending.candles.size === 0 && pending.signals.length === 0 && pending.recommendations.length === 0 &&
      this.newValidations.length + this.newAssessments.length + this.touchedApprovals.size + this.touchedReservations.size + this.touchedOrders.size === 0 &&
      this.newFills.length + this.touchedPositions.size + this.newEquity.length + this.touchedProducts.size === 0 && !this.balancesTouched && !this.riskStateTouched;
    if (nothing) return { events };
    this.touched = emptySets();
    this.pending = emptyBulk();
    this.importingSignals = this.pendingSignals;
    this.pendingSignals = new Map();
    this.importingRecommendations = this.pendingRecommendations;
    this.pendingRecommendations = new Set();
    const memory = this.memory;
    const inserts = await this.inserts(touched, pending);
    const statuses: ReplayImport['statuses'][number][] = [];
    for (const kind of KINDS) {
      for (const id of touched[kind]) {
        const status = await memory.getWorkStatus(kind, id);
        if (status === undefined) continue;
        const from = this.deadLetteredFrom.get(`${kind}/${id}`);
        statuses.push(from === undefined || status.state !== 'DEAD_LETTER' ? { kind, id, status } : { kind, id, status, deadLetteredFrom: from });
      }
    }
    const defined = <T>(list: readonly (T | undefined)[]): T[] => list.filter((item): item is T => item !== undefined);
    const validations = defined(await Promise.all(this.newValidations.map(async ({ recommendationId, id }) => (await memory.listValidations(recommendationId)).find((validation) => validation.id === id))));
    const assessments = defined(await Promise.all(this.newAssessments.map((id) => memory.getRiskAssessment(id))));
    const approvals = defined(
      await Promise.all([...this.touchedApprovals].map(async (id) => {
        const approval = await memory.getApproval(id);
        return approval === undefined ? undefined : { approval, ...this.consumptions.get(id) };
      })),
    );
    const reservations = defined([...this.touchedReservations].map((id) => this.reservations.get(id))).map((held) => ({ ...held }));
    const orders = defined(await Promise.all([...this.touchedOrders].map((id) => memory.getOrder(id))));
    const fills = defined(await Promise.all(this.newFills.map(async ({ orderId, id }) => (await memory.listFills(orderId)).find((fill) => fill.id === id))));
    const positions = defined(await Promise.all([...this.touchedPositions].map((id) => memory.getPosition(id))));
    const products = defined(await Promise.all([...this.touchedProducts].map((id) => memory.getProduct(id))));
    const batch: ReplayImport = {
      inserts, statuses, validations, assessments, approvals, reservations, orders, fills, positions, products,
      balances: this.balancesTouched ? await memory.listBalances() : [],
      ...(this.riskStateTouched ? { riskState: await memory.getRiskState() } : {}),
      equity: this.newEquity,
    };
    this.newValidations = [];
    this.newAssessments = [];
    this.touchedApprovals = new Set();
    this.touchedReservations = new Set();
    this.touchedOrders = new Set();
    this.newFills = [];
    this.touchedPositions = new Set();
    this.touchedProducts = new Set();
    this.balancesTouched = false;
    this.riskStateTouched = false;
    this.newEquity = [];
    const insertedCandles = inserts.flatMap((write) => write.candles ?? []).map((candle) => candleWorkId(candle)).filter((id) => this.candles.has(id));
    const committed = (): void => {
      for (const id of insertedCandles) {
        this.candles.delete(id);
        this.stored.candle.add(id);
      }
      for (const write of inserts) {
        for (const signal of write.signals ?? []) this.stored.signal.add(signal.record.id);
        for (const recommendation of write.recommendations ?? []) this.stored.recommendation.add(recommendation.record.id);
      }
      this.importingSignals = new Map();
      for (const id of this.importingRecommendations) this.storedRecommendations.add(id);
      this.importingRecommendations = new Set();
    };
    return { batch, events, committed };
  }

  /** The bulk writes of an import: the quiet records, and the stages' new candles, signals and recommendations (their bookkeeping follows as statuses). */
  private async inserts(touched: Record<WorkKind, Set<string>>, pending: PendingBulk): Promise<BulkWrite[]> {
    const candles: Candle[] = [...(pending.candles.get('DONE') ?? [])];
    for (const id of touched.candle) {
      const candle = this.candles.get(id);
      if (candle !== undefined) candles.push(candle);
    }
    const signals = [...pending.signals];
    for (const id of touched.signal) {
      if (this.stored.signal.has(id)) continue;
      const record = await this.memory.getSignal(id);
      const status = await this.memory.getWorkStatus('signal', id);
      if (record === undefined || status === undefined) continue;
      signals.push(status.reason === undefined ? { record, state: status.state } : { record, state: status.state, reason: status.reason });
    }
    const recommendations = [...pending.recommendations];
    for (const id of touched.recommendation) {
      if (this.stored.recommendation.has(id)) continue;
      const stored = await this.memory.getRecommendation(id);
      if (stored === undefined) continue;
      const { record, status } = stored;
      recommendations.push(status.reason === undefined ? { record, state: status.state } : { record, state: status.state, reason: status.reason });
    }
    const writes: BulkWrite[] = [{ candles, candleState: 'DONE', signals, recommendations }];
    for (const [state, list] of pending.candles) if (state !== 'DONE') writes.push({ candles: list, candleState: state });
    return writes;
  }
}
