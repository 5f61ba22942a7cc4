import { TradepipeError } from '@tradepipe/core';
import { ONNX_CLASS_LABELS, TRAINED_LABEL_MAP } from './classes.js';
import type { GradientBoostedTreesModel } from './gradient-boosted-trees.js';
import type { LinearClassifierModel } from './linear-classifier.js';
import { toMetadataProps } from './model-metadata.js';
import type { ModelMetadata } from './model-metadata.js';
import { ONNX_ATTRIBUTE_TYPE, ONNX_ELEMENT_TYPE, encodeOnnxModel } from './onnx-proto.js';
import type { OnnxAttribute, OnnxNode } from './onnx-proto.js';
import type { TrainedModel } from './trained-model.js';

/** Metadata written into an exported model; `featureNames` and `featureSetVersion` are required. */
export type ExportMetadata = Omit<ModelMetadata, 'irVersion' | 'producerName' | 'producerVersion' | 'opsets' | 'properties' | 'featureNames' | 'featureSetVersion' | 'labelMap'> & {
  readonly featureNames: readonly string[];
  readonly featureSetVersion: string;
};

const floats = (name: string, values: readonly number[]): OnnxAttribute => ({ name, type: ONNX_ATTRIBUTE_TYPE.FLOATS, floats: values });
const ints = (name: string, values: readonly number[]): OnnxAttribute => ({ name, type: ONNX_ATTRIBUTE_TYPE.INTS, ints: values });
const text = (name: string, value: string): OnnxAttribute => ({ name, type: ONNX_ATTRIBUTE_TYPE.STRING, s: new TextEncoder().encode(value) });
const texts = (name: string, values: readonly string[]): OnnxAttribute => ({ name, type: ONNX_ATTRIBUTE_TYPE.STRINGS, strings: values.map((value) => new TextEncoder().encode(value)) });

function linearNodes(model: LinearClassifierModel): OnnxNode[] {
  return [
    { input: ['input'], output: ['standardized'], name: 'scaler', opType: 'Scaler', domain: 'ai.onnx.ml', attribute: [floats('offset', model.offset), floats('scale', model.scale)] },
    {
      input: ['standardized'],
      output: ['label', 'probabilities'],
      name: 'linear_classifier',
      opType: 'LinearClassifier',
      domain: 'ai.onnx.ml',
      attribute: [
        floats('coefficients', model.coefficients),
        floats('intercepts', model.intercepts),
        ints('classlabels_ints', ONNX_CLASS_LABELS),
        { name: 'multi_class', type: ONNX_ATTRIBUTE_TYPE.INT, i: 0 },
        text('post_transform', 'SOFTMAX'),
      ],
    },
  ];
}

function treeNodes(model: GradientBoostedTreesModel): OnnxNode[] {
  const nodes = { treeIds: [] as number[], nodeIds: [] as number[], featureIds: [] as number[], values: [] as number[], modes: [] as string[], trueIds: [] as number[], falseIds: [] as number[] };
  const leaves = { treeIds: [] as number[], nodeIds: [] as number[], classIds: [] as number[], weights: [] as number[] };
  model.trees.forEach((tree, treeId) => {
    tree.feature.forEach((feature, nodeId) => {
      const isLeaf = feature < 0;
      nodes.treeIds.push(treeId);
      nodes.nodeIds.push(nodeId);
      nodes.featureIds.push(isLeaf ? 0 : feature);
      nodes.values.push(isLeaf ? 0 : (tree.threshold[nodeId] as number));
      nodes.modes.push(isLeaf ? 'LEAF' : 'BRANCH_LEQ');
      nodes.trueIds.push(isLeaf ? 0 : (tree.left[nodeId] as number));
      nodes.falseIds.push(isLeaf ? 0 : (tree.right[nodeId] as number));
      if (isLeaf) {
        leaves.treeIds.push(treeId);
        leaves.nodeIds.push(nodeId);
        leaves.classIds.push(tree.classIndex);
        leaves.weights.push(tree.value[nodeId] as number);
      }
    });
  });
  return [
    {
      input: ['input'],
      output: ['label', 'probabilities'],
      name: 'tree_ensemble_classifier',
      opType: 'TreeEnsembleClassifier',
      domain: 'ai.onnx.ml',
      attribute: [
        ints('nodes_treeids', nodes.treeIds),
        ints('nodes_nodeids', nodes.nodeIds),
        ints('nodes_featureids', nodes.featureIds),
        floats('nodes_values', nodes.values),
        texts('nodes_modes', nodes.modes),
        ints('nodes_truenodeids', nodes.trueIds),
        ints('nodes_falsenodeids', nodes.falseIds),
        ints('class_treeids', leaves.treeIds),
        ints('class_nodeids', leaves.nodeIds),
        ints('class_ids', leaves.classIds),
        floats('class_weights', leaves.weights),
        floats('base_values', model.baseScores),
        ints('classlabels_int64s', ONNX_CLASS_LABELS),
        text('post_transform', 'SOFTMAX'),
      ],
    },
  ];
}

/**
 * Writes a trained model as ONNX (`ai.onnx.ml`): a Scaler and a LinearClassifier for the linear model,
 * a TreeEnsembleClassifier for trees. Input `input` float `[N, features]`; outputs `label` int64 `[N]`
 * (-1 SELL, 0 HOLD, 1 BUY) and `probabilities` float `[N, 3]` (SELL, HOLD, BUY), with the metadata
 * (feature names and version, granularity, labeling, training range, metrics, `label_map`) in
 * `metadata_props`.
 * @returns the `.onnx` bytes, loadable by {@link OnnxSignalModel.load} and any ONNX runtime
 * @throws TradepipeError `validation_failed` if the feature names do not match the model's width.
 * @example
 * const bytes = exportToOnnx(model, { featureNames: FEATURE_NAMES, featureSetVersion: FEATURE_SET_VERSION, granularity: 'ONE_DAY' });
 * await writeFile('model.onnx', bytes);
 */
export function exportToOnnx(model: TrainedModel, metadata: ExportMetadata): Uint8Array {
  const featureCount = model.featureCount;
  if (metadata.featureNames.length !== featureCount) {
    throw new TradepipeError('validation_failed', `${metadata.featureNames.length} feature names for a model of ${featureCount} features`, {
      details: { names: metadata.featureNames.length, features: featureCount },
    });
  }
  const tensor = (elemType: number, dims: readonly ({ dimParam: string } | { dimValue: number })[]) => ({ tensorType: { elemType, shape: { dim: dims } } });
  const batch = { dimParam: 'N' };
  return encodeOnnxModel({
    irVersion: 8,
    producerName: 'tradepipe',
    producerVersion: '0.1.0',
    domain: 'dev.tradepipe',
    modelVersion: 1,
    opsetImport: [{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 3 }],
    graph: {
      name: model.kind,
      node: model.kind === 'linear' ? linearNodes(model) : treeNodes(model),
      input: [{ name: 'input', type: tensor(ONNX_ELEMENT_TYPE.FLOAT, [batch, { dimValue: featureCount }]) }],
      output: [
        { name: 'label', type: tensor(ONNX_ELEMENT_TYPE.INT64, [batch]) },
        { name: 'probabilities', type: tensor(ONNX_ELEMENT_TYPE.FLOAT, [batch, { dimValue: ONNX_CLASS_LABELS.length }]) },
      ],
    },
    metadataProps: toMetadataProps({ ...metadata, labelMap: TRAINED_LABEL_MAP, trainer: metadata.trainer ?? model.kind }),
  });
}
