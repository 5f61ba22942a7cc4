import { checkCandle } from '../candle-check.js';
import { candleWorkId, partitionKeyOf, type Claim, type ClaimRequest, type Completion, type FailureOutcome, type FailureResult, type PipelineStore, type RecordWrite, type WorkKind } from '../store.js';
import type { Candle } from '../records/market.js';
import { GRANULARITIES, type Granularity } from '../time.js';
import type { BulkWrite, CandleQuery, InsertResult, PutCandlesResult } from '../store.js';
import type { TradeRecommendation, RecommendationState } from '../records/trading.js';

/** Far beyond any candle: "every stored candle" as an `asOfMs` (the last valid epoch ms). */
const END_OF_TIME_MS = 8.64e15;

/** What a cached read depends on: the writes that change it (see {@link WRITES}). */
type ReadGroup = 'products' | 'positions' | 'balances' | 'riskState' | 'orders' | 'signals' | 'recommendations';

const ALL_GROUPS: readonly ReadGroup[] = ['products', 'positions', 'balances', 'riskState', 'orders', 'signals', 'recommendations'];

/**
 * Store methods that change nothing the replay store keeps (no candle, no work item, no cached read), with the
 * cached reads each one changes. Any method not named here nor handled by {@link ReplayStore} itself is
 * treated as changing everything.
 */
const WRITES: Readonly<Record<string, readonly ReadGroup[]>> = {
  recordRiskDecision: [],
  consumeApprovalAndRecordOrderIntent: ['orders'],
  updateOrder: ['orders'],
  recordFill: ['orders', 'positions', 'balances'],
  putBalances: ['balances'],
  updateRiskState: ['riskState'],
  putProduct: ['products'],
  recordEquity: [],
  saveCheckpoint: [],
  recordHealth: [],
  renewLease: [],
};

/** What a queue write (completion, failure, release) of an item of `kind` can change: the item's status (a recommendation's is read with it) and the records it writes. */
function queueGroups(kind: WorkKind, writes: readonly RecordWrite[]): ReadGroup[] {
  const groups: ReadGroup[] = [];
  if (kind === 'recommendation' || writes.some((write) => write.type === 'recommendation')) groups.push('recommendations');
  if (writes.some((write) => write.type === 'signal')) groups.push('signals');
  return groups;
}

/** Store methods that only read (or wait), passed through untouched. */
const READS = new Set([
  'nowMs', 'ping', 'getLatestCandle', 'listProducts', 'countSignalsByAction', 'listRecommendations',
  'listValidations', 'getRiskAssessment', 'getApproval', 'getWorkStatus', 'countByState', 'waitForWork', 'listDeadLetters',
  'listActiveReservations', 'getDayStartEquity', 'countOrdersSince', 'listFills',
  'loadCheckpoint', 'latestHealth',
]);

/** Whether `candles` are one series, strictly increasing, all after the last of `window` (same series). */
function isRunAfter(window: readonly Candle[], candles: readonly Candle[]): boolean {
  const first = candles[0]!;
  let previousStartMs = window.length === 0 ? Number.NEGATIVE_INFINITY : window[window.length - 1]!.startMs;
  for (const candle of candles) {
    if (candle.startMs <= previousStartMs || candle.productId !== first.productId || candle.granularity !== first.granularity) return false;
    previousStartMs = candle.startMs;
  }
  return true;
}

/** A series' stored candles from `coverFromMs` on, every one of them, oldest first. */
interface SeriesCandles {
  readonly candles: Candle[];
  /** Every stored candle of the series starting at or after this is in `candles` (`-Infinity`: the whole series). */
  coverFromMs: number;
}

/**
 * The store as the batched replay's stages see it while the replay owns the store (nothing else writes it
 * meanwhile, as the batched replay already assumes): every call goes to the replay's store, except reads the
 * replay store can answer exactly from what it has seen, which cost a full-path candle most of its round trips:
 * - candles: each series' last `windowCandles` stored candles are read once, and every candle written through
 *   this store is added, so `getCandles` and `getCandle` within them are answered in memory (a stored candle
 *   never changes: first write wins);
 * - products, positions, balances, the risk state and the open orders: read once and kept until a write that
 *   can change them (`recordFill`, `updateRiskState`, …) passes through;
 * - claims: the number of items in each state is counted from one `countByState` and every write that moves
 *   an item (puts, bulk writes, completions, terminal failures, inserts); a claim in a state that holds no item
 *   is answered empty without asking the store. Counts only err upwards (a duplicate write counts), so an
 *   answered claim is always the store's answer.
 * A method the replay store does not know turns all of this off until {@link ReplayStore.resync}.
 * @internal
 */
export class ReplayStore {
  /** The store the stages use during the replay. */
  readonly store: PipelineStore;
  private readonly series = new Map<string, SeriesCandles>();
  /** Cached reads by group, then by what was asked (a value may be `undefined`: `has` tells). */
  private readonly reads = new Map<ReadGroup, Map<string, unknown>>();
  /** Writes in flight or done per group since a read began: a read caches only when none touched its group. */
  private readonly generations = new Map<ReadGroup, number>();
  private readonly inFlight = new Map<ReadGroup, number>();
  /** Items per `kind/state`, an upper bound; `undefined` when unknown. */
  private counts: Map<string, number> | undefined;
  /** The state a candle was completed or failed into through this store, by work id, until taken. */
  private readonly candleStates = new Map<string, string>();
  /** Candle writes begun, and those under way: a series' window is kept only if none overlapped its read. */
  private candleWritesBegun = 0;
  private candleWritesInFlight = 0;

  /**
   * @param target the store the replay writes
   * @param windowCandles candles kept per series (reads asking for more go to the store)
   */
  constructor(
    private readonly target: PipelineStore,
    private readonly windowCandles: number,
  ) {
    const own: Record<string, (...args: never[]) => unknown> = {
      putCandles: (candles: readonly Candle[], options?: { readonly state?: string }) => this.putCandles(candles, options),
      writeBulk: (batch: BulkWrite) => this.writeBulk(batch),
      getCandles: (query: CandleQuery) => this.getCandles(query),
      getCandle: (productId: string, granularity: Granularity, startMs: number) => this.getCandle(productId, granularity, startMs),
      getProduct: (productId: string) => this.cachedRead('products', productId, () => target.getProduct(productId)),
      getPosition: (productId: string) => this.cachedRead('positions', productId, () => target.getPosition(productId)),
      listPositions: () => this.cachedRead('positions', '*', () => target.listPositions()),
      listBalances: () => this.cachedRead('balances', '*', () => target.listBalances()),
      getRiskState: () => this.cachedRead('riskState', '*', () => target.getRiskState()),
      listOrders: (query: Parameters<PipelineStore['listOrders']>[0]) => this.cachedRead('orders', `list ${JSON.stringify(query)}`, () => target.listOrders(query)),
      getOrder: (id: string) => this.cachedRead('orders', `id ${id}`, () => target.getOrder(id)),
      getOrderByClientOrderId: (id: string) => this.cachedRead('orders', `client ${id}`, () => target.getOrderByClientOrderId(id)),
      // A signal never changes once written; a recommendation's status changes only by the queue writes below.
      getSignal: (id: string) => this.cachedRead('signals', id, () => target.getSignal(id)),
      getRecommendation: (id: string) => this.cachedRead('recommendations', id, () => target.getRecommendation(id)),
      release: (claim: Claim, options?: { readonly delayMs?: number }) => this.write(queueGroups(claim.kind, []), () => target.release(claim, options)),
      claim: (request: ClaimRequest) => this.claim(request),
      complete: (claim: Claim, completion: Completion) => this.complete(claim, completion),
      fail: (claim: Claim, outcome: FailureOutcome) => this.fail(claim, outcome),
      insertRecommendation: (record: TradeRecommendation, state: RecommendationState, reason?: string) => this.insertRecommendation(record, state, reason),
    };
    const wrap = (store: PipelineStore, property: string, method: (...args: unknown[]) => unknown): ((...args: unknown[]) => unknown) => {
      if (READS.has(property)) return (...args: unknown[]) => method.apply(store, args);
      const groups = Object.prototype.hasOwnProperty.call(WRITES, property) ? WRITES[property] : undefined;
      if (groups === undefined) return (...args: unknown[]) => this.unknownWrite(() => method.apply(store, args) as Promise<unknown>);
      return (...args: unknown[]) => this.write(groups, () => method.apply(store, args) as Promise<unknown>);
    };
    // Each method's wrapper, made once per method the store gives (the stages call the store several times a candle).
    const wrappers = new Map<string, { readonly value: unknown; readonly wrapper: (...args: unknown[]) => unknown }>();
    this.store = new Proxy(target, {
      get: (store, property) => {
        // Read on the store itself (its getters may use private fields), methods called on it too.
        const value: unknown = Reflect.get(store, property);
        if (typeof value !== 'function') return value;
        if (typeof property !== 'string') return (value as (...args: unknown[]) => unknown).bind(store);
        if (Object.prototype.hasOwnProperty.call(own, property)) return own[property];
        const known = wrappers.get(property);
        if (known !== undefined && known.value === value) return known.wrapper;
        const wrapper = wrap(store, property, value as (...args: unknown[]) => unknown);
        wrappers.set(property, { value, wrapper });
        return wrapper;
      },
    });
  }

  /** Reads how many items each state holds (three `countByState`): claims can be answered again. */
  async resync(): Promise<void> {
    const counts = new Map<string, number>();
    for (const kind of ['candle', 'signal', 'recommendation'] as const) {
      for (const [state, count] of Object.entries(await this.target.countByState(kind))) counts.set(`${kind}/${state}`, count ?? 0);
    }
    this.counts = counts;
  }

  /** Whether any candle or signal waits for its stage, or any recommendation has not ended; `undefined` when the counts are unknown. */
  workWaiting(terminalRecommendationStates: readonly string[]): boolean | undefined {
    if (this.counts === undefined) return undefined;
    for (const [key, count] of this.counts) {
      if (count <= 0) continue;
      const [kind, state] = key.split('/') as [WorkKind, string];
      if (kind === 'recommendation' ? !terminalRecommendationStates.includes(state) : state === 'PENDING') return true;
    }
    return false;
  }

  /**
   * Records that no signal `id` is stored (the replay knows: none was stored in its range when it began, and
   * every signal written since passed through here), so `getSignal(id)` is answered without the store.
   */
  signalAbsent(id: string): void {
    if ((this.inFlight.get('signals') ?? 0) > 0) return;
    const cached = this.reads.get('signals') ?? new Map<string, unknown>();
    cached.set(id, undefined);
    this.reads.set('signals', cached);
  }

  /** The state the stages left a candle in through this store (completed or failed), once; `undefined` when they did not. */
  takeCandleState(candle: Pick<Candle, 'productId' | 'granularity' | 'startMs'>): string | undefined {
    const id = candleWorkId(candle);
    const state = this.candleStates.get(id);
    this.candleStates.delete(id);
    return state;
  }

  private count(kind: WorkKind, state: string, delta: number): void {
    if (this.counts === undefined) return;
    const key = `${kind}/${state}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + delta);
  }

  /** Counts items by state, one count per run of the same state (a bulk write's thousands of signals share one or two). */
  private countStates(kind: WorkKind, items: readonly { readonly state: string }[] | undefined): void {
    if (items === undefined || items.length === 0) return;
    let state = items[0]!.state;
    let run = 0;
    for (let index = 0; index < items.length; index += 1) {
      const itemState = items[index]!.state;
      if (itemState !== state) {
        this.count(kind, state, run);
        state = itemState;
        run = 0;
      }
      run += 1;
    }
    this.count(kind, state, run);
  }

  private countWrites(writes: readonly RecordWrite[] | undefined): void {
    for (const write of writes ?? []) {
      if (write.type === 'signal') this.count('signal', 'PENDING', 1);
      if (write.type === 'recommendation') this.count('recommendation', write.state, 1);
    }
  }

  private async claim(request: ClaimRequest): Promise<Claim[]> {
    // No item in the state: the store's answer is empty too.
    if (this.counts !== undefined && (this.counts.get(`${request.kind}/${request.state}`) ?? 0) <= 0) return [];
    return this.target.claim(request);
  }

  private async complete(claim: Claim, completion: Completion): Promise<void> {
    this.count(claim.kind, completion.state, 1);
    this.countWrites(completion.writes);
    await this.write(queueGroups(claim.kind, completion.writes ?? []), () => this.target.complete(claim, completion));
    this.count(claim.kind, claim.state, -1);
    if (claim.kind === 'candle') this.candleStates.set(claim.id, completion.state);
  }

  private async fail(claim: Claim, outcome: FailureOutcome): Promise<FailureResult> {
    this.count(claim.kind, outcome.terminalState, 1);
    this.countWrites(outcome.terminalWrites);
    const result = await this.write(queueGroups(claim.kind, outcome.terminalWrites ?? []), () => this.target.fail(claim, outcome));
    if (result.kind === 'terminal') this.count(claim.kind, claim.state, -1);
    if (claim.kind === 'candle') this.candleStates.set(claim.id, result.kind === 'terminal' ? outcome.terminalState : claim.state);
    return result;
  }

  private async insertRecommendation(record: TradeRecommendation, state: RecommendationState, reason?: string): Promise<InsertResult> {
    this.count('recommendation', state, 1);
    const result = await this.write(['recommendations'], () => this.target.insertRecommendation(record, state, reason));
    if (result.status === 'duplicate') this.count('recommendation', state, -1);
    return result;
  }

  private async putCandles(candles: readonly Candle[], options?: { readonly state?: string }): Promise<PutCandlesResult> {
    this.count('candle', options?.state ?? 'PENDING', candles.length);
    const result = await this.candleWrite(() => this.target.putCandles(candles, options as Parameters<PipelineStore['putCandles']>[1]));
    this.count('candle', options?.state ?? 'PENDING', result.inserted - candles.length);
    const refused = new Set(result.conflicts.map((conflict) => candleWorkId(conflict)));
    for (const candle of candles) {
      if (!refused.has(candleWorkId(candle))) this.addCandle(checkCandle(candle));
    }
    return result;
  }

  private async writeBulk(batch: BulkWrite): Promise<void> {
    const candles = batch.candles ?? [];
    this.count('candle', batch.candleState ?? 'DONE', candles.length);
    this.countStates('signal', batch.signals);
    this.countStates('recommendation', batch.recommendations);
    const groups: ReadGroup[] = [...((batch.signals ?? []).length > 0 ? ['signals' as const] : []), ...((batch.recommendations ?? []).length > 0 ? ['recommendations' as const] : [])];
    await this.candleWrite(() => this.write(groups, () => this.target.writeBulk(batch)));
    // Written as a whole (a conflict refuses everything): each candle is stored with these values.
    this.addCandles(candles);
  }

  /**
   * Candles written as a whole into their series' windows. A run of one series, strictly increasing and after its
   * window's last candle (the batched replay's quiet writes, thousands at a time), keeps only what the window can
   * hold without a per-candle insert; anything else goes candle by candle.
   */
  private addCandles(candles: readonly Candle[]): void {
    const first = candles[0];
    if (first === undefined) return;
    const series = this.series.get(partitionKeyOf(first));
    if (series !== undefined && candles.length > 1 && first.startMs >= series.coverFromMs && isRunAfter(series.candles, candles)) {
      const kept = series.candles;
      const overflow = kept.length + candles.length - this.windowCandles;
      if (overflow > 0 && kept.length + candles.length > 2 * this.windowCandles) {
        // As candle-by-candle inserts would leave it at some point: the last `windowCandles`, covering from the first of them.
        const fromBatch = Math.min(candles.length, this.windowCandles);
        kept.splice(0, kept.length - (this.windowCandles - fromBatch));
        for (let index = candles.length - fromBatch; index < candles.length; index += 1) kept.push(checkCandle(candles[index]!));
        series.coverFromMs = kept[0]!.startMs;
        return;
      }
      for (const candle of candles) kept.push(checkCandle(candle));
      return;
    }
    for (const candle of candles) this.addCandle(checkCandle(candle));
  }

  private async candleWrite<T>(run: () => Promise<T>): Promise<T> {
    this.candleWritesBegun += 1;
    this.candleWritesInFlight += 1;
    try {
      return await run();
    } finally {
      this.candleWritesInFlight -= 1;
    }
  }

  /** A stored candle into its series' window, if the series is loaded and the candle within its cover. */
  private addCandle(candle: Candle): void {
    const series = this.series.get(partitionKeyOf(candle));
    if (series === undefined || candle.startMs < series.coverFromMs) return;
    const { candles } = series;
    let index = candles.length;
    while (index > 0 && candles[index - 1]!.startMs >= candle.startMs) index -= 1;
    if (candles[index]?.startMs === candle.startMs) return; // already stored: first write wins
    candles.splice(index, 0, candle);
    if (candles.length > 2 * this.windowCandles) {
      candles.splice(0, candles.length - this.windowCandles);
      series.coverFromMs = candles[0]!.startMs;
    }
  }

  /** A series' window, read from the store the first time (its last `windowCandles` stored candles). */
  private async seriesOf(productId: string, granularity: Granularity): Promise<SeriesCandles> {
    const key = `${productId}/${granularity}`;
    const known = this.series.get(key);
    if (known !== undefined) return known;
    const begun = this.candleWritesBegun;
    const candles = await this.target.getCandles({ productId, granularity, asOfMs: END_OF_TIME_MS, limit: this.windowCandles });
    const series = { candles, coverFromMs: candles.length < this.windowCandles ? Number.NEGATIVE_INFINITY : candles[0]!.startMs };
    // A candle write overlapped the read (it may or may not be in it): used once, read again next time.
    if (this.series.has(key) || this.candleWritesInFlight > 0 || this.candleWritesBegun !== begun) return this.series.get(key) ?? series;
    this.series.set(key, series);
    return series;
  }

  private async getCandles(query: CandleQuery): Promise<Candle[]> {
    const plain = Number.isSafeInteger(query.asOfMs) && (query.limit === undefined || Number.isSafeInteger(query.limit)) && (query.fromStartMs === undefined || Number.isSafeInteger(query.fromStartMs));
    if (!Object.prototype.hasOwnProperty.call(GRANULARITIES, query.granularity) || !plain) return this.target.getCandles(query);
    const series = await this.seriesOf(query.productId, query.granularity);
    const lastStartMs = query.asOfMs - GRANULARITIES[query.granularity];
    const fromStartMs = query.fromStartMs ?? Number.NEGATIVE_INFINITY;
    const { candles } = series;
    let end = candles.length;
    while (end > 0 && candles[end - 1]!.startMs > lastStartMs) end -= 1;
    let begin = end;
    const limit = query.limit === undefined ? Number.POSITIVE_INFINITY : Math.max(0, query.limit);
    while (begin > 0 && end - begin < limit && candles[begin - 1]!.startMs >= fromStartMs) begin -= 1;
    // Exact when the answer stops inside the cover: at the limit, at `fromStartMs`, or at the series' start.
    const complete = end - begin >= limit || fromStartMs >= series.coverFromMs || begin > 0;
    return complete ? candles.slice(begin, end) : this.target.getCandles(query);
  }

  private async getCandle(productId: string, granularity: Granularity, startMs: number): Promise<Candle | undefined> {
    if (!Object.prototype.hasOwnProperty.call(GRANULARITIES, granularity) || !Number.isSafeInteger(startMs)) return this.target.getCandle(productId, granularity, startMs);
    const series = await this.seriesOf(productId, granularity);
    if (startMs < series.coverFromMs) return this.target.getCandle(productId, granularity, startMs);
    return series.candles.find((candle) => candle.startMs === startMs);
  }

  private async cachedRead<T>(group: ReadGroup, id: string, read: () => Promise<T>): Promise<T> {
    let cached = this.reads.get(group);
    if (cached?.has(id) === true) return cached.get(id) as T;
    const generation = this.generations.get(group) ?? 0;
    const value = await read();
    if ((this.inFlight.get(group) ?? 0) === 0 && (this.generations.get(group) ?? 0) === generation) {
      cached = this.reads.get(group) ?? new Map<string, unknown>();
      cached.set(id, value);
      this.reads.set(group, cached);
    }
    return value;
  }

  private async write<T>(groups: readonly ReadGroup[], run: () => Promise<T>): Promise<T> {
    this.touch(groups, 1);
    try {
      return await run();
    } finally {
      this.touch(groups, -1);
    }
  }

  private touch(groups: readonly ReadGroup[], inFlight: number): void {
    for (const group of groups) {
      this.generations.set(group, (this.generations.get(group) ?? 0) + 1);
      this.inFlight.set(group, (this.inFlight.get(group) ?? 0) + inFlight);
      this.reads.delete(group);
    }
  }

  /** A method this store does not know: everything it keeps is dropped, before and after. */
  private async unknownWrite<T>(run: () => Promise<T>): Promise<T> {
    this.counts = undefined;
    this.series.clear();
    try {
      return await this.write(ALL_GROUPS, run);
    } finally {
      this.counts = undefined;
      this.series.clear();
    }
  }
}
