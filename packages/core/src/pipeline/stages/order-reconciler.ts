// Beside the fills box: the order reconciler. Every order that has not ended is followed until the exchange
// gives a terminal answer, whatever its recommendation's state, on the injected clock with capped backoff.
import { isTradepipeError, toTradepipeError } from '../../errors.js';
import type { OrderExecutor, StageContext } from '../../interfaces.js';
import { TERMINAL_ORDER_STATUSES, type Order, type OrderStatus } from '../../records/execution.js';
import type { RecommendationState, TradeRecommendation } from '../../records/trading.js';
import { settleOrphanedRecommendation } from './orphan-recommendations.js';

/** Statuses of an order that has not ended: the reconciler follows each of them. */
export const OPEN_ORDER_STATUSES: readonly OrderStatus[] = ['INTENT_RECORDED', 'SUBMITTED', 'UNKNOWN', 'ACKNOWLEDGED', 'PARTIALLY_FILLED'];

/** Recommendation states whose order a stage follows itself (execution, fills): the sweep leaves those orders to it. */
const FOLLOWED_BY_A_STAGE: readonly RecommendationState[] = ['PENDING_EXECUTION', 'SUBMITTED'];

/** Settings of an {@link OrderReconciler}; times on the injected clock. */
export interface OrderReconcilerOptions {
  /** Advances orders one step (`refresh`: resolves an unknown outcome, polls fills). */
  readonly executor: OrderExecutor;
  /** How soon an open order is looked at again after an answer. */
  readonly pollIntervalMs: number;
  /** First delay after a failed look; doubles with each consecutive failure. */
  readonly baseBackoffMs: number;
  /** Cap of that delay: an outage delays an order at most this long past its end. */
  readonly maxBackoffMs: number;
  /** How often the sweep lists the orders that have not ended. */
  readonly sweepIntervalMs: number;
  /**
   * Called once the sweep has moved a recommendation that ended before its order (dead-lettered, failed) to the
   * order's final state, after that is committed: the pipeline reports it as a second `recommendation:finished`.
   */
  readonly onSettled?: (settled: SettledRecommendation) => void;
}

/** A recommendation the sweep moved to its order's final state. */
export interface SettledRecommendation {
  /** The recommendation, as stored before the move. */
  readonly recommendation: TradeRecommendation;
  /** The state it was in (`DEAD_LETTER`, `FAILED`, …). */
  readonly from: RecommendationState;
  /** The state it ends in: its order's (`EXECUTED`, `FAILED`, …). */
  readonly state: RecommendationState;
  /** The stored reason, e.g. `order executed after the recommendation was dead_letter`. */
  readonly reason: string;
}

/** One look at an order. */
export interface FollowedOrder {
  /** The order as it stands after the look (re-read from the store after a failure). */
  readonly order: Order;
  /** Whether its status or figures changed. */
  readonly changed: boolean;
  /** When to look again, from now. */
  readonly nextInMs: number;
}

interface Schedule {
  dueAtMs: number;
  failures: number;
}

/**
 * Follows orders that have not ended. `follow` looks at one order when it is due (never throwing for an
 * exchange or store failure: it schedules the next look with a capped exponential backoff); `sweep` lists
 * every open order and follows those no stage follows (their recommendation dead-lettered, failed or
 * missing), so an outage delays an order, never abandons it; when such an order ends, its recommendation is
 * moved to the order's final state and `onSettled` is told. Schedules live in memory, only for orders that have not ended (an order
 * that ended elsewhere is dropped at the next sweep); one look at a time per order. The fills stage and the sweep share one reconciler.
 * @example
 * const reconciler = createOrderReconciler({ executor, pollIntervalMs: 2_000, baseBackoffMs: 1_000, maxBackoffMs: 60_000, sweepIntervalMs: 30_000 });
 * await reconciler.sweep(context);
 */
export class OrderReconciler {
  private readonly schedules = new Map<string, Schedule>();
  private readonly looking = new Map<string, Promise<FollowedOrder>>();
  private nextSweepAtMs = Number.NEGATIVE_INFINITY;

  /** @param options see {@link OrderReconcilerOptions} */
  constructor(private readonly options: OrderReconcilerOptions) {}

  /** How many orders this reconciler keeps a schedule for (in memory): only orders that have not ended. */
  get scheduledOrderCount(): number {
    return this.schedules.size;
  }

  /** Looks at an order if it is due (or returns when it will be); a look already under way is shared. */
  follow(order: Order, context: StageContext): Promise<FollowedOrder> {
    if (TERMINAL_ORDER_STATUSES.includes(order.status)) {
      this.schedules.delete(order.id);
      return Promise.resolve({ order, changed: false, nextInMs: 0 });
    }
    const schedule = this.schedules.get(order.id);
    const nowMs = context.clock.nowMs();
    if (schedule !== undefined && schedule.dueAtMs > nowMs) return Promise.resolve({ order, changed: false, nextInMs: schedule.dueAtMs - nowMs });
    const current = this.looking.get(order.id);
    if (current !== undefined) return current;
    const look = this.look(order, context).finally(() => this.looking.delete(order.id));
    this.looking.set(order.id, look);
    return look;
  }

  private async look(order: Order, context: StageContext): Promise<FollowedOrder> {
    try {
      const updated = await this.options.executor.refresh(order, context);
      return this.answered(order, updated, context);
    } catch (error) {
      if (context.signal.aborted) throw error;
      const stored = await context.store.getOrder(order.id).catch(() => undefined);
      if (isTradepipeError(error, 'order_conflict') && stored !== undefined) return this.answered(order, stored, context);
      const schedule = this.schedules.get(order.id) ?? { dueAtMs: 0, failures: 0 };
      schedule.failures += 1;
      const delayMs = Math.min(this.options.maxBackoffMs, this.options.baseBackoffMs * 2 ** (schedule.failures - 1));
      schedule.dueAtMs = context.clock.nowMs() + delayMs;
      this.schedules.set(order.id, schedule);
      const failure = toTradepipeError(error);
      context.logger.warn('could not follow an order; looking again later', { orderId: order.id, status: order.status, code: failure.code, failures: schedule.failures, delayMs });
      const now = stored ?? order;
      return { order: now, changed: hasChanged(order, now), nextInMs: delayMs };
    }
  }

  private answered(before: Order, after: Order, context: StageContext): FollowedOrder {
    if (TERMINAL_ORDER_STATUSES.includes(after.status)) {
      const failures = this.schedules.get(after.id)?.failures ?? 0;
      this.schedules.delete(after.id);
      if (before.status === 'UNKNOWN' || failures > 0) context.logger.info('order reconciled', { orderId: after.id, status: after.status, failures });
      return { order: after, changed: hasChanged(before, after), nextInMs: 0 };
    }
    this.schedules.set(after.id, { dueAtMs: context.clock.nowMs() + this.options.pollIntervalMs, failures: 0 });
    return { order: after, changed: hasChanged(before, after), nextInMs: this.options.pollIntervalMs };
  }

  /**
   * Follows every open order that no stage follows, if due. Returns the orders that changed (the pipeline
   * reports them as `order:updated`). Drops the schedules of orders that ended elsewhere (another replica, a stage).
   */
  async sweep(context: StageContext): Promise<Order[]> {
    this.nextSweepAtMs = context.clock.nowMs() + this.options.sweepIntervalMs;
    const changed: Order[] = [];
    const open = await context.store.listOrders({ statuses: OPEN_ORDER_STATUSES });
    const openIds = new Set(open.map((order) => order.id));
    for (const id of this.schedules.keys()) if (!openIds.has(id) && !this.looking.has(id)) this.schedules.delete(id);
    for (const order of open) {
      context.signal.throwIfAborted();
      const holder = await context.store.getRecommendation(order.recommendationId);
      if (holder !== undefined && FOLLOWED_BY_A_STAGE.includes(holder.status.state)) continue;
      const followed = await this.follow(order, context);
      if (!followed.changed) continue;
      changed.push(followed.order);
      if (TERMINAL_ORDER_STATUSES.includes(followed.order.status) && holder !== undefined) {
        const settled = await settleOrphanedRecommendation({ store: context.store, order: followed.order, recommendationState: holder.status.state, workerId: `${context.pipelineId}-reconciler`, logger: context.logger });
        if (settled !== undefined) this.options.onSettled?.({ recommendation: holder.record, from: holder.status.state, ...settled });
        else context.logger.warn('order ended after its recommendation; the recommendation keeps its state', { orderId: order.id, status: followed.order.status, recommendationState: holder.status.state });
      }
    }
    return changed;
  }

  /** Sweeps if `sweepIntervalMs` passed since the last sweep (on the injected clock). */
  async sweepIfDue(context: StageContext): Promise<Order[]> {
    return context.clock.nowMs() >= this.nextSweepAtMs ? this.sweep(context) : [];
  }

  /**
   * Sweeps every `sweepIntervalMs` on the injected clock until `until` aborts (between sweeps: a sweep under way
   * finishes, unless `context.signal` aborts it); failures are logged.
   */
  async run(context: StageContext, onChanged: (orders: readonly Order[]) => void, until: AbortSignal = context.signal): Promise<void> {
    while (!until.aborted && !context.signal.aborted) {
      try {
        onChanged(await this.sweepIfDue(context));
        await context.clock.sleep(Math.max(1, this.nextSweepAtMs - context.clock.nowMs()), until);
      } catch (error) {
        if (until.aborted || context.signal.aborted) return;
        context.logger.warn('order sweep failed; sweeping again later', { error });
        await context.clock.sleep(this.options.sweepIntervalMs, until).catch(() => undefined);
      }
    }
  }
}

function hasChanged(before: Order, after: Order): boolean {
  return before.status !== after.status || before.updatedAtMs !== after.updatedAtMs || before.filledBaseSize !== after.filledBaseSize;
}

/**
 * Builds an {@link OrderReconciler}: the embedded pipeline makes one when it runs the fills stage; a
 * service can run one beside its pipeline with `run`.
 */
export function createOrderReconciler(options: OrderReconcilerOptions): OrderReconciler {
  return new OrderReconciler(options);
}
