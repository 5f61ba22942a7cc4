import { z } from 'zod';
import type { ModelMetadata } from './model-metadata.js';

const StrategySchema = z.object({
  totalReturn: z.number(),
  sharpe: z.number().nullable(),
  sortino: z.number().nullable(),
  maxDrawdown: z.number(),
});

/** zod schema of the figures a model's card states (its `metrics`: walk-forward and hold-out). */
export const ModelCardFiguresSchema = z.object({
  walkForward: z
    .object({
      meanBalancedAccuracy: z.number().optional(),
      strategySharpe: z.number().nullable().optional(),
      buyAndHoldSharpe: z.number().nullable().optional(),
      validatorMinConfidence: z.number().min(0).max(1).optional(),
      /** The cost per position change the walk-forward (and the default model's hold-out) paid, basis points. */
      feeRateBps: z.number().nonnegative().optional(),
    })
    .optional(),
  holdout: z
    .object({
      fromMs: z.number(),
      toMs: z.number(),
      classification: z.object({ balancedAccuracy: z.number() }),
      model: StrategySchema,
      buyAndHold: StrategySchema,
      sma50200: StrategySchema,
      significance: z.object({ pValue: z.number() }),
    })
    .optional(),
  holdoutLookedAtBefore: z.boolean().optional(),
});

/** The figures a model's card states, as its training script wrote them into the model's `metrics`. */
export interface ModelCardFigures extends z.output<typeof ModelCardFiguresSchema> {}

/**
 * Reads the card figures from a model's metadata (`metrics`): walk-forward figures (Sharpe, balanced
 * accuracy, the validator threshold chosen on walk-forward data) and the hold-out beside buy-and-hold and
 * SMA 50/200 with its p-value. Missing or malformed parts are left out, never guessed.
 * @returns the figures present
 * @example
 * const card = modelCardFigures(model.metadata);
 * card.walkForward?.validatorMinConfidence; // e.g. 0.5 for the default model
 */
export function modelCardFigures(metadata: Pick<ModelMetadata, 'metrics'>): ModelCardFigures {
  const metrics = metadata.metrics ?? {};
  const walkForward = ModelCardFiguresSchema.shape.walkForward.safeParse(metrics.walkForward);
  const holdout = ModelCardFiguresSchema.shape.holdout.safeParse(metrics.holdout);
  return {
    ...(walkForward.success && walkForward.data !== undefined ? { walkForward: walkForward.data } : {}),
    ...(holdout.success && holdout.data !== undefined ? { holdout: holdout.data } : {}),
    ...(typeof metrics.holdoutLookedAtBefore === 'boolean' ? { holdoutLookedAtBefore: metrics.holdoutLookedAtBefore } : {}),
  };
}
