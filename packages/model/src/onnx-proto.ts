import protobuf from 'protobufjs';

/**
 * A minimal subset of onnx.proto (field numbers as in the ONNX repository), enough to write
 * LinearClassifier / TreeEnsembleClassifier models and to read any model's metadata, inputs, outputs
 * and node attributes. Unknown fields are skipped when decoding.
 */
const ONNX_DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType', 'sequenceType', 'mapType'] } },
          fields: {
            tensorType: { type: 'Tensor', id: 1 },
            sequenceType: { type: 'Sequence', id: 4 },
            mapType: { type: 'Map', id: 5 },
          },
          nested: {
            Tensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
            Sequence: { fields: { elemType: { type: 'TypeProto', id: 1 } } },
            Map: { fields: { keyType: { type: 'int32', id: 1 }, valueType: { type: 'TypeProto', id: 2 } } },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            floats: { rule: 'repeated', type: 'float', id: 7, options: { packed: false } },
            ints: { rule: 'repeated', type: 'int64', id: 8, options: { packed: false } },
            strings: { rule: 'repeated', type: 'bytes', id: 9 },
            type: { type: 'int32', id: 20 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            domain: { type: 'string', id: 7 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
      },
    },
  },
};

/** ONNX tensor element types used here. @internal */
export const ONNX_ELEMENT_TYPE = { FLOAT: 1, INT32: 6, INT64: 7, STRING: 8, DOUBLE: 11 } as const;

/** ONNX attribute types. @internal */
export const ONNX_ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** A tensor dimension: a fixed size or a symbolic name. @internal */
export interface OnnxDimension {
  readonly dimValue?: number;
  readonly dimParam?: string;
}

/** The subset of TypeProto this package reads and writes. @internal */
export interface OnnxType {
  readonly tensorType?: { readonly elemType?: number; readonly shape?: { readonly dim?: readonly OnnxDimension[] } };
  readonly sequenceType?: { readonly elemType?: OnnxType };
  readonly mapType?: { readonly keyType?: number; readonly valueType?: OnnxType };
}

/** A graph input or output. @internal */
export interface OnnxValueInfo {
  readonly name: string;
  readonly type?: OnnxType;
}

/** A node attribute. Strings are bytes (UTF-8). @internal */
export interface OnnxAttribute {
  readonly name: string;
  readonly type: number;
  readonly f?: number;
  readonly i?: number;
  readonly s?: Uint8Array;
  readonly floats?: readonly number[];
  readonly ints?: readonly number[];
  readonly strings?: readonly Uint8Array[];
}

/** A graph node. @internal */
export interface OnnxNode {
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly name?: string;
  readonly opType: string;
  readonly domain?: string;
  readonly attribute?: readonly OnnxAttribute[];
}

/** The subset of ModelProto this package reads and writes. @internal */
export interface OnnxModel {
  readonly irVersion: number;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly domain?: string;
  readonly modelVersion?: number;
  readonly docString?: string;
  readonly opsetImport: readonly { readonly domain?: string; readonly version: number }[];
  readonly graph: {
    readonly name?: string;
    readonly node: readonly OnnxNode[];
    readonly input: readonly OnnxValueInfo[];
    readonly output: readonly OnnxValueInfo[];
  };
  readonly metadataProps?: readonly { readonly key: string; readonly value: string }[];
}

let modelType: protobuf.Type | undefined;

function getModelType(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_DESCRIPTOR).lookupType('onnx.ModelProto');
  return modelType;
}

/**
 * Encodes a model to ONNX protobuf bytes.
 * @internal
 */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const type = getModelType();
  return type.encode(type.fromObject(model as unknown as Record<string, unknown>)).finish();
}

/**
 * Decodes ONNX protobuf bytes into plain objects (int64 as numbers, absent repeated fields as []).
 * Throws whatever protobufjs throws on bytes that are not a ModelProto.
 * @internal
 */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  const type = getModelType();
  const message = type.decode(bytes);
  const plain = type.toObject(message, { longs: Number, arrays: true, defaults: false }) as {
    irVersion?: number;
    opsetImport: OnnxModel['opsetImport'];
    graph?: Partial<OnnxModel['graph']>;
  } & Omit<OnnxModel, 'irVersion' | 'graph' | 'opsetImport'>;
  const graph = plain.graph ?? {};
  return {
    ...plain,
    irVersion: plain.irVersion ?? 0,
    graph: { ...graph, node: graph.node ?? [], input: graph.input ?? [], output: graph.output ?? [] },
  };
}

/** The UTF-8 text of an attribute's `s` bytes. @internal */
export function attributeString(attribute: OnnxAttribute): string {
  return new TextDecoder().decode(attribute.s ?? new Uint8Array());
}
