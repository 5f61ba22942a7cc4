import { TradepipeError } from '../../errors.js';
import { systemClock, type Clock } from '../../time.js';
import type { Order } from '../../records/execution.js';
import type { RecommendationState, TradeRecommendation } from '../../records/trading.js';
import type { Claim, PipelineStore } from '../../store.js';
import { childAbortController, type ChildAbortController } from '../lease.js';
import type { StageResult } from '../stage.js';

/** What every recommendation stage loads: the claimed recommendation. */
export interface RecommendationInput {
  /** The claimed recommendation, as stored. */
  readonly recommendation: TradeRecommendation;
}

/** The store role of loading a recommendation. */
export type RecommendationReader = Pick<PipelineStore, 'getRecommendation'>;

/**
 * Loads a claimed recommendation, for the recommendation stages (and plugin stages of that kind): the one the
 * claim carries, else from the store.
 * @throws TradepipeError `not_found` if the claimed recommendation is missing
 */
export async function loadRecommendation(claim: Claim, store: RecommendationReader): Promise<TradeRecommendation> {
  if (claim.kind === 'recommendation' && claim.record !== undefined) return claim.record as TradeRecommendation;
  const stored = await store.getRecommendation(claim.id);
  if (stored === undefined) throw new TradepipeError('not_found', 'Claimed recommendation is missing', { details: { id: claim.id } });
  return stored.record;
}

/**
 * A recommendation stage's input, for its `load`: the recommendation the claim carries as a settled promise (no
 * async layer), else the one loaded from the store.
 * @throws TradepipeError `not_found` (the promise rejects) if the claimed recommendation is missing
 * @internal
 */
export function loadRecommendationInput(claim: Claim, store: RecommendationReader): Promise<RecommendationInput> {
  const carried = claimedRecommendation(claim);
  if (carried !== undefined) return Promise.resolve({ recommendation: carried });
  return loadRecommendation(claim, store).then((recommendation) => ({ recommendation }));
}

/** The recommendation a claim carries, if it carries one. @internal */
export function claimedRecommendation(claim: Claim): TradeRecommendation | undefined {
  return claim.kind === 'recommendation' ? (claim.record as TradeRecommendation | undefined) : undefined;
}

/** Whether a recommendation's time-to-live has passed at the clock's now. */
export function isExpired(recommendation: TradeRecommendation, clock: Clock): boolean {
  return clock.nowMs() >= recommendation.expiresAtMs;
}

/** The result that ends an expired recommendation without calling anything (the runner emits `recommendation:expired`). */
export function expiredResult(before: string): StageResult<'recommendation'> {
  return { kind: 'complete', state: 'EXPIRED', reason: `expired before ${before}` };
}

/** The recommendation state that follows an order's status: its terminal state, or SUBMITTED while it is open. */
export function stateOfOrder(order: Order): RecommendationState {
  if (order.status === 'EXECUTED') return 'EXECUTED';
  if (order.status === 'REJECTED') return 'REJECTED';
  if (order.status === 'FAILED') return 'FAILED';
  return 'SUBMITTED';
}

/** How a recommendation ends with its order: in the order's state, with its reason unless it executed. */
export function resultOfOrder(order: Order): StageResult<'recommendation'> {
  const state = stateOfOrder(order);
  const reason = state === 'EXECUTED' || order.statusReason === undefined ? undefined : order.statusReason;
  return { kind: 'complete', state, ...(reason === undefined ? {} : { reason }) };
}

/** What a wait for a recommendation aborts with when the recommendation expires. @internal */
export function expiredError(recommendation: Pick<TradeRecommendation, 'id'>): TradepipeError {
  return new TradepipeError('aborted', 'The recommendation expired', { details: { recommendationId: recommendation.id, expired: true } });
}

/** The reason a finished expiry wait is dropped with (a constant: no DOMException per call). */
const DISPOSED = new TradepipeError('aborted', 'Expiry wait disposed');

/**
 * A signal that aborts when a recommendation expires, on the injected clock (a manual clock's `advance`
 * fires it), or when `parent` aborts. Call `dispose` when done, to stop waiting.
 */
export function abortAtExpiry(recommendation: TradeRecommendation, clock: Clock, parent: AbortSignal): { readonly signal: AbortSignal; dispose(): void } {
  return expiryOf(recommendation, clock, childAbortController(parent));
}

/**
 * {@link abortAtExpiry} on a given controller (one that already follows whatever must abort the wait too): it
 * aborts at the recommendation's expiry; `dispose` stops waiting and detaches it.
 * @internal
 */
export function expiryOf(recommendation: TradeRecommendation, clock: Clock, expiry: ChildAbortController): { readonly signal: AbortSignal; dispose(): void } {
  const remainingMs = recommendation.expiresAtMs - clock.nowMs();
  const expire = (): void => expiry.abort(expiredError(recommendation));
  if (clock === systemClock) {
    // The real clock's sleep is this timer: set it directly (no second controller, no promise per call).
    const timer = setTimeout(expire, Math.max(0, remainingMs));
    return {
      signal: expiry.signal,
      dispose: () => {
        clearTimeout(timer);
        expiry.detach();
      },
    };
  }
  const done = new AbortController();
  clock.sleep(Math.max(0, remainingMs), done.signal).then(expire, () => undefined);
  return {
    signal: expiry.signal,
    dispose: () => {
      done.abort(DISPOSED);
      expiry.detach();
    },
  };
}
