// Box 3 of the design: the signal bridge. A signal becomes a recommendation, a recorded REJECT, or nothing.
import { TradepipeError } from '../../errors.js';
import { candleCloseMs } from '../../records/market.js';
import type { RecommendationState, Signal } from '../../records/trading.js';
import type { PipelineStore, RecordWrite } from '../../store.js';
import { GRANULARITIES } from '../../time.js';
import type { PipelineRuntime } from '../runtime.js';
import { defineStage, stageEvent, type PipelineStage, type StageEvent } from '../stage.js';

/** What the bridge needs from the store. */
export type SignalBridgeStore = Pick<PipelineStore, 'getSignal' | 'getProduct' | 'getPosition'>;

/** The bridge's input: the claimed signal. */
export interface SignalInput {
  /** The claimed signal. */
  readonly signal: Signal;
}

/**
 * The bridge: the policy turns a signal into a recommendation (validation next), a REJECT recorded at once
 * (e.g. a SELL with nothing held), or nothing (HOLD). A signal whose candle closed more than
 * `maxSignalAgeCandles` ago (a backfill) makes nothing.
 */
export function createSignalBridgeStage(runtime: PipelineRuntime): PipelineStage<'signal', SignalInput, SignalBridgeStore> {
  return defineStage({
    name: 'bridge',
    takes: { kind: 'signal', state: 'PENDING', ordered: true },
    onRetriesExhausted: 'DEAD_LETTER',
    onPermanentFailure: 'DEAD_LETTER',
    // The claim's record when it carries one: a settled promise, no async layer or store call.
    load: (claim, context) => (claim.record !== undefined ? Promise.resolve({ signal: claim.record }) : loadSignal(claim.id, context.store)),
    async run({ signal }, context) {
      const nowMs = context.clock.nowMs();
      const stale = staleSignalReason(runtime, signal, nowMs);
      if (stale !== undefined) return { kind: 'complete', state: 'DONE', reason: stale };
      const product = await context.store.getProduct(signal.productId);
      if (product === undefined) throw new TradepipeError('not_found', 'The product of the signal is unknown to the store', { details: { productId: signal.productId } });
      const position = await context.store.getPosition(signal.productId);
      const decision = runtime.policy.recommend({ signal, product, position, nowMs });
      if (decision.kind === 'none') return { kind: 'complete', state: 'DONE', reason: decision.reason };
      const { recommendation } = decision;
      const state: RecommendationState = decision.kind === 'recommend' ? 'PENDING_VALIDATION' : 'REJECTED';
      const reason = decision.kind === 'reject' ? { reason: decision.reason } : {};
      const write: RecordWrite = { type: 'recommendation', record: recommendation, state, ...reason };
      const events: StageEvent[] = [stageEvent('recommendation:created', { recommendation, state, ...reason })];
      if (decision.kind === 'reject') events.push(stageEvent('recommendation:finished', { recommendation, state, reason: decision.reason }));
      return { kind: 'complete', state: 'DONE', writes: [write], events };
    },
  });
}

async function loadSignal(id: string, store: Pick<PipelineStore, 'getSignal'>): Promise<SignalInput> {
  const signal = await store.getSignal(id);
  if (signal === undefined) throw new TradepipeError('not_found', 'Claimed signal is missing', { details: { id } });
  return { signal };
}

/**
 * The bridge's stale-signal rule, pure (the batched replay applies it too): the reason a signal makes nothing
 * because its candle closed more than `maxSignalAgeCandles` before `nowMs`, or `undefined` if it is fresh.
 * @internal
 */
export function staleSignalReason(runtime: PipelineRuntime, signal: Pick<Signal, 'candleStartMs' | 'granularity'>, nowMs: number): string | undefined {
  const closeMs = candleCloseMs({ startMs: signal.candleStartMs, granularity: signal.granularity });
  if (nowMs - closeMs <= runtime.tuning.maxSignalAgeCandles * GRANULARITIES[signal.granularity]) return undefined;
  return 'stale_signal: the candle closed too long ago to trade on';
}
