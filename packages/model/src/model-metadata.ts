import { z } from 'zod';
import { GranularitySchema, SignalActionSchema, TradepipeError, parseWith } from '@tradepipe/core';
import type { Granularity, SignalAction } from '@tradepipe/core';
import { decodeOnnxModel } from './onnx-proto.js';
import type { OnnxModel } from './onnx-proto.js';

/**
 * The `metadata_props` keys tradepipe reads and writes. Values are strings; lists and maps are JSON.
 * Add them to any ONNX model (e.g. with `onnx.helper.set_model_props`) so that it loads.
 */
export const METADATA_KEYS = {
  modelId: 'model_id',
  modelVersion: 'model_version',
  /** JSON array of feature names, in input column order. */
  featureNames: 'feature_names',
  featureSetVersion: 'feature_set_version',
  /** A core `Granularity`, e.g. `ONE_DAY`. */
  granularity: 'granularity',
  /** JSON object from class label (as a string) to `BUY` | `SELL` | `HOLD`. */
  labelMap: 'label_map',
  /** JSON: `{ "horizon": 5, "buyThreshold": 0.02, "sellThreshold": -0.02 }`. */
  labeling: 'labeling',
  /** JSON: `{ "fromMs": ..., "toMs": ..., "rows": ... }`. */
  trainingRange: 'training_range',
  /** JSON object of evaluation figures. */
  metrics: 'metrics',
  /** Which trainer made the model (`linear`, `gradient_boosted_trees`, or anything for outside models). */
  trainer: 'trainer',
} as const;

const jsonText = <Schema extends z.ZodType>(schema: Schema) =>
  z.string().transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'not valid JSON' });
      return z.NEVER;
    }
  }).pipe(schema);

/** zod schema of the labeling rule stored with a model. */
export const LabelingSchema = z.object({
  horizon: z.number().int().positive(),
  buyThreshold: z.number().finite(),
  sellThreshold: z.number().finite(),
});

/** The labeling rule a model was trained with: forward return over `horizon` candles against thresholds. */
export interface Labeling extends z.infer<typeof LabelingSchema> {}

const TrainingRangeSchema = z.object({ fromMs: z.number(), toMs: z.number(), rows: z.number().int().nonnegative() });

const PropertiesSchema = z.object({
  [METADATA_KEYS.modelId]: z.string().min(1).optional(),
  [METADATA_KEYS.modelVersion]: z.string().min(1).optional(),
  [METADATA_KEYS.featureNames]: jsonText(z.array(z.string().min(1)).min(1)).optional(),
  [METADATA_KEYS.featureSetVersion]: z.string().min(1).optional(),
  [METADATA_KEYS.granularity]: GranularitySchema.optional(),
  [METADATA_KEYS.labelMap]: jsonText(z.record(z.string(), SignalActionSchema)).optional(),
  [METADATA_KEYS.labeling]: jsonText(LabelingSchema).optional(),
  [METADATA_KEYS.trainingRange]: jsonText(TrainingRangeSchema).optional(),
  [METADATA_KEYS.metrics]: jsonText(z.record(z.string(), z.unknown())).optional(),
  [METADATA_KEYS.trainer]: z.string().optional(),
});

/** What an ONNX model says about itself: its header and the tradepipe fields of its `metadata_props`. */
export interface ModelMetadata {
  readonly irVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  /** Every `metadata_props` entry as stored. */
  readonly properties: Readonly<Record<string, string>>;
  readonly modelId?: string;
  readonly modelVersion?: string;
  readonly featureNames?: readonly string[];
  readonly featureSetVersion?: string;
  readonly granularity?: Granularity;
  readonly labelMap?: Readonly<Record<string, SignalAction>>;
  readonly labeling?: Labeling;
  readonly trainingRange?: { readonly fromMs: number; readonly toMs: number; readonly rows: number };
  readonly metrics?: Readonly<Record<string, unknown>>;
  readonly trainer?: string;
}

/**
 * Decodes ONNX bytes, failing with `model_failed` when they are not a model.
 * @internal
 */
export function decodeModelBytes(bytes: Uint8Array): OnnxModel {
  try {
    const model = decodeOnnxModel(bytes);
    if (model.graph.input.length === 0 || model.graph.output.length === 0) throw new Error('the model has no graph inputs or outputs');
    return model;
  } catch (error) {
    throw new TradepipeError('model_failed', 'The bytes are not a readable ONNX model', { cause: error, details: { byteLength: bytes.byteLength } });
  }
}

/**
 * Reads the metadata of a decoded model.
 * @internal
 */
export function metadataOfModel(model: OnnxModel): ModelMetadata {
  const properties: Record<string, string> = {};
  for (const entry of model.metadataProps ?? []) properties[entry.key] = entry.value;
  const parsed = parseWith(PropertiesSchema, properties, 'ONNX model metadata');
  const optional = {
    modelId: parsed.model_id,
    modelVersion: parsed.model_version,
    featureNames: parsed.feature_names,
    featureSetVersion: parsed.feature_set_version,
    granularity: parsed.granularity,
    labelMap: parsed.label_map,
    labeling: parsed.labeling,
    trainingRange: parsed.training_range,
    metrics: parsed.metrics,
    trainer: parsed.trainer,
  };
  return {
    irVersion: model.irVersion,
    producerName: model.producerName ?? '',
    producerVersion: model.producerVersion ?? '',
    opsets: model.opsetImport.map((opset) => ({ domain: opset.domain ?? '', version: opset.version })),
    properties,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

/**
 * Reads an ONNX model's header and `metadata_props` (which onnxruntime-node does not expose) by decoding
 * the protobuf. The tradepipe keys ({@link METADATA_KEYS}) are parsed and validated; others are kept as
 * strings in `properties`.
 * @param bytes the `.onnx` file contents
 * @returns the model's metadata
 * @throws TradepipeError `model_failed` if the bytes are not an ONNX model, `validation_failed` if a
 * tradepipe key holds a malformed value.
 * @example
 * const metadata = readModelMetadata(await readFile(defaultModelPath()));
 * metadata.featureSetVersion; // e.g. '1.0.0'
 */
export function readModelMetadata(bytes: Uint8Array): ModelMetadata {
  return metadataOfModel(decodeModelBytes(bytes));
}

/**
 * Turns metadata fields into `metadata_props` entries (JSON for lists and objects).
 * @internal
 */
export function toMetadataProps(fields: Omit<ModelMetadata, 'irVersion' | 'producerName' | 'producerVersion' | 'opsets' | 'properties'>): { key: string; value: string }[] {
  const entries: { key: string; value: string }[] = [];
  const put = (key: string, value: unknown): void => {
    if (value === undefined) return;
    entries.push({ key, value: typeof value === 'string' ? value : JSON.stringify(value) });
  };
  put(METADATA_KEYS.modelId, fields.modelId);
  put(METADATA_KEYS.modelVersion, fields.modelVersion);
  put(METADATA_KEYS.featureNames, fields.featureNames);
  put(METADATA_KEYS.featureSetVersion, fields.featureSetVersion);
  put(METADATA_KEYS.granularity, fields.granularity);
  put(METADATA_KEYS.labelMap, fields.labelMap);
  put(METADATA_KEYS.labeling, fields.labeling);
  put(METADATA_KEYS.trainingRange, fields.trainingRange);
  put(METADATA_KEYS.metrics, fields.metrics);
  put(METADATA_KEYS.trainer, fields.trainer);
  return entries;
}
