import { TradepipeError } from './errors.js';
import type { FeatureVector } from './records/market.js';

/** What a feature view is built from: the names and version of a feature set, or of a model. */
export interface FeatureNamesAndVersion {
  /** Feature names, in the order of the values of the vectors (the set's) or the order the model reads them (a model's). */
  readonly featureNames: readonly string[];
  /** The feature set's version, e.g. `tp-51-v2`; a composed set's parts are joined by `+`. */
  readonly featureSetVersion: string;
}

/**
 * A model's view of a feature set: the features the model reads, by name, in the model's order, picked
 * out of each vector the set computes. Built once (an index map), then {@link FeatureView.project} costs
 * one array of the model's width per vector and nothing else.
 */
export interface FeatureView {
  /** The model's feature names, in the model's order. */
  readonly featureNames: readonly string[];
  /** The model's feature-set version: projected vectors carry it. */
  readonly featureSetVersion: string;
  /** For each model feature, its column in the set's vectors. */
  readonly columns: Int32Array;
  /** Whether the model reads every feature of the set in the set's order (projection returns the vector itself). */
  readonly isIdentity: boolean;
  /**
   * The model's view of one vector of the set.
   * @throws TradepipeError `model_mismatch` if the vector is not of the set's version and width
   */
  project(vector: FeatureVector): FeatureVector;
}

/**
 * The parts of a feature-set version: a set composed of a base set and plugin sets carries their versions
 * joined by `+` (e.g. `tp-51-v2+my-plugin-v1`).
 * @example
 * featureSetVersionParts('tp-51-v2+my-plugin-v1'); // ['tp-51-v2', 'my-plugin-v1']
 */
export function featureSetVersionParts(version: string): string[] {
  return version.split('+');
}

/**
 * The mark `FeatureView.project` sets on a vector it makes (a model's view, not the set's vector): a model that also
 * takes the set's whole vectors tells the two apart by it, not by their shape. A model reading every feature of the
 * set in another order under the set's version gets views of the set's width and version: taken for the set's
 * vectors, they were reordered a second time. `Symbol.for`: the same mark across copies of this package.
 * @internal
 */
export const MODEL_VIEW: unique symbol = Symbol.for('tradepipe.featureView.modelView') as never;

/**
 * Whether `vector` is a model's view made by `FeatureView.project` (it marks them: not enumerable), not the set's vector: a
 * model that takes both tells them apart by this, not by their shape (a view of every feature in another order has the
 * set's width and version).
 * @example
 * isModelView(view.project(vector)); // true unless the view is the set itself (then `project` returns `vector`)
 */
export function isModelView(vector: FeatureVector): boolean {
  return (vector as { readonly [MODEL_VIEW]?: unknown })[MODEL_VIEW] === true;
}

/**
 * Builds a model's view of a feature set. The model may read any subset of the set's features, in any
 * order; every name it reads must be in the set, once, and every part of its feature-set version must be
 * a part of the set's (a model trained on `tp-51-v2` reads from `tp-51-v2+my-plugin-v1`, not the other way).
 * @param set the feature set the pipeline computes
 * @param model the features the model reads and the version it was trained on
 * @returns the view; `project` picks the model's values out of each vector of the set
 * @throws TradepipeError `model_mismatch` naming the features the set lacks, duplicated names, or the
 * version parts the set lacks
 * @example
 * const view = createFeatureView(
 *   { featureNames: ['a', 'b', 'c'], featureSetVersion: 'v1' },
 *   { featureNames: ['c', 'a'], featureSetVersion: 'v1' },
 * );
 * view.project(vector).values; // [vector.values[2], vector.values[0]]
 */
export function createFeatureView(set: FeatureNamesAndVersion, model: FeatureNamesAndVersion): FeatureView {
  checkFeatureView(set, model);
  const positions = new Map(set.featureNames.map((name, index) => [name, index]));
  const columns = Int32Array.from(model.featureNames, (name) => positions.get(name)!);
  const isIdentity = columns.length === set.featureNames.length && columns.every((column, index) => column === index);
  const setWidth = set.featureNames.length;
  const { featureSetVersion } = model;
  return {
    featureNames: model.featureNames,
    featureSetVersion,
    columns,
    isIdentity,
    project(vector: FeatureVector): FeatureVector {
      if (vector.featureSetVersion !== set.featureSetVersion || vector.values.length !== setWidth) {
        throw new TradepipeError('model_mismatch', 'The vector is not one of the feature set this view was built on', {
          details: { expectedVersion: set.featureSetVersion, receivedVersion: vector.featureSetVersion, expectedWidth: setWidth, receivedWidth: vector.values.length },
        });
      }
      if (isIdentity && featureSetVersion === vector.featureSetVersion) return vector;
      const source = vector.values;
      const values = new Array<number>(columns.length);
      for (let index = 0; index < columns.length; index++) values[index] = source[columns[index]!]!;
      const projected = { ...vector, featureSetVersion, values };
      // Marked as the model's view (not enumerable: a record, JSON and equality see the vector alone).
      Object.defineProperty(projected, MODEL_VIEW, { value: true });
      return projected;
    },
  };
}

/**
 * Checks that a model can read from a feature set (see {@link createFeatureView}) without building the view.
 * @throws TradepipeError `model_mismatch` naming what the set lacks
 * @example
 * checkFeatureView(featureSet, model); // throws if the model reads a feature the set does not compute
 */
export function checkFeatureView(set: FeatureNamesAndVersion, model: FeatureNamesAndVersion): void {
  if (model.featureNames.length === 0) throw new TradepipeError('model_mismatch', 'The model reads no features');
  const available = new Set(set.featureNames);
  const missing = model.featureNames.filter((name) => !available.has(name));
  if (missing.length > 0) {
    throw new TradepipeError('model_mismatch', `The model reads features the feature set does not compute: ${listed(missing)}`, {
      details: { missing: missing.join(','), missingCount: missing.length },
    });
  }
  const duplicated = model.featureNames.filter((name, index) => model.featureNames.indexOf(name) !== index);
  if (duplicated.length > 0) {
    throw new TradepipeError('model_mismatch', `The model lists features twice: ${listed(duplicated)}`, { details: { duplicated: duplicated.join(',') } });
  }
  const setParts = featureSetVersionParts(set.featureSetVersion);
  const missingParts = featureSetVersionParts(model.featureSetVersion).filter((part) => !setParts.includes(part));
  if (missingParts.length > 0) {
    throw new TradepipeError(
      'model_mismatch',
      `The model was trained on feature set '${model.featureSetVersion}', the pipeline computes '${set.featureSetVersion}' (lacking ${listed(missingParts)})`,
      { details: { modelFeatureSetVersion: model.featureSetVersion, featureSetVersion: set.featureSetVersion } },
    );
  }
}

function listed(names: readonly string[]): string {
  return names.slice(0, 8).map((name) => `'${name}'`).join(', ') + (names.length > 8 ? `, … (${names.length})` : '');
}
