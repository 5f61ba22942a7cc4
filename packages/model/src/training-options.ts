import { z } from 'zod';
import { GranularitySchema } from '@tradepipe/core';
import { LabelingSchema } from './model-metadata.js';

const LinearSpecSchema = z.object({
  kind: z.literal('linear'),
  l2: z.number().nonnegative().default(0.01),
  maxIterations: z.number().int().positive().default(500),
});

const TreesSpecSchema = z.object({
  kind: z.literal('gradient_boosted_trees'),
  rounds: z.number().int().positive().default(100),
  learningRate: z.number().positive().default(0.05),
  maxDepth: z.number().int().min(1).max(12).default(3),
  minLeafRows: z.number().int().positive().default(20),
  l2: z.number().nonnegative().default(1),
  maxBins: z.number().int().min(2).max(255).default(32),
  subsample: z.number().gt(0).lte(1).default(0.8),
  seed: z.number().int().default(1),
});

/** zod schema of the model to train: `linear` (multinomial logistic regression) or `gradient_boosted_trees`. */
export const ModelSpecSchema = z.discriminatedUnion('kind', [LinearSpecSchema, TreesSpecSchema]);

/** Which model to train and its hyper-parameters (defaults filled in). */
export type ModelSpec = z.output<typeof ModelSpecSchema>;

const ClassWeightsSchema = z.union([
  z.enum(['balanced', 'none']),
  z.object({ BUY: z.number().nonnegative(), SELL: z.number().nonnegative(), HOLD: z.number().nonnegative() }),
]);

/** zod schema of walk-forward settings; see `walkForwardSplits`. */
export const WalkForwardOptionsSchema = z.object({
  folds: z.number().int().positive().default(5),
  /** At least the label horizon (the default). */
  purgeRows: z.number().int().positive().optional(),
  minTrainRows: z.number().int().positive().default(500),
  trainWindowRows: z.number().int().positive().optional(),
});

/**
 * zod schema of a training run's options (the CLI reads them from JSON): labeling, model, class
 * weights (default `balanced`), walk-forward evaluation, the fee used to score trading, the minimum
 * confidence applied when scoring, and the ids written into the model.
 * @example
 * const options = parseWith(TrainingOptionsSchema, {
 *   labeling: { horizon: 5, buyThreshold: 0.02, sellThreshold: -0.02 },
 *   model: { kind: 'linear' },
 * }, 'training options');
 */
export const TrainingOptionsSchema = z.object({
  labeling: LabelingSchema,
  model: ModelSpecSchema,
  classWeights: ClassWeightsSchema.default('balanced'),
  walkForward: WalkForwardOptionsSchema.optional(),
  /** Fee per position change when scoring trades, in basis points (default 60 = 0.6 %). */
  feeRateBps: z.number().nonnegative().default(60),
  minConfidence: z.number().min(0).max(1).default(0),
  modelId: z.string().min(1).default('tradepipe-model'),
  modelVersion: z.string().min(1).default('0.1.0'),
  granularity: GranularitySchema.optional(),
});

/** Training options with defaults filled in; see {@link TrainingOptionsSchema}. */
export interface TrainingOptions extends z.output<typeof TrainingOptionsSchema> {}

/** Training options as written by a caller (defaults optional); see {@link TrainingOptionsSchema}. */
export interface TrainingOptionsInput extends z.input<typeof TrainingOptionsSchema> {}
