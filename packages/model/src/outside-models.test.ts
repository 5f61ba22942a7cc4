import { describe, expect, it } from 'vitest';
import type { TradepipeError } from '@tradepipe/core';
import { OnnxSignalModel } from './onnx-signal-model.js';
import { ONNX_ATTRIBUTE_TYPE, ONNX_ELEMENT_TYPE, encodeOnnxModel } from './onnx-proto.js';
import type { OnnxAttribute, OnnxNode, OnnxValueInfo } from './onnx-proto.js';
import { toVectors } from './synthetic-fixtures.js';

// Models shaped as skl2onnx / onnxmltools write them: no Scaler, other class labels, other output names.
const names = ['a', 'b'];
const encoder = new TextEncoder();
const tensor = (name: string, elemType: number, dims: readonly object[]): OnnxValueInfo => ({ name, type: { tensorType: { elemType, shape: { dim: dims as never } } } });

function outsideModel(options: { labels: OnnxAttribute; outputs?: OnnxValueInfo[]; extraNodes?: OnnxNode[]; metadata?: Record<string, string>; labelElemType?: number; postTransform?: string }): Uint8Array {
  const classifier: OnnxNode = {
    input: ['float_input'],
    output: ['label', 'probabilities'],
    opType: 'LinearClassifier',
    domain: 'ai.onnx.ml',
    attribute: [
      { name: 'coefficients', type: ONNX_ATTRIBUTE_TYPE.FLOATS, floats: [-1, 0, 0, 0, 1, 0] },
      { name: 'intercepts', type: ONNX_ATTRIBUTE_TYPE.FLOATS, floats: [0, 0.5, 0] },
      options.labels,
      { name: 'post_transform', type: ONNX_ATTRIBUTE_TYPE.STRING, s: encoder.encode(options.postTransform ?? 'SOFTMAX') },
    ],
  };
  return encodeOnnxModel({
    irVersion: 8,
    producerName: 'skl2onnx',
    opsetImport: [{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 1 }],
    graph: {
      node: [classifier, ...(options.extraNodes ?? [])],
      input: [tensor('float_input', ONNX_ELEMENT_TYPE.FLOAT, [{ dimParam: 'N' }, { dimValue: 2 }])],
      output: options.outputs ?? [
        tensor('label', options.labelElemType ?? ONNX_ELEMENT_TYPE.INT64, [{ dimParam: 'N' }]),
        tensor('probabilities', ONNX_ELEMENT_TYPE.FLOAT, [{ dimParam: 'N' }, { dimValue: 3 }]),
      ],
    },
    metadataProps: Object.entries({ feature_names: JSON.stringify(names), feature_set_version: 'v1', ...options.metadata }).map(([key, value]) => ({ key, value })),
  });
}

const intLabels = (values: number[]): OnnxAttribute => ({ name: 'classlabels_ints', type: ONNX_ATTRIBUTE_TYPE.INTS, ints: values });
const load = (bytes: Uint8Array, labelMap?: Record<string, 'BUY' | 'SELL' | 'HOLD'>) =>
  OnnxSignalModel.load({ bytes, expectedFeatureNames: names, expectedFeatureSetVersion: 'v1', ...(labelMap === undefined ? {} : { labelMap }) });
const vector = toVectors([[0.2, 0]], 'v1')[0] as ReturnType<typeof toVectors>[number];

describe('models from other converters', () => {
  it('maps -1/0/1 integer labels to SELL/HOLD/BUY by default', async () => {
    const model = await load(outsideModel({ labels: intLabels([-1, 0, 1]) }));
    // Scores for [0.2, 0]: class -1 → -0.2, class 0 → 0.5, class 1 → 0.2: HOLD wins.
    expect((await model.predict(vector)).action).toBe('HOLD');
    await model.close();
  });

  it('reads string labels named BUY/SELL/HOLD', async () => {
    const strings: OnnxAttribute = { name: 'classlabels_strings', type: ONNX_ATTRIBUTE_TYPE.STRINGS, strings: ['buy', 'hold', 'sell'].map((label) => encoder.encode(label)) };
    const model = await load(outsideModel({ labels: strings, labelElemType: ONNX_ELEMENT_TYPE.STRING }));
    const prediction = await model.predict(vector);
    expect(prediction.action).toBe('HOLD');
    expect(prediction.probabilities?.BUY).toBeLessThan(prediction.probabilities?.SELL ?? 0);
    await model.close();
  });

  it('needs a label map for 0/1/2 labels, from the options or the metadata', async () => {
    const bytes = outsideModel({ labels: intLabels([0, 1, 2]) });
    const refusal = (await load(bytes).catch((error: unknown) => error)) as TradepipeError;
    expect(refusal.code).toBe('model_mismatch');
    expect(refusal.message).toContain('labelMap');
    const mapped = await load(bytes, { '0': 'SELL', '1': 'HOLD', '2': 'BUY' });
    expect((await mapped.predict(vector)).action).toBe('HOLD');
    await mapped.close();
    const withMetadata = await load(outsideModel({ labels: intLabels([0, 1, 2]), metadata: { label_map: '{"0":"BUY","1":"SELL","2":"HOLD"}' } }));
    expect((await withMetadata.predict(vector)).action).toBe('SELL');
    await withMetadata.close();
  });

  it('refuses a ZipMap output with advice to disable it', async () => {
    const zipMap: OnnxNode = { input: ['probabilities'], output: ['output_probability'], opType: 'ZipMap', domain: 'ai.onnx.ml', attribute: [{ name: 'classlabels_int64s', type: ONNX_ATTRIBUTE_TYPE.INTS, ints: [-1, 0, 1] }] };
    const bytes = outsideModel({
      labels: intLabels([-1, 0, 1]),
      extraNodes: [zipMap],
      outputs: [
        tensor('label', ONNX_ELEMENT_TYPE.INT64, [{ dimParam: 'N' }]),
        { name: 'output_probability', type: { sequenceType: { elemType: { mapType: { keyType: ONNX_ELEMENT_TYPE.INT64, valueType: { tensorType: { elemType: ONNX_ELEMENT_TYPE.FLOAT } } } } } } },
      ],
    });
    const refusal = (await load(bytes).catch((error: unknown) => error)) as TradepipeError;
    expect(refusal.code).toBe('model_failed');
    expect(refusal.message).toContain('zipmap disabled');
  });

  it('refuses raw scores that are not probabilities', async () => {
    const model = await load(outsideModel({ labels: intLabels([-1, 0, 1]), postTransform: 'NONE' }));
    const refusal = (await model.predict(toVectors([[2, 0]], 'v1')[0] as typeof vector).catch((error: unknown) => error)) as TradepipeError;
    expect(refusal.code).toBe('model_failed');
    expect(refusal.message).toContain('not a probability');
    await model.close();
  });
});
