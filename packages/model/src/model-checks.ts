import { TradepipeError, checkFeatureView } from '@tradepipe/core';
import type { Granularity, SignalAction } from '@tradepipe/core';
import type { ModelMetadata } from './model-metadata.js';

const listed = (names: readonly string[]): string => names.slice(0, 5).map((name) => `'${name}'`).join(', ') + (names.length > 5 ? `, … (${names.length})` : '');

/**
 * Refuses a model that cannot read from the features the pipeline gives: a feature it reads that the set
 * lacks (named), a feature-set version the set is not made of, an input width other than its name count,
 * or another granularity than the expected one. The model may read any subset of the set, in any order.
 * @throws TradepipeError `model_mismatch`
 * @internal
 */
export function checkModelAgainstFeatures(
  metadata: ModelMetadata,
  expected: { readonly featureNames: readonly string[]; readonly featureSetVersion: string; readonly granularity?: Granularity },
  inputWidth: number | undefined,
): void {
  const mismatch = (message: string, details: Record<string, string | number>): TradepipeError =>
    new TradepipeError('model_mismatch', message, { details });
  if (metadata.featureNames === undefined) {
    throw mismatch(`The model declares no '${'feature_names'}' metadata, so its inputs cannot be checked`, { missing: 'feature_names' });
  }
  if (metadata.featureSetVersion === undefined) {
    throw mismatch(`The model declares no 'feature_set_version' metadata; the given features are '${expected.featureSetVersion}'`, { missing: 'feature_set_version' });
  }
  checkFeatureView(expected, { featureNames: metadata.featureNames, featureSetVersion: metadata.featureSetVersion });
  if (inputWidth !== undefined && inputWidth !== metadata.featureNames.length) {
    throw mismatch(`The model's input takes ${inputWidth} columns but it lists ${metadata.featureNames.length} feature names`, { inputWidth });
  }
  if (expected.granularity !== undefined && metadata.granularity !== expected.granularity) {
    throw mismatch(
      `Granularity differs: the model was trained on '${metadata.granularity ?? '(none declared)'}' candles, given '${expected.granularity}'`,
      { modelGranularity: metadata.granularity ?? '', givenGranularity: expected.granularity },
    );
  }
}

/**
 * Refuses a model that declares the products it was trained on when one of `productIds` is not among them.
 * @throws TradepipeError `model_mismatch`
 * @internal
 */
export function checkModelProducts(metadata: ModelMetadata, productIds: readonly string[]): void {
  if (metadata.products === undefined) return;
  const untrained = productIds.filter((productId) => !metadata.products!.includes(productId));
  if (untrained.length > 0) {
    throw new TradepipeError(
      'model_mismatch',
      `The model was trained on ${listed(metadata.products)}, not on ${listed(untrained)}; pass allowUntrainedMarkets: true to run it there anyway`,
      { details: { modelProducts: metadata.products.join(','), untrained: untrained.join(',') } },
    );
  }
}

const ACTION_NAMES: readonly SignalAction[] = ['BUY', 'SELL', 'HOLD'];

/**
 * Maps each probability column to an action: from `labelMap` (option, then metadata), else string
 * labels named BUY/SELL/HOLD, else integer labels -1/0/1 (SELL/HOLD/BUY).
 * @throws TradepipeError `model_mismatch` if a class cannot be mapped.
 * @internal
 */
export function resolveColumnActions(
  classLabels: readonly string[],
  labelMap: Readonly<Record<string, SignalAction>> | undefined,
): SignalAction[] {
  if (labelMap !== undefined) {
    const unmapped = classLabels.filter((label) => labelMap[label] === undefined);
    if (unmapped.length > 0) {
      throw new TradepipeError('model_mismatch', `The label map does not cover the model's classes ${listed(unmapped)}`, { details: { classes: classLabels.join(',') } });
    }
    return classLabels.map((label) => labelMap[label] as SignalAction);
  }
  const upper = classLabels.map((label) => label.toUpperCase());
  if (upper.every((label) => (ACTION_NAMES as readonly string[]).includes(label))) return upper as SignalAction[];
  const byInteger: Record<string, SignalAction> = { '-1': 'SELL', '0': 'HOLD', '1': 'BUY' };
  if (classLabels.every((label) => byInteger[label] !== undefined) && classLabels.includes('-1') && classLabels.includes('1')) {
    return classLabels.map((label) => byInteger[label] as SignalAction);
  }
  throw new TradepipeError(
    'model_mismatch',
    `Cannot tell which of the classes ${listed(classLabels)} is BUY, SELL or HOLD; pass labelMap or set 'label_map' metadata`,
    { details: { classes: classLabels.join(',') } },
  );
}
