import { TradepipeError } from '@tradepipe/core';
import type { ModelPrediction, SignalAction } from '@tradepipe/core';

const TOLERANCE = 1e-3;

const clamp = (value: number): number => Math.min(1, Math.max(0, value));

/**
 * Turns a `[rows, columns]` probability tensor into predictions: sums columns per action, picks the
 * most probable action (ties: HOLD, then SELL, then BUY) and applies the minimum confidence.
 * @throws TradepipeError `model_failed` if a row is not a probability distribution.
 * @internal
 */
export function predictionFromColumns(
  probabilities: ArrayLike<number>,
  rows: number,
  columnActions: readonly SignalAction[],
  minConfidence: number,
): ModelPrediction[] {
  const columns = columnActions.length;
  if (probabilities.length !== rows * columns) {
    throw new TradepipeError('model_failed', `The model returned ${probabilities.length} probabilities for ${rows} rows of ${columns} classes`, {});
  }
  const predictions: ModelPrediction[] = new Array<ModelPrediction>(rows);
  for (let row = 0; row < rows; row += 1) {
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
    predictions[row] = { action, confidence: clamp(confidence), probabilities: { BUY: clamp(buy), SELL: clamp(sell), HOLD: clamp(hold) } };
  }
  return predictions;
}
