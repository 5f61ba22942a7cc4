import { PREDICTION_ACTIONS as ACTIONS, type ModelPrediction, type PredictionColumns } from '../interfaces.js';
import type { SignalAction } from '../records/trading.js';

/** A row's code when it holds no prediction. */
const NONE = 255;
/** Flag bit in a row's code: the prediction has `probabilities`. */
const WITH_PROBABILITIES = 4;
/** The keys of a plain prediction, in the order the shipped models write them. */
const PREDICTION_KEYS = ['action', 'confidence', 'probabilities'] as const;
/** The keys of plain probabilities, in order. */
const PROBABILITY_KEYS = ['BUY', 'SELL', 'HOLD'] as const;

/** Probabilities the scratch reads rewrite. */
type MutableProbabilities = { BUY: number; SELL: number; HOLD: number };

/**
 * Makes the probabilities {@link ChunkPredictions.scratchProbabilitiesAt} rewrites: a plain object (its prototype
 * `Object.prototype`) made by its own constructor, not by an object literal, so that its hidden class is its own and
 * its fields stay doubles written in place (a `{ BUY, SELL, HOLD }` literal shares its hidden class with every
 * prediction's probabilities, whose fields V8 had generalised: three heap numbers per read).
 */
function ScratchProbabilities(this: MutableProbabilities): void {
  this.BUY = 0.5;
  this.SELL = 0.5;
  this.HOLD = 0.5;
}
ScratchProbabilities.prototype = Object.prototype;

/**
 * The predictions of one chunk of the batched replay, by the row of the candle's vector in the chunk's matrix, as
 * numbers in typed arrays reused by every chunk. A chunk's prediction objects would otherwise live from its
 * `predictBatch` until its bulk write, long enough for V8 to allocate every one of them in the old generation
 * (pretenuring: a replayed year of minutes put 90 MB of them there); here they die as soon as they are read.
 *
 * A prediction is taken only when it is a plain object with exactly the keys `action` (BUY, SELL or HOLD),
 * `confidence` (a number) and, optionally, `probabilities` (a plain object of exactly BUY, SELL and HOLD, numbers),
 * in that order: {@link ChunkPredictions.predictionAt} then rebuilds an equal one. Any other is kept as it is by
 * the caller ({@link ChunkPredictions.take} returns false).
 * @internal
 */
export class ChunkPredictions {
  private codes = new Uint8Array(0);
  private confidences = new Float64Array(0);
  private probabilities = new Float64Array(0);
  /** The probabilities {@link ChunkPredictions.scratchProbabilitiesAt} rewrites. */
  private readonly scratch: MutableProbabilities = new (ScratchProbabilities as unknown as new () => MutableProbabilities)();
  /**
   * Where a model's `predictRows` writes the chunk's predictions (row `i` at index `i`): its own actions, then the
   * confidences and probabilities read once {@link takeWritten} took the row (a failed write leaves every row without).
   */
  columns: PredictionColumns = { actions: new Uint8Array(0), confidences: this.confidences, probabilities: this.probabilities };

  /** Starts a chunk of at most `rows` rows: none holds a prediction. */
  reset(rows: number): void {
    if (rows > this.codes.length) {
      this.codes = new Uint8Array(rows);
      this.confidences = new Float64Array(rows);
      this.probabilities = new Float64Array(3 * rows);
      this.columns = { actions: new Uint8Array(rows), confidences: this.confidences, probabilities: this.probabilities };
    }
    this.codes.fill(NONE, 0, rows);
    // A row a model leaves unwritten reads as no action, never as the previous chunk's.
    this.columns.actions.fill(NONE, 0, rows);
  }

  /**
   * Takes the first `count` rows a model's `predictRows` wrote into {@link columns}. A row left unwritten, or whose
   * numbers a signal record refuses or that contradict each other (see {@link contradictsProbabilities}), is not
   * taken: its candle takes the full path, where the stage asks the model's `predict`, as the candle-by-candle replay
   * does (a model that breaks `predictRows`' contract then records what that replay records).
   */
  takeWritten(count: number): void {
    const { codes, confidences, probabilities } = this;
    const actions = this.columns.actions;
    for (let row = 0; row < count; row += 1) {
      const code = actions[row]!;
      const confidence = confidences[row]!;
      const buy = probabilities[3 * row]!;
      const sell = probabilities[3 * row + 1]!;
      const hold = probabilities[3 * row + 2]!;
      if (code < ACTIONS.length && isProbability(confidence) && isProbability(buy) && isProbability(sell) && isProbability(hold) && !contradictsProbabilities(ACTIONS[code], buy, sell, hold)) {
        codes[row] = code | WITH_PROBABILITIES;
      }
    }
  }

  /** Takes the prediction of a row; false (nothing taken) for a prediction not of the plain shape rebuilt here, or a row past {@link reset}'s. */
  take(row: number, prediction: ModelPrediction | undefined): boolean {
    if (row >= this.codes.length || prediction === null || typeof prediction !== 'object' || Object.getPrototypeOf(prediction) !== Object.prototype) return false;
    let keys = 0;
    for (const key in prediction) {
      if (key !== PREDICTION_KEYS[keys]) return false;
      keys += 1;
    }
    const action = ACTIONS.indexOf(prediction.action);
    const { confidence, probabilities } = prediction;
    // A confidence or probability a signal record refuses (NaN, 7) is not taken: kept on the item, the candle takes the
    // full path, where the stage refuses it as the candle-by-candle replay does.
    if (keys < 2 || action < 0 || !isProbability(confidence)) return false;
    if (keys === 2) {
      this.codes[row] = action;
      this.confidences[row] = confidence;
      return true;
    }
    if (!isPlainProbabilities(probabilities) || contradictsProbabilities(prediction.action, probabilities.BUY, probabilities.SELL, probabilities.HOLD)) return false;
    this.codes[row] = action | WITH_PROBABILITIES;
    this.confidences[row] = confidence;
    this.probabilities[3 * row] = probabilities.BUY;
    this.probabilities[3 * row + 1] = probabilities.SELL;
    this.probabilities[3 * row + 2] = probabilities.HOLD;
    return true;
  }

  /** Whether a row holds a prediction. */
  has(row: number): boolean {
    return row < this.codes.length && this.codes[row] !== NONE;
  }

  /** The action of a row's prediction (a row that holds one). */
  actionAt(row: number): SignalAction {
    return ACTIONS[this.codes[row]! & 3]!;
  }

  /** The confidence of a row's prediction (a row that holds one). */
  confidenceAt(row: number): number {
    return this.confidences[row]!;
  }

  /** The probabilities of a row's prediction as a new object, `undefined` when it had none (a row that holds one). */
  probabilitiesAt(row: number): ModelPrediction['probabilities'] {
    if ((this.codes[row]! & WITH_PROBABILITIES) === 0) return undefined;
    return { BUY: this.probabilities[3 * row]!, SELL: this.probabilities[3 * row + 1]!, HOLD: this.probabilities[3 * row + 2]! };
  }

  /** As {@link probabilitiesAt}, in one object rewritten at each call (valid until the next). */
  scratchProbabilitiesAt(row: number): ModelPrediction['probabilities'] {
    if ((this.codes[row]! & WITH_PROBABILITIES) === 0) return undefined;
    const scratch = this.scratch;
    scratch.BUY = this.probabilities[3 * row]!;
    scratch.SELL = this.probabilities[3 * row + 1]!;
    scratch.HOLD = this.probabilities[3 * row + 2]!;
    return scratch;
  }

  /** A row's prediction, rebuilt (a new object equal to the one taken), `undefined` when the row holds none. */
  predictionAt(row: number): ModelPrediction | undefined {
    if (!this.has(row)) return undefined;
    const action = this.actionAt(row);
    const confidence = this.confidences[row]!;
    const probabilities = this.probabilitiesAt(row);
    return probabilities === undefined ? { action, confidence } : { action, confidence, probabilities };
  }
}

/** Whether `value` is a plain object of exactly BUY, SELL and HOLD, in order, each a number. */
function isPlainProbabilities(value: unknown): value is MutableProbabilities {
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  let keys = 0;
  for (const key in value) {
    if (key !== PROBABILITY_KEYS[keys]) return false;
    keys += 1;
  }
  const { BUY, SELL, HOLD } = value as Record<string, unknown>;
  return keys === 3 && isProbability(BUY) && isProbability(SELL) && isProbability(HOLD);
}

/** A number a signal record takes as a probability: finite, in [0, 1] (as `SignalSchema`'s `probability`). */
const isProbability = (value: unknown): value is number => typeof value === 'number' && value >= 0 && value <= 1;

/**
 * Whether a signal record takes a model's prediction of any shape (as `SignalSchema` checks its action, confidence
 * and probabilities): what a quiet decision asks of a prediction {@link ChunkPredictions.take} did not take.
 * @internal
 */
export function isRecordablePrediction(prediction: unknown): boolean {
  if (predictionProblem(prediction) !== undefined) return false;
  const { action, confidence, probabilities } = prediction as { action: unknown; confidence: unknown; probabilities?: unknown };
  if (!(ACTIONS as readonly unknown[]).includes(action) || !isProbability(confidence)) return false;
  if (probabilities === undefined) return true;
  if (probabilities === null || typeof probabilities !== 'object') return false;
  const { BUY, SELL, HOLD } = probabilities as Record<string, unknown>;
  return isProbability(BUY) && isProbability(SELL) && isProbability(HOLD);
}

/**
 * How far a prediction's three probabilities may sum from 1: 0.01. Loose on purpose: a float32 model rounds, and a model
 * that clamps each probability into [0, 1] after checking its own sum (as `@tradepipe/model` does, within 1e-3) can
 * sum to a few thousandths past 1; what is refused is a prediction its probabilities contradict (0.6, or 3).
 */
export const PROBABILITY_SUM_TOLERANCE = 0.01;

/**
 * Whether an action contradicts the probabilities given with it: they do not sum to 1 (within
 * {@link PROBABILITY_SUM_TOLERANCE}), or it is a BUY or SELL while another action is more probable. A HOLD may come
 * with any (a confidence bar turns a weak BUY into a HOLD).
 * @internal
 */
export function contradictsProbabilities(action: unknown, BUY: number, SELL: number, HOLD: number): boolean {
  if (!(Math.abs(BUY + SELL + HOLD - 1) <= PROBABILITY_SUM_TOLERANCE)) return true;
  if (action === 'BUY') return BUY < SELL || BUY < HOLD;
  if (action === 'SELL') return SELL < BUY || SELL < HOLD;
  return false;
}

/**
 * Why a model's answer is no prediction the signal stage takes, `undefined` when it is one as far as this checks:
 * not an object (a model that returns `undefined` or `null`), or an action its own probabilities contradict (see
 * {@link contradictsProbabilities}). A field a signal record refuses (an unknown action, a NaN confidence) is left to
 * the record's schema. The signal stage throws `model_failed` with it; the batched replay sends such a candle the
 * full path, to the same refusal.
 * @internal
 */
export function predictionProblem(prediction: unknown): string | undefined {
  if (prediction === null || typeof prediction !== 'object') return `The model returned no prediction (${prediction === null ? 'null' : typeof prediction})`;
  const { action, probabilities } = prediction as { action?: unknown; probabilities?: unknown };
  if (probabilities === null || typeof probabilities !== 'object') return undefined;
  const { BUY, SELL, HOLD } = probabilities as Record<string, unknown>;
  if (typeof BUY !== 'number' || typeof SELL !== 'number' || typeof HOLD !== 'number') return undefined;
  if (!contradictsProbabilities(action, BUY, SELL, HOLD)) return undefined;
  return `The model's ${String(action)} contradicts its probabilities (BUY ${BUY}, SELL ${SELL}, HOLD ${HOLD}: they must sum to 1, and a BUY or SELL must be the most probable)`;
}
