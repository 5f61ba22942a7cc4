import { TradepipeError } from '@tradepipe/core';
import type { SignalAction } from '@tradepipe/core';

/** Class order of every model this package trains: probability column i is `CLASS_ACTIONS[i]`. @internal */
export const CLASS_ACTIONS: readonly SignalAction[] = ['SELL', 'HOLD', 'BUY'];

/** ONNX integer class labels, in {@link CLASS_ACTIONS} order. @internal */
export const ONNX_CLASS_LABELS: readonly number[] = [-1, 0, 1];

/** The `label_map` metadata written with trained models. @internal */
export const TRAINED_LABEL_MAP: Readonly<Record<string, SignalAction>> = { '-1': 'SELL', '0': 'HOLD', '1': 'BUY' };

/** Number of classes. @internal */
export const CLASS_COUNT = 3;

/** The class index of an action. @internal */
export function classIndexOf(action: SignalAction): number {
  return action === 'SELL' ? 0 : action === 'HOLD' ? 1 : 2;
}

/** Per-class sample weights of a training run: `'balanced'` (the default), `'none'`, or explicit. */
export type ClassWeighting = 'balanced' | 'none' | Readonly<Record<SignalAction, number>>;

/**
 * Class indices of labelled rows, skipping rows whose label is `undefined`.
 * @throws TradepipeError `validation_failed` if lengths differ or nothing is labelled.
 * @internal
 */
export function labelledRows(labels: readonly (SignalAction | undefined)[], rowCount: number): { rows: Int32Array; classes: Uint8Array } {
  if (labels.length !== rowCount) {
    throw new TradepipeError('validation_failed', `There are ${labels.length} labels for ${rowCount} feature rows`, { details: { labels: labels.length, rows: rowCount } });
  }
  const rows: number[] = [];
  const classes: number[] = [];
  labels.forEach((label, row) => {
    if (label === undefined) return;
    rows.push(row);
    classes.push(classIndexOf(label));
  });
  if (rows.length === 0) throw new TradepipeError('validation_failed', 'No labelled rows to train on');
  return { rows: Int32Array.from(rows), classes: Uint8Array.from(classes) };
}
