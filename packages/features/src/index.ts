/**
 * @packageDocumentation
 * The 51 technical features of tradepipe (`tp-51-v2`, every feature free of the price unit): a streaming engine for live candles and a batch
 * function for backtests that give identical numbers, with saved and restored state and no lookahead.
 */
export {
  FEATURE_NAMES,
  FEATURE_SET_VERSION,
  WARMUP_CANDLES,
  HOUR_OF_DAY_FEATURE_NAMES,
  SCALE_DEPENDENT_FEATURE_NAMES,
  defaultModelFeatureNames,
  type FeatureName,
} from './feature-names.js';
export { FeatureSetOptionsSchema, type FeatureSetOptions, type ResolvedFeatureSetOptions } from './feature-set-options.js';
export { createFeatureSet } from './feature-set.js';
export { composeFeatureSets } from './composed-feature-set.js';
export { FeatureEngine } from './feature-engine.js';
export { candleColumns, computeFeatureMatrix, type CandleColumns, type FeatureMatrix, type FeatureMatrixOptions } from './feature-matrix.js';
export { FeatureEngineStateSchema, type FeatureEngineState } from './engine-state.js';
export { analyzeWarmup, type WarmupAnalysis, type WarmupAnalysisOptions, type FeatureWarmupChange } from './warmup-analysis.js';
