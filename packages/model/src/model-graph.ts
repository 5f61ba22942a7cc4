import { TradepipeError } from '@tradepipe/core';
import { ONNX_ATTRIBUTE_TYPE, ONNX_ELEMENT_TYPE, attributeString } from './onnx-proto.js';
import type { OnnxModel, OnnxType, OnnxValueInfo } from './onnx-proto.js';

/** The shape of a model's graph that the runtime relies on. @internal */
export interface ModelGraphInfo {
  readonly inputName: string;
  readonly inputElementType: 'float32' | 'float64';
  /** Input width if the model fixes it. */
  readonly inputWidth?: number;
  /** Whether the batch dimension is fixed to 1 (rows must then be run one by one). */
  readonly singleRowInput: boolean;
  readonly probabilitiesName: string;
  /** Class labels in probability column order, as strings (`'-1'`, `'0'`, `'1'` or `'BUY'`…). */
  readonly classLabels?: readonly string[];
}

const dims = (type: OnnxType | undefined) => type?.tensorType?.shape?.dim ?? [];

function failure(message: string, details: Record<string, string | number> = {}): TradepipeError {
  return new TradepipeError('model_failed', message, { details });
}

function findProbabilitiesOutput(outputs: readonly OnnxValueInfo[]): OnnxValueInfo {
  const nonTensor = outputs.find((output) => output.type?.sequenceType !== undefined || output.type?.mapType !== undefined);
  const tensors = outputs.filter((output) => {
    const elemType = output.type?.tensorType?.elemType;
    return (elemType === ONNX_ELEMENT_TYPE.FLOAT || elemType === ONNX_ELEMENT_TYPE.DOUBLE) && dims(output.type).length === 2;
  });
  const preferred = tensors.find((output) => /prob/i.test(output.name)) ?? (tensors.length === 1 ? tensors[0] : undefined);
  if (preferred !== undefined) return preferred;
  if (nonTensor !== undefined) {
    throw failure(
      `The model's output '${nonTensor.name}' is a sequence or map (a ZipMap?) and there is no probability tensor; export it with zipmap disabled`,
      { output: nonTensor.name },
    );
  }
  throw failure('The model has no [N, classes] float probability output', { outputs: outputs.map((output) => output.name).join(',') });
}

function findClassLabels(model: OnnxModel, probabilitiesName: string): string[] | undefined {
  const labelled = model.graph.node.filter((node) =>
    (node.attribute ?? []).some((attribute) => attribute.name.startsWith('classlabels_')),
  );
  const node = labelled.find((candidate) => candidate.output.includes(probabilitiesName)) ?? (labelled.length === 1 ? labelled[0] : undefined);
  if (node === undefined) return undefined;
  for (const attribute of node.attribute ?? []) {
    if (!attribute.name.startsWith('classlabels_')) continue;
    if (attribute.type === ONNX_ATTRIBUTE_TYPE.INTS && (attribute.ints ?? []).length > 0) return (attribute.ints ?? []).map(String);
    if (attribute.type === ONNX_ATTRIBUTE_TYPE.STRINGS && (attribute.strings ?? []).length > 0) {
      return (attribute.strings ?? []).map((bytes) => attributeString({ name: '', type: ONNX_ATTRIBUTE_TYPE.STRING, s: bytes }));
    }
  }
  return undefined;
}

/**
 * Finds the feature input, the probability output and the class labels of a classifier graph.
 * Accepts the layouts skl2onnx, onnxmltools (LightGBM, XGBoost) and this package produce: one float
 * input `[N, F]`, a label output and a `[N, C]` probability tensor.
 * @throws TradepipeError `model_failed` if the graph is not such a classifier.
 * @internal
 */
export function inspectModelGraph(model: OnnxModel): ModelGraphInfo {
  const inputs = model.graph.input;
  if (inputs.length !== 1) throw failure(`The model has ${inputs.length} inputs; expected one [N, features] tensor`, { inputs: inputs.length });
  const input = inputs[0] as OnnxValueInfo;
  const elemType = input.type?.tensorType?.elemType;
  if (elemType !== ONNX_ELEMENT_TYPE.FLOAT && elemType !== ONNX_ELEMENT_TYPE.DOUBLE) {
    throw failure(`The model's input '${input.name}' is not a float or double tensor`, { input: input.name, elemType: elemType ?? -1 });
  }
  const inputDims = dims(input.type);
  if (inputDims.length !== 2) throw failure(`The model's input '${input.name}' is not two-dimensional [N, features]`, { rank: inputDims.length });
  const probabilities = findProbabilitiesOutput(model.graph.output);
  const classLabels = findClassLabels(model, probabilities.name);
  const width = inputDims[1]?.dimValue;
  return {
    inputName: input.name,
    inputElementType: elemType === ONNX_ELEMENT_TYPE.FLOAT ? 'float32' : 'float64',
    ...(width !== undefined && width > 0 ? { inputWidth: width } : {}),
    singleRowInput: inputDims[0]?.dimValue === 1,
    probabilitiesName: probabilities.name,
    ...(classLabels === undefined ? {} : { classLabels }),
  };
}
