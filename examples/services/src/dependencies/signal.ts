import { FEATURE_NAMES, FEATURE_SET_VERSION, createFeatureSet } from '@tradepipe/features';
import { OnnxSignalModel, loadDefaultModel } from '@tradepipe/model';
import { createExitPolicy } from '@tradepipe/risk';
import { readPackageOptions } from '../package-options.js';
import type { ServiceContext, ServiceDependencies } from '../service-context.js';

/**
 * signal-generator (8025): the `signal` stage: the 51 features, the ONNX model (the shipped default, or
 * `MODEL_PATH`) checked against them and the configured granularity, and the ATR exit rules.
 * @throws TradepipeError `model_mismatch` if the model does not take these features or this granularity.
 */
export async function signalDependencies(context: ServiceContext): Promise<ServiceDependencies> {
  const features = createFeatureSet(readPackageOptions('features', context.env));
  const modelOptions = {
    expectedFeatureNames: FEATURE_NAMES,
    expectedFeatureSetVersion: FEATURE_SET_VERSION,
    expectedGranularity: context.config.granularity,
    productIds: context.config.products, // a model trained on other products is refused at start
    minConfidence: context.settings.modelMinConfidence,
    logger: context.logger,
  };
  const model = context.settings.modelPath === undefined ? await loadDefaultModel(modelOptions) : await OnnxSignalModel.load({ ...modelOptions, path: context.settings.modelPath });
  const exits = createExitPolicy(readPackageOptions('exits', context.env));
  context.logger.info('signal model loaded', { modelId: model.modelId, modelVersion: model.modelVersion, featureSetVersion: features.featureSetVersion });
  return { slots: { features, model, exits } };
}
