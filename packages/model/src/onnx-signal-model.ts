import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { TradepipeError, createFeatureView, isModelView, silentLogger, toTradepipeError } from '@tradepipe/core';
import type { FeatureRows, FeatureVector, PredictionColumns, FeatureView, Granularity, Logger, ModelPrediction, SignalAction, SignalModel } from '@tradepipe/core';
import { inspectModelGraph } from './model-graph.js';
import type { ModelGraphInfo } from './model-graph.js';
import { decodeModelBytes, metadataOfModel } from './model-metadata.js';
import type { ModelMetadata } from './model-metadata.js';
import { checkModelAgainstFeatures, checkModelProducts, resolveColumnActions } from './model-checks.js';
import { predictionFromColumns, writePredictionColumns } from './prediction.js';

/** Options of {@link OnnxSignalModel.load}. Give `path` or `bytes`. */
export interface OnnxSignalModelLoadOptions {
  /** Path of an `.onnx` file. */
  readonly path?: string;
  /** The `.onnx` file contents. */
  readonly bytes?: Uint8Array;
  /**
   * Feature names, in order, of the feature set the pipeline computes (`FEATURE_NAMES` of
   * `@tradepipe/features`, or a composed set's names). The model may read any subset, in any order.
   */
  readonly expectedFeatureNames: readonly string[];
  /** Feature-set version the pipeline computes (`FEATURE_SET_VERSION`, or a composed set's version). */
  readonly expectedFeatureSetVersion: string;
  /** Candle granularity the pipeline runs on; when given, the model must declare the same. */
  readonly expectedGranularity?: Granularity;
  /**
   * Products the pipeline will feed; when given, each must be one the model was trained on (its `products`
   * metadata). Whether given or not, a vector of a product the model was not trained on is refused.
   */
  readonly productIds?: readonly string[];
  /**
   * Opt in to running the model on products or a granularity it was not trained on (default false: such a
   * load or prediction is refused with `model_mismatch`).
   */
  readonly allowUntrainedMarkets?: boolean;
  /** Below this probability a BUY or SELL becomes HOLD (0…1, default 0). */
  readonly minConfidence?: number;
  /** Class label (as a string, e.g. `'2'` or `'up'`) to action; overrides the model's `label_map` metadata. */
  readonly labelMap?: Readonly<Record<string, SignalAction>>;
  /** Used when the model declares no `model_id` (default `'onnx-model'`). */
  readonly modelId?: string;
  /** onnxruntime intra-op threads (default 1: lowest single-row latency). */
  readonly intraOpNumThreads?: number;
  /** Where the `model loaded` line goes (default silent). */
  readonly logger?: Logger;
}

interface LoadedParts {
  readonly allowUntrained: boolean;
  readonly session: ort.InferenceSession;
  readonly view: FeatureView;
  readonly metadata: ModelMetadata;
  readonly graph: ModelGraphInfo;
  readonly columnActions: readonly SignalAction[];
  readonly minConfidence: number;
  readonly modelId: string;
  readonly modelVersion: string;
}

async function readModelBytes(options: OnnxSignalModelLoadOptions): Promise<Uint8Array> {
  if ((options.path === undefined) === (options.bytes === undefined)) {
    throw new TradepipeError('validation_failed', 'Give exactly one of path or bytes to load a model');
  }
  if (options.bytes !== undefined) return options.bytes;
  try {
    return await readFile(options.path as string);
  } catch (error) {
    throw new TradepipeError('model_failed', 'Could not read the model file', { cause: error, details: { path: options.path as string } });
  }
}

function checkLoadOptions(options: OnnxSignalModelLoadOptions): number {
  const minConfidence = options.minConfidence ?? 0;
  if (!(minConfidence >= 0 && minConfidence <= 1)) {
    throw new TradepipeError('validation_failed', 'minConfidence must be between 0 and 1', { details: { minConfidence } });
  }
  if (options.expectedFeatureNames.length === 0) throw new TradepipeError('validation_failed', 'expectedFeatureNames is empty');
  return minConfidence;
}

/**
 * The most rows one onnxruntime run takes. Measured with onnxruntime-node 1.x on linear models of 6 to 300 features:
 * runs of up to 5,200 rows give bit for bit what single predictions give, while a run of 5,500 or 9,000 rounds a
 * fifth of its confidences differently. A larger batch is run in parts of this size, so a prediction never depends
 * on the batch it came in (a batched replay decides what a live run decides, whatever its chunk size), and the
 * reused input stays bounded (this many rows of the model's width).
 */
const MAX_RUN_ROWS = 4_096;

/**
 * A core `SignalModel` running an ONNX classifier on onnxruntime-node (CPU). Loading checks the model's
 * metadata against the features the pipeline gives and refuses any difference; prediction refuses
 * NaN or missing features, maps classes to BUY/SELL/HOLD and applies the minimum confidence.
 *
 * Confidence is the chosen action's probability (summed over classes mapped to the same action); ties
 * go to HOLD, then SELL. A BUY or SELL below `minConfidence` becomes HOLD with the HOLD probability.
 * @example
 * const model = await OnnxSignalModel.load({
 *   path: defaultModelPath(),
 *   expectedFeatureNames: FEATURE_NAMES,
 *   expectedFeatureSetVersion: FEATURE_SET_VERSION,
 *   expectedGranularity: 'ONE_DAY',
 *   minConfidence: 0.5,
 * });
 * const prediction = await model.predict(vector); // { action: 'HOLD', confidence: 0.61, probabilities: {...} }
 */
export class OnnxSignalModel implements SignalModel {
  /** The model's `model_id` metadata, else the `modelId` load option, else `onnx-model`. */
  readonly modelId: string;
  /** The model's `model_version` metadata, else `sha256:` and the first 16 hex digits of the file's hash. */
  readonly modelVersion: string;
  /** The feature names the model declares, checked at load to equal the expected ones, in order. */
  readonly featureNames: readonly string[];
  /** The feature-set version the model declares, checked at load to equal the expected one. */
  readonly featureSetVersion: string;
  /** The candle granularity the model declares; undefined when its metadata names none. */
  readonly granularity?: Granularity;
  /** The starts of the first and last candles the model was trained on (its `training_range` metadata); undefined when it names none. */
  readonly trainingRange?: { readonly fromMs: number; readonly toMs: number };
  /** Everything the model's metadata declares. */
  readonly metadata: ModelMetadata;
  /** The minimum confidence in force. */
  readonly minConfidence: number;
  readonly #session: ort.InferenceSession;
  readonly #graph: ModelGraphInfo;
  readonly #columnActions: readonly SignalAction[];
  readonly #width: number;
  readonly #view: FeatureView;
  readonly #setVersion: string;
  readonly #setWidth: number;
  readonly #products: ReadonlySet<string> | undefined;
  readonly #allowUntrained: boolean;
  /**
   * The input array runs pack their rows into, reused from one run to the next (a batch of 4,096 vectors is 1.6 MB
   * of doubles: fresh each time, it was 80 MB of new external memory per 100,000 candles a replay predicted).
   */
  #input: Float32Array | Float64Array | undefined;
  /** Whether a run is using {@link #input}: a run beside it packs into an array of its own. */
  #inputBusy = false;

  private constructor(parts: LoadedParts, set: { readonly featureNames: readonly string[]; readonly featureSetVersion: string }) {
    this.#session = parts.session;
    this.#view = parts.view;
    this.#setVersion = set.featureSetVersion;
    this.#setWidth = set.featureNames.length;
    this.#allowUntrained = parts.allowUntrained;
    this.#products = parts.metadata.products === undefined ? undefined : new Set(parts.metadata.products);
    this.#graph = parts.graph;
    this.#columnActions = parts.columnActions;
    this.metadata = parts.metadata;
    this.minConfidence = parts.minConfidence;
    this.modelId = parts.modelId;
    this.modelVersion = parts.modelVersion;
    this.featureNames = parts.metadata.featureNames ?? [];
    this.featureSetVersion = parts.metadata.featureSetVersion ?? '';
    if (parts.metadata.granularity !== undefined) this.granularity = parts.metadata.granularity;
    const range = parts.metadata.trainingRange;
    if (range !== undefined) this.trainingRange = { fromMs: range.fromMs, toMs: range.toMs };
    this.#width = this.featureNames.length;
  }

  /**
   * Loads and checks a model.
   * @returns a ready model; call {@link OnnxSignalModel.close} when done.
   * @throws TradepipeError `model_mismatch` if the model reads a feature the pipeline does not give, was
   * trained on another feature-set version, or (unless `allowUntrainedMarkets`) on another granularity or
   * not on every one of `productIds`, or its classes cannot be mapped; `model_failed` if it
   * cannot be read or is not a classifier with a probability output (e.g. a ZipMap output);
   * `validation_failed` for bad options or malformed metadata.
   * @example
   * const model = await OnnxSignalModel.load({ bytes, expectedFeatureNames: names, expectedFeatureSetVersion: '1.0.0' });
   */
  static async load(options: OnnxSignalModelLoadOptions): Promise<OnnxSignalModel> {
    const minConfidence = checkLoadOptions(options);
    const bytes = await readModelBytes(options);
    const decoded = decodeModelBytes(bytes);
    const metadata = metadataOfModel(decoded);
    const graph = inspectModelGraph(decoded);
    const expected = { featureNames: options.expectedFeatureNames, featureSetVersion: options.expectedFeatureSetVersion };
    const allowUntrained = options.allowUntrainedMarkets === true;
    checkModelAgainstFeatures(metadata, options.expectedGranularity === undefined || allowUntrained ? expected : { ...expected, granularity: options.expectedGranularity }, graph.inputWidth);
    if (!allowUntrained) checkModelProducts(metadata, options.productIds ?? []);
    const labelMap = options.labelMap ?? metadata.labelMap;
    const classLabels = graph.classLabels ?? (labelMap === undefined ? undefined : Object.keys(labelMap).sort((a, b) => Number(a) - Number(b)));
    if (classLabels === undefined) {
      throw new TradepipeError('model_mismatch', 'The model names no class labels; pass labelMap keyed by probability column index', {});
    }
    const columnActions = resolveColumnActions(classLabels, labelMap);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: options.intraOpNumThreads ?? 1, interOpNumThreads: 1 });
    } catch (error) {
      throw new TradepipeError('model_failed', 'onnxruntime could not load the model', { cause: error });
    }
    const modelVersion = metadata.modelVersion ?? `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
    const modelId = metadata.modelId ?? options.modelId ?? 'onnx-model';
    (options.logger ?? silentLogger).info('model loaded', { modelId, modelVersion, features: metadata.featureNames?.length ?? 0 });
    const view = createFeatureView(expected, { featureNames: metadata.featureNames ?? [], featureSetVersion: metadata.featureSetVersion ?? '' });
    return new OnnxSignalModel({ session, view, metadata, graph, columnActions, minConfidence, modelId, modelVersion, allowUntrained }, expected);
  }

  /**
   * Predicts one vector.
   * @throws TradepipeError `validation_failed` for NaN or missing features, `model_mismatch` for a vector
   * of another feature-set version or granularity, `model_failed` if inference fails, `aborted`.
   */
  async predict(vector: FeatureVector, options: { readonly signal?: AbortSignal } = {}): Promise<ModelPrediction> {
    // Two rows, not one: onnxruntime's one-row kernels round differently from its batch kernels, and a batch of two
    // gives exactly what predictBatch gives at any size, so a batched replay decides what a live run decides.
    const [prediction] = await this.#run(this.#graph.singleRowInput ? [vector] : [vector, vector], options.signal);
    return prediction as ModelPrediction;
  }

  /**
   * Predicts many vectors in onnxruntime calls of up to 4,096 rows (row by row if the model fixes its batch size
   * to 1): each prediction is bit for bit what {@link OnnxSignalModel.predict} gives for its vector.
   * @throws TradepipeError as {@link OnnxSignalModel.predict}.
   */
  async predictBatch(vectors: readonly FeatureVector[], options: { readonly signal?: AbortSignal } = {}): Promise<ModelPrediction[]> {
    if (vectors.length === 0) return [];
    if (!this.#graph.singleRowInput) {
      if (vectors.length === 1) return [await this.predict(vectors[0]!, options)];
      if (vectors.length <= MAX_RUN_ROWS) return this.#run(vectors, options.signal);
      const predictions: ModelPrediction[] = [];
      for (let start = 0; start < vectors.length; start += MAX_RUN_ROWS) {
        // A last part of one row runs as two, as `predict` does (a one-row run rounds differently).
        const part = vectors.length - start === 1 ? [await this.predict(vectors[start]!, options)] : await this.#run(vectors.slice(start, start + MAX_RUN_ROWS), options.signal);
        for (const prediction of part) predictions.push(prediction);
      }
      return predictions;
    }
    const predictions: ModelPrediction[] = [];
    for (const vector of vectors) predictions.push(...(await this.#run([vector], options.signal)));
    return predictions;
  }

  /**
   * {@link OnnxSignalModel.predictBatch} for vectors given as rows of the feature set's values, written into `into` as
   * numbers (see core's `SignalModel.predictRows`): the same runs (of up to 4,096 rows, a single row run as two), the
   * model's features read from each row by name, so each prediction is bit for bit what `predictBatch` gives for the
   * same vectors. False, nothing written, for rows of another set than the model was loaded for, or for a model that
   * fixes its batch size to 1 (then call `predictBatch`).
   * @throws TradepipeError as {@link OnnxSignalModel.predict}; `validation_failed` when `rows` or `into` hold fewer rows than `rows.count`.
   */
  async predictRows(rows: FeatureRows, into: PredictionColumns, options: { readonly signal?: AbortSignal } = {}): Promise<boolean> {
    if (this.#graph.singleRowInput || rows.featureSetVersion !== this.#setVersion || rows.width !== this.#setWidth) return false;
    if (!(rows.count >= 0 && rows.count * rows.width <= rows.values.length)) {
      throw new TradepipeError('validation_failed', `Feature rows hold ${rows.values.length} values, fewer than ${rows.count} rows of ${rows.width}`, { details: { count: rows.count, width: rows.width } });
    }
    if (!(into.actions.length >= rows.count && into.confidences.length >= rows.count && into.probabilities.length >= 3 * rows.count)) {
      throw new TradepipeError('validation_failed', `The prediction columns hold fewer than ${rows.count} rows`, { details: { count: rows.count } });
    }
    this.#checkSeries(rows.productId, rows.granularity, 0);
    for (let start = 0; start < rows.count; start += MAX_RUN_ROWS) {
      const count = Math.min(MAX_RUN_ROWS, rows.count - start);
      // One row runs as two, as `predict` does (a one-row run rounds differently); only the first is kept.
      const runRows = count === 1 ? 2 : count;
      const output = await this.#runPacked(runRows, (data) => {
        for (let row = 0; row < runRows; row += 1) this.#packRow(rows.values, (start + (count === 1 ? 0 : row)) * rows.width, true, data, row, start + row);
      }, options.signal);
      writePredictionColumns(output, runRows, this.#columnActions, this.minConfidence, into, start, count);
    }
    return true;
  }

  /** Releases the onnxruntime session. */
  async close(): Promise<void> {
    await this.#session.release();
  }

  #newInput(length: number): Float32Array | Float64Array {
    return this.#graph.inputElementType === 'float32' ? new Float32Array(length) : new Float64Array(length);
  }

  /** Packs the vectors' values into `data` (`vectors.length` rows of the model's width). */
  #pack(vectors: readonly FeatureVector[], data: Float32Array | Float64Array): void {
    const width = this.#width;
    for (let row = 0; row < vectors.length; row += 1) {
      const vector = vectors[row] as FeatureVector;
      if (vector.featureSetVersion !== this.featureSetVersion && vector.featureSetVersion !== this.#setVersion) {
        throw new TradepipeError('model_mismatch', `Feature vector of set '${vector.featureSetVersion}' given to a model of set '${this.featureSetVersion}'`, { details: { row } });
      }
      this.#checkSeries(vector.productId, vector.granularity, row);
      const values = vector.values;
      // The set's whole vector (projected here by name) or the model's own view (the pipeline projects: marked so, since
      // a model reading every feature of the set in another order gets views of the set's width and version).
      const whole = !isModelView(vector) && vector.featureSetVersion === this.#setVersion && values.length === this.#setWidth;
      if (!whole && values.length !== width) {
        throw new TradepipeError('validation_failed', `Feature vector has ${values.length} values, the model needs ${width} (or the set's ${this.#setWidth})`, { details: { row } });
      }
      this.#packRow(values, 0, whole, data, row, row);
    }
  }

  /** Refuses a vector of a granularity or product the model was not trained on (unless `allowUntrainedMarkets`). */
  #checkSeries(productId: string, granularity: Granularity, row: number): void {
    if (!this.#allowUntrained && this.granularity !== undefined && granularity !== this.granularity) {
      throw new TradepipeError('model_mismatch', `A ${granularity} feature vector given to a ${this.granularity} model (pass allowUntrainedMarkets to opt in)`, { details: { row } });
    }
    if (!this.#allowUntrained && this.#products !== undefined && !this.#products.has(productId)) {
      throw new TradepipeError('model_mismatch', `A ${productId} feature vector given to a model trained on ${[...this.#products].join(', ')} (pass allowUntrainedMarkets to opt in)`, {
        details: { row, productId },
      });
    }
  }

  /**
   * Writes one vector's values into row `row` of `data`: from `values` at `offset`, the set's whole vector (the
   * model's features read by their columns) when `whole`, else the model's own view in order.
   * @param vectorRow the vector's row as the caller counts it (for errors)
   */
  #packRow(values: ArrayLike<number>, offset: number, whole: boolean, data: Float32Array | Float64Array, row: number, vectorRow: number): void {
    const width = this.#width;
    const columns = this.#view.columns;
    for (let column = 0; column < width; column += 1) {
      const value = values[offset + (whole ? columns[column]! : column)];
      // `value - value !== 0` is `!Number.isFinite(value)` for a number (NaN and ±Infinity give NaN): the builtin
      // call took the value boxed, a heap number per value read (800 bytes per vector, five times the time).
      if (typeof value !== 'number' || value - value !== 0) {
        throw new TradepipeError('validation_failed', `Feature '${this.featureNames[column] ?? column}' is missing or not finite`, { details: { row: vectorRow, column } });
      }
      data[row * width + column] = value;
    }
  }

  async #run(vectors: readonly FeatureVector[], signal: AbortSignal | undefined): Promise<ModelPrediction[]> {
    return predictionFromColumns(await this.#runPacked(vectors.length, (data) => this.#pack(vectors, data), signal), vectors.length, this.#columnActions, this.minConfidence);
  }

  /** One onnxruntime run of `rows` rows, which `pack` writes into the input: the output's probabilities, `[rows, classes]`. */
  async #runPacked(rows: number, pack: (data: Float32Array | Float64Array) => void, signal: AbortSignal | undefined): Promise<Float32Array | Float64Array> {
    try {
      signal?.throwIfAborted();
    } catch (error) {
      throw toTradepipeError(error);
    }
    const length = rows * this.#width;
    // The reused input unless another run holds it (onnxruntime reads it until the run ends).
    const reuse = !this.#inputBusy;
    let data: Float32Array | Float64Array;
    if (reuse) {
      if (this.#input === undefined || this.#input.length < length) this.#input = this.#newInput(length);
      data = this.#input.length === length ? this.#input : this.#input.subarray(0, length);
      this.#inputBusy = true;
    } else data = this.#newInput(length);
    let output: ort.Tensor | undefined;
    try {
      pack(data);
      const tensor = new ort.Tensor(this.#graph.inputElementType, data, [rows, this.#width]);
      try {
        const result = await this.#session.run({ [this.#graph.inputName]: tensor }, [this.#graph.probabilitiesName]);
        output = result[this.#graph.probabilitiesName];
      } catch (error) {
        throw new TradepipeError('model_failed', 'Inference failed', { cause: error, details: { modelId: this.modelId, rows } });
      }
    } finally {
      if (reuse) this.#inputBusy = false;
    }
    if (output === undefined) throw new TradepipeError('model_failed', 'The model returned no probabilities', { details: { modelId: this.modelId } });
    return output.data as Float32Array | Float64Array;
  }
}
