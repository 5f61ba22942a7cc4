import { TradepipeError } from '../errors.js';
import { checkFeatureView } from '../feature-view.js';
import { STAGE_NAMES, type PipelineOptions, type StageName } from './options.js';

const NEEDS: Record<StageName, (options: PipelineOptions) => string | undefined> = {
  ingest: (options) => (options.marketData === undefined ? 'marketData' : undefined),
  signal: (options) => (options.features === undefined ? 'features' : options.model === undefined ? 'model' : undefined),
  bridge: () => undefined,
  validation: (options) =>
    options.validator === undefined && !(options.plugins ?? []).some((plugin) => (plugin.validators ?? []).length > 0) ? 'validator' : undefined,
  risk: (options) => (options.risk === undefined ? 'risk' : undefined),
  execution: (options) => (options.executor === undefined ? 'executor' : undefined),
  fills: (options) => (options.executor === undefined ? 'executor' : undefined),
};

/**
 * Checks the slots of a pipeline against its stages: explicitly named stages must have their slots; by
 * default every stage whose slots are filled runs. Every feature the model reads must be in the feature
 * set (any subset, any order; see `createFeatureView`), and its feature-set version part of the set's.
 * @throws TradepipeError `pipeline_invalid`
 * @internal
 */
export function validateSlots(options: PipelineOptions): StageName[] {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(options.pipelineId)) {
    throw new TradepipeError('pipeline_invalid', 'pipelineId must be 1–64 characters of letters, digits, dot, dash or underscore');
  }
  const stages = options.stages === undefined ? STAGE_NAMES.filter((stage) => NEEDS[stage](options) === undefined) : [...new Set(options.stages)];
  for (const stage of stages) {
    const missing = NEEDS[stage](options);
    if (missing !== undefined) {
      throw new TradepipeError('pipeline_invalid', `Stage "${stage}" needs the "${missing}" slot`, { details: { stage, slot: missing } });
    }
  }
  const { features, model } = options;
  if (features !== undefined && model !== undefined) {
    try {
      checkFeatureView(features, model);
    } catch (error) {
      const cause = error as TradepipeError;
      throw new TradepipeError('pipeline_invalid', `The model cannot read from the feature set: ${cause.message}`, { cause, details: cause.details });
    }
  }
  if (stages.length === 0) throw new TradepipeError('pipeline_invalid', 'The pipeline has no stage to run');
  return stages;
}
