import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TradepipeError } from '@tradepipe/core';
import { OnnxSignalModel } from './onnx-signal-model.js';
import type { OnnxSignalModelLoadOptions } from './onnx-signal-model.js';

/** File name of the shipped default model (in the package's `models/` folder). */
export const DEFAULT_MODEL_FILE = 'btc-usd-1d-default.onnx';

function moduleDirectory(): string {
  // import.meta.url in the sources and the ESM build; the CJS build rewrites it from __filename. Never a
  // global __dirname: `node -e` defines one ('.') that says nothing about where this module is.
  return dirname(fileURLToPath(import.meta.url));
}

/**
 * Absolute path of the shipped default model: BTC-USD daily candles, the 51 features of
 * `@tradepipe/features`; see the package README for how it was trained and how well it does.
 * Works from the sources, the ESM build and the CJS build (all one folder below the package root).
 * @returns the `.onnx` path
 * @throws TradepipeError `model_failed` if the file is not there (a broken install).
 * @example
 * const bytes = await readFile(defaultModelPath());
 */
export function defaultModelPath(): string {
  const path = join(moduleDirectory(), '..', 'models', DEFAULT_MODEL_FILE);
  if (!existsSync(path)) throw new TradepipeError('model_failed', 'The default model file is missing from the package', { details: { file: DEFAULT_MODEL_FILE } });
  return path;
}

/**
 * Loads the shipped default model, checked against the features the pipeline gives (as
 * {@link OnnxSignalModel.load}); the granularity defaults to `ONE_DAY`, the one it was trained on.
 * @throws TradepipeError as {@link OnnxSignalModel.load}: `model_mismatch` when the features differ.
 * @example
 * const model = await loadDefaultModel({
 *   expectedFeatureNames: FEATURE_NAMES,
 *   expectedFeatureSetVersion: FEATURE_SET_VERSION,
 *   minConfidence: 0.45,
 * });
 */
export async function loadDefaultModel(options: Omit<OnnxSignalModelLoadOptions, 'path' | 'bytes'>): Promise<OnnxSignalModel> {
  return OnnxSignalModel.load({ expectedGranularity: 'ONE_DAY', ...options, path: defaultModelPath() });
}
