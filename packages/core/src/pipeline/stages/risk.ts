// Box 5 of the design: risk. The risk manager assesses; on APPROVE it records a signed, single-use approval
// with its reserved exposure (through the store, atomically). No stage bypasses it.
import { TradepipeError } from '../../errors.js';
import type { PipelineStore } from '../../store.js';
import type { PipelineRuntime } from '../runtime.js';
import { defineStage, stageEvent, type PipelineStage } from '../stage.js';
import { expiredResult, isExpired, loadRecommendationInput, type RecommendationInput } from './recommendation-input.js';

/** What the risk stage needs from the store itself (the risk manager reads and records through its own context). */
export type RiskStageStore = Pick<PipelineStore, 'getRecommendation'>;

/** Risk: an expired recommendation ends EXPIRED without an assessment; approved → execution. */
export function createRiskStage(runtime: PipelineRuntime): PipelineStage<'recommendation', RecommendationInput, RiskStageStore> {
  return defineStage({
    name: 'risk',
    takes: { kind: 'recommendation', state: 'PENDING_RISK', ordered: false },
    passesTo: 'PENDING_EXECUTION',
    onRetriesExhausted: 'DEAD_LETTER',
    onPermanentFailure: 'REJECTED',
    load: (claim, context) => loadRecommendationInput(claim, context.store),
    async run({ recommendation }, context) {
      if (isExpired(recommendation, context.clock)) return expiredResult('risk');
      const { assessment, approval } = await runtime.options.risk!.assess(recommendation, context.slotContext);
      if (assessment.recommendationId !== recommendation.id) throw new TradepipeError('internal', 'Risk assessed another recommendation');
      const events = [stageEvent('recommendation:assessed', { recommendation, assessment })];
      if (assessment.decision === 'APPROVE' && approval !== undefined) return { kind: 'pass', events };
      const reason = assessment.reasons.map((item) => `${item.code}: ${item.message}`).join('; ').slice(0, 1000);
      return { kind: 'complete', state: 'REJECTED', reason, events };
    },
  });
}
