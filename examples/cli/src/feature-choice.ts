import type { Granularity } from '@tradepipe/core';
import { FEATURE_NAMES, defaultModelFeatureNames } from '@tradepipe/features';
import { stringOption } from './arguments.js';
import { UsageError } from './cli-errors.js';

/** How `--features` chose: the default for the granularity, all of the set, or names the user listed. */
export interface FeatureChoice {
  /** The features the model reads, by name, in order. */
  readonly names: readonly string[];
  /** `default`, `all` or `chosen`. */
  readonly kind: 'default' | 'all' | 'chosen';
}

/**
 * The features a model trained by the CLI reads: `default` (the default model's set at the granularity,
 * `defaultModelFeatureNames` of `@tradepipe/features`), `all` (the 51 of the set) or names separated by commas,
 * in the order given.
 * @throws UsageError for an unknown or repeated name, naming the valid ones
 */
export function featureChoiceOption(values: Readonly<Record<string, string | boolean | undefined>>, name: string, granularity: Granularity): FeatureChoice {
  const text = (stringOption(values, name) ?? 'default').trim();
  if (text === 'default') return { names: defaultModelFeatureNames(granularity), kind: 'default' };
  if (text === 'all') return { names: [...FEATURE_NAMES], kind: 'all' };
  const names = text.split(',').map((one) => one.trim());
  const valid: readonly string[] = FEATURE_NAMES;
  const unknown = names.filter((one) => !valid.includes(one));
  if (unknown.length > 0) {
    throw new UsageError(`unknown feature${unknown.length > 1 ? 's' : ''} ${unknown.map((one) => `'${one}'`).join(', ')} in --${name}; give default, all, or names among: ${valid.join(', ')}`);
  }
  const repeated = names.find((one, index) => names.indexOf(one) !== index);
  if (repeated !== undefined) throw new UsageError(`feature '${repeated}' is named twice in --${name}`);
  return { names, kind: 'chosen' };
}
