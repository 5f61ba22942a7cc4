import { TradepipeError } from '@tradepipe/core';
import type { SignalAction } from '@tradepipe/core';
import { CLASS_ACTIONS, classIndexOf } from './classes.js';
import type { ClassWeighting } from './classes.js';

/**
 * Class weights inversely proportional to class frequency, as scikit-learn's `class_weight="balanced"`:
 * `weight(c) = labelled / (presentClasses × count(c))`, so every present class carries the same total
 * weight. `undefined` labels are ignored; a class with no samples gets weight 0.
 * @returns a weight per action
 * @throws TradepipeError `validation_failed` if no label is given.
 * @example
 * balancedClassWeights(['BUY', 'HOLD', 'HOLD', 'HOLD']); // { BUY: 2, HOLD: 0.666…, SELL: 0 }
 */
export function balancedClassWeights(labels: readonly (SignalAction | undefined)[]): Record<SignalAction, number> {
  const counts = [0, 0, 0];
  let total = 0;
  for (const label of labels) {
    if (label === undefined) continue;
    counts[classIndexOf(label)] = (counts[classIndexOf(label)] ?? 0) + 1;
    total += 1;
  }
  if (total === 0) throw new TradepipeError('validation_failed', 'Cannot weight classes without labels');
  const present = counts.filter((count) => count > 0).length;
  const weights = { SELL: 0, HOLD: 0, BUY: 0 };
  CLASS_ACTIONS.forEach((action, index) => {
    const count = counts[index] ?? 0;
    weights[action] = count === 0 ? 0 : total / (present * count);
  });
  return weights;
}

/**
 * Per-row sample weights for the labelled rows of a training run.
 * @throws TradepipeError `validation_failed` for negative or non-finite explicit weights.
 * @internal
 */
export function sampleWeightsFor(classes: Uint8Array, weighting: ClassWeighting): Float64Array {
  let perClass: number[];
  if (weighting === 'none') perClass = [1, 1, 1];
  else {
    const byAction = weighting === 'balanced' ? balancedClassWeights(Array.from(classes, (index) => CLASS_ACTIONS[index])) : weighting;
    perClass = CLASS_ACTIONS.map((action) => byAction[action]);
  }
  if (perClass.some((weight) => !(weight >= 0) || !Number.isFinite(weight))) {
    throw new TradepipeError('validation_failed', 'Class weights must be finite and not negative');
  }
  return Float64Array.from(classes, (index) => perClass[index] ?? 0);
}
