import { z } from 'zod';
import { GranularitySchema, ProductIdSchema, SignalActionSchema, TradepipeError, parseWith } from '@tradepipe/core';
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
  /** JSON array of the product ids the model was trained on, e.g. `["BTC-USD","ETH-USD"]`. */
  products: 'products',
  /** Version of the training code that made the model (see `TRAINING_CODE_VERSION`). */
  trainingCodeVersion: 'training_code_version',
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

/**
 * zod schema of the labeling rule stored with a model: the forward return over `horizon` candles (and, for
 * models trained from candles, the same horizon as a duration, `horizonMs`) against the thresholds.
 */
export const LabelingSchema = z.object({
  horizon: z.number().int().positive(),
  horizonMs: z.number().int().positive().optional(),
  buyThreshold: z.number().finite(),
  sellThreshold: z.number().finite(),
});

/** The labeling rule a model was trained with: forward return over `horizon` candles (`horizonMs`) against thresholds. */
export interface Labeling extends z.infer<typeof LabelingSchema> {}

/** Epoch ms a `Date` can hold (±8.64e15): a training range past it cannot be shown, so it is malformed. */
const instantMs = z.number().int().min(-8.64e15).max(8.64e15);
const TrainingRangeSchema = z
  .object({ fromMs: instantMs, toMs: instantMs, rows: z.number().int().nonnegative() })
  .refine((range) => range.fromMs <= range.toMs, 'training_range.fromMs is after its toMs');

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
  [METADATA_KEYS.products]: jsonText(z.array(ProductIdSchema).min(1)).optional(),
  [METADATA_KEYS.trainingCodeVersion]: z.string().min(1).optional(),
});

/** What an ONNX model says about itself: its header and the tradepipe fields of its `metadata_props`. */
export interface ModelMetadata {
  /** The ONNX IR version of the file. */
  readonly irVersion: number;
  /** The tool that wrote the file (e.g. `tradepipe`, `skl2onnx`); `''` when not set. */
  readonly producerName: string;
  /** That tool's version; `''` when not set. */
  readonly producerVersion: string;
  /** The operator sets the graph imports (`''` is the default ONNX domain, `ai.onnx.ml` the classic ML operators). */
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  /** Every `metadata_props` entry as stored. */
  readonly properties: Readonly<Record<string, string>>;
  /** `model_id`: names the model; undefined when not declared. */
  readonly modelId?: string;
  /** `model_version`: the model's version; undefined when not declared. */
  readonly modelVersion?: string;
  /** `feature_names`: the input columns, in order; undefined when not declared (such a model does not load). */
  readonly featureNames?: readonly string[];
  /** `feature_set_version`: the feature set the model was trained on; undefined when not declared. */
  readonly featureSetVersion?: string;
  /** `granularity`: the candle size the model was trained on; undefined when not declared. */
  readonly granularity?: Granularity;
  /** `label_map`: class label (as a string) to BUY, SELL or HOLD; undefined when not declared. */
  readonly labelMap?: Readonly<Record<string, SignalAction>>;
  /** `labeling`: the forward-return rule the training labels came from; undefined when not declared. */
  readonly labeling?: Labeling;
  /**
   * `training_range`: start of the first and last training candles (epoch ms) and the labelled rows; undefined when not
   * declared.
   */
  readonly trainingRange?: { readonly fromMs: number; readonly toMs: number; readonly rows: number };
  /**
   * `metrics`: evaluation figures (for tradepipe's trainer the label counts and the walk-forward summary); undefined
   * when not declared.
   */
  readonly metrics?: Readonly<Record<string, unknown>>;
  /**
   * `trainer`: which trainer made the model (`linear`, `gradient_boosted_trees`, or another tool's name); undefined
   * when not declared.
   */
  readonly trainer?: string;
  /** The products the model was trained on. */
  readonly products?: readonly string[];
  /** `training_code_version`: the trainer code that made the model (e.g. `@tradepipe/model/trainer@2`); undefined when not declared. */
  readonly trainingCodeVersion?: string;
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
    products: parsed.products,
    trainingCodeVersion: parsed.training_code_version,
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
  put(METADATA_KEYS.products, fields.products);
  put(METADATA_KEYS.trainingCodeVersion, fields.trainingCodeVersion);
  return entries;
}
