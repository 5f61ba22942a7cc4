import { TradepipeError } from '../errors.js';
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
 * default every stage whose slots are filled runs. The model must take exactly the feature set's names,
 * in order, and version.
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
    if (model.featureSetVersion !== features.featureSetVersion) {
      throw new TradepipeError('pipeline_invalid', 'The model was trained on another feature-set version', {
        details: { modelFeatureSetVersion: model.featureSetVersion, featureSetVersion: features.featureSetVersion },
      });
    }
    const index = features.featureNames.findIndex((name, position) => model.featureNames[position] !== name);
    if (index !== -1 || model.featureNames.length !== features.featureNames.length) {
      throw new TradepipeError('pipeline_invalid', 'The model takes other features, or in another order, than the feature set gives', {
        details: { firstDifferenceAt: index === -1 ? Math.min(model.featureNames.length, features.featureNames.length) : index },
      });
    }
  }
  if (stages.length === 0) throw new TradepipeError('pipeline_invalid', 'The pipeline has no stage to run');
  return stages;
}
