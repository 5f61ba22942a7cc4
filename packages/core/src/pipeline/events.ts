import { EventEmitter } from 'eventemitter3';
import type { Logger } from '../logger.js';
import type { Candle, FeatureVector } from '../records/market.js';
import type { Order } from '../records/execution.js';
import type { RiskAssessment } from '../records/risk.js';
import type { LlmValidation, RecommendationState, Signal, TradeRecommendation } from '../records/trading.js';
import type { WorkError, WorkKind } from '../store.js';
import { TradepipeError } from '../errors.js';

/**
 * The typed events of a pipeline, named `noun:pastTenseVerb`. Each is emitted only after what it reports
 * has been persisted. Listeners are isolated: one that throws or rejects is reported through
 * `listener:failed` and the logger, never breaking the stage.
 */
export interface PipelineEvents {
  'candle:processed': { readonly candle: Candle; readonly vector: FeatureVector | undefined };
  'signal:generated': { readonly signal: Signal };
  'recommendation:created': { readonly recommendation: TradeRecommendation; readonly state: RecommendationState; readonly reason?: string };
  'recommendation:validated': { readonly recommendation: TradeRecommendation; readonly validations: readonly LlmValidation[]; readonly approved: boolean };
  'recommendation:assessed': { readonly recommendation: TradeRecommendation; readonly assessment: RiskAssessment };
  'recommendation:expired': { readonly recommendation: TradeRecommendation; readonly stage: string };
  'recommendation:finished': { readonly recommendation: TradeRecommendation; readonly state: RecommendationState; readonly reason?: string };
  'order:updated': { readonly order: Order };
  'item:retried': { readonly kind: WorkKind; readonly id: string; readonly stage: string; readonly error: WorkError; readonly availableAtMs: number };
  'item:deadLettered': { readonly kind: WorkKind; readonly id: string; readonly stage: string; readonly error: WorkError };
  'worker:failed': { readonly stage: string; readonly error: WorkError };
  'listener:failed': { readonly event: string; readonly error: WorkError };
}

/** A listener of one pipeline event. It may be async; its failure is isolated. */
export type PipelineListener<E extends keyof PipelineEvents> = (payload: PipelineEvents[E]) => void | Promise<void>;

/** Listeners by event, as plugins declare them. */
export type PipelineListeners = { readonly [E in keyof PipelineEvents]?: PipelineListener<E> };

/**
 * The pipeline's event bus: eventemitter3 for registration, with isolated delivery.
 * @internal
 */
export class PipelineEventBus {
  private readonly emitter = new EventEmitter();

  constructor(private readonly logger: Logger) {}

  on<E extends keyof PipelineEvents>(event: E, listener: PipelineListener<E>): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  emit<E extends keyof PipelineEvents>(event: E, payload: PipelineEvents[E]): void {
    for (const listener of this.emitter.listeners(event) as PipelineListener<E>[]) {
      try {
        const result = listener(payload);
        if (result instanceof Promise) result.catch((error: unknown) => this.reportListenerFailure(event, error));
      } catch (error) {
        this.reportListenerFailure(event, error);
      }
    }
  }

  private reportListenerFailure(event: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.logger.warn('pipeline listener failed', { event, error });
    if (event === 'listener:failed') return;
    this.emit('listener:failed', { event, error: { code: error instanceof TradepipeError ? error.code : 'listener_error', message } });
  }
}
