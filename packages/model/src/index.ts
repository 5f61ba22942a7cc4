/**
 * @packageDocumentation
 * ONNX signal models for tradepipe: {@link OnnxSignalModel} runs any ONNX classifier (scikit-learn,
 * LightGBM, XGBoost via their converters, or this package's trainers) as a core `SignalModel`, checked
 * against the feature set it is fed; class-balanced trainers (multinomial logistic regression,
 * gradient-boosted trees) with walk-forward evaluation export to ONNX; a default BTC-USD daily model
 * ships in `models/`.
 */
export { OnnxSignalModel, type OnnxSignalModelLoadOptions } from './onnx-signal-model.js';
export { readModelMetadata, METADATA_KEYS, LabelingSchema, type Labeling, type ModelMetadata } from './model-metadata.js';
export { defaultModelPath, loadDefaultModel, DEFAULT_MODEL_FILE } from './default-model.js';
export { ModelCardFiguresSchema, modelCardFigures, type ModelCardFigures } from './model-card.js';
export { exportToOnnx, type ExportMetadata } from './onnx-export.js';
export { trainLinearClassifier, type LinearClassifierModel, type LinearTrainingInput } from './linear-classifier.js';
export { trainGradientBoostedTrees, type GradientBoostedTreesModel, type TreeTrainingInput } from './gradient-boosted-trees.js';
export { type RegressionTree } from './tree-growth.js';
export { predictProbabilities, type TrainedModel } from './trained-model.js';
export { type ClassWeighting } from './classes.js';
export { type FeatureMatrix, type FeatureRows } from './feature-matrix.js';
export { makeForwardReturnLabels } from './labels.js';
export { balancedClassWeights } from './class-weights.js';
export { classificationMetrics, longFlatReturns, tradingMetrics, type ClassificationMetrics, type TradingMetrics } from './metrics.js';
export { walkForwardSplits, type WalkForwardSplit, type WalkForwardSplitOptions } from './walk-forward-splits.js';
export { walkForwardEvaluate, type WalkForwardInput, type WalkForwardReport, type FoldReport } from './walk-forward.js';
export {
  TrainingOptionsSchema,
  ModelSpecSchema,
  WalkForwardOptionsSchema,
  type TrainingOptions,
  type TrainingOptionsInput,
  type ModelSpec,
} from './training-options.js';
export {
  trainModelFromCandles,
  CandleTrainingOptionsSchema,
  type CandleSeries,
  type CandleTrainingOptions,
  type TrainModelFromCandlesInput,
} from './train-from-candles.js';
export {
  TRAINING_CODE_VERSION,
  trainSignalModel,
  type TrainSignalModelInput,
  type TrainSignalModelResult,
  type TrainingReport,
} from './train-signal-model.js';
