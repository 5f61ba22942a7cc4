import { PREDICTION_ACTIONS, TradepipeError } from '@tradepipe/core';
import type { ModelPrediction, PredictionColumns, SignalAction } from '@tradepipe/core';

const TOLERANCE = 1e-3;

const clamp = (value: number): number => Math.min(1, Math.max(0, value));

/** The code of each action in `PredictionColumns.actions`: its index in core's `PREDICTION_ACTIONS`. */
const ACTION_CODES = Object.fromEntries(PREDICTION_ACTIONS.map((action, code) => [action, code])) as Readonly<Record<SignalAction, number>>;

/**
 * Writes the predictions of a `[rows, columns]` probability tensor into `into` from row `offset` on, the first `take`
 * rows of it (all by default): sums columns per action, picks the most probable action (ties: HOLD, then SELL, then
 * BUY) and applies the minimum confidence.
 * @throws TradepipeError `model_failed` if a row is not a probability distribution (rows before it are written).
 * @internal
 */
export function writePredictionColumns(
  probabilities: ArrayLike<number>,
  rows: number,
  columnActions: readonly SignalAction[],
  minConfidence: number,
  into: PredictionColumns,
  offset: number,
  take = rows,
): void {
  const columns = columnActions.length;
  if (probabilities.length !== rows * columns) {
    throw new TradepipeError('model_failed', `The model returned ${probabilities.length} probabilities for ${rows} rows of ${columns} classes`, {});
  }
  const { actions, confidences } = into;
  const out = into.probabilities;
  for (let row = 0; row < take; row += 1) {
    let buy = 0;
    let sell = 0;
    let hold = 0;
    for (let column = 0; column < columns; column += 1) {
      const value = probabilities[row * columns + column] as number;
      if (!(value >= -TOLERANCE && value <= 1 + TOLERANCE)) {
        throw new TradepipeError('model_failed', 'The model output is not a probability (raw scores? export with a softmax/probability output)', { details: { row, column } });
      }
      const action = columnActions[column];
      if (action === 'BUY') buy += value;
      else if (action === 'SELL') sell += value;
      else hold += value;
    }
    if (Math.abs(buy + sell + hold - 1) > TOLERANCE) {
      throw new TradepipeError('model_failed', 'The model probabilities do not sum to 1', { details: { row, sum: buy + sell + hold } });
    }
    let action: SignalAction = 'HOLD';
    let confidence = hold;
    if (sell > confidence) {
      action = 'SELL';
      confidence = sell;
    }
    if (buy > confidence) {
      action = 'BUY';
      confidence = buy;
    }
    if (action !== 'HOLD' && confidence < minConfidence) {
      action = 'HOLD';
      confidence = hold;
    }
    const at = offset + row;
    actions[at] = ACTION_CODES[action];
    confidences[at] = clamp(confidence);
    out[3 * at] = clamp(buy);
    out[3 * at + 1] = clamp(sell);
    out[3 * at + 2] = clamp(hold);
  }
}

/** The columns {@link predictionFromColumns} writes into before making objects, grown as needed (the function is synchronous). */
let scratch: PredictionColumns = { actions: new Uint8Array(0), confidences: new Float64Array(0), probabilities: new Float64Array(0) };

/**
 * Turns a `[rows, columns]` probability tensor into predictions, as {@link writePredictionColumns} computes them.
 * @throws TradepipeError `model_failed` if a row is not a probability distribution.
 * @internal
 */
export function predictionFromColumns(probabilities: ArrayLike<number>, rows: number, columnActions: readonly SignalAction[], minConfidence: number): ModelPrediction[] {
  if (scratch.actions.length < rows) scratch = { actions: new Uint8Array(rows), confidences: new Float64Array(rows), probabilities: new Float64Array(3 * rows) };
  const { actions, confidences, probabilities: out } = scratch;
  writePredictionColumns(probabilities, rows, columnActions, minConfidence, scratch, 0);
  const predictions: ModelPrediction[] = new Array<ModelPrediction>(rows);
  for (let row = 0; row < rows; row += 1) {
    predictions[row] = { action: PREDICTION_ACTIONS[actions[row]!]!, confidence: confidences[row]!, probabilities: { BUY: out[3 * row]!, SELL: out[3 * row + 1]!, HOLD: out[3 * row + 2]! } };
  }
  return predictions;
}
