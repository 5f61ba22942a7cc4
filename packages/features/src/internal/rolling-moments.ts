import type { StateReader, StateWriter, Stateful } from './state-buffer.js';

/** Below this share of what the leaving value carried, the sliding sums are recomputed (about 20 bits lost). */
const CANCELLATION_LIMIT = 2 ** -20;

/**
 * Mean and variance of the last `length` values in O(1) per push: a sliding Welford update, recomputed
 * exactly (two passes over the ring) each time the ring wraps so rounding drift never outlives one
 * window, and whenever a leaving value dominated the window (cancellation would have eaten the sums).
 * A window of one repeated value has exactly that mean and a variance of exactly 0.
 * @internal
 */
export class RollingMoments implements Stateful {
  readonly values: Float64Array;
  private position = 0;
  private runningMean = 0;
  private sumOfSquares = 0;
  private runLength = 0;
  private last = 0;
  /** Pushes so far (saturates at the window length). */
  count = 0;

  constructor(readonly length: number) {
    this.values = new Float64Array(length);
  }

  push(value: number): void {
    const values = this.values;
    let cancelled = false;
    if (this.count < this.length) {
      this.count += 1;
      const delta = value - this.runningMean;
      this.runningMean += delta / this.count;
      this.sumOfSquares += delta * (value - this.runningMean);
    } else {
      const old = values[this.position]!;
      const mean = this.runningMean + (value - old) / this.length;
      const oldDeviation = old - this.runningMean;
      this.sumOfSquares += (value - old) * (value - mean + oldDeviation);
      this.runningMean = mean;
      // A value leaving that dominated the window leaves the sliding update with few good bits.
      cancelled = this.sumOfSquares < CANCELLATION_LIMIT * oldDeviation * oldDeviation;
    }
    this.runLength = this.count > 1 && value === this.last ? this.runLength + 1 : 1;
    this.last = value;
    values[this.position] = value;
    this.position += 1;
    if (this.position === this.length) this.position = 0;
    if (this.count === this.length && (this.position === 0 || cancelled)) this.recompute();
  }

  private recompute(): void {
    const values = this.values;
    let sum = 0;
    for (let index = 0; index < this.length; index++) sum += values[index]!;
    const mean = sum / this.length;
    let squares = 0;
    for (let index = 0; index < this.length; index++) {
      const deviation = values[index]! - mean;
      squares += deviation * deviation;
    }
    this.runningMean = mean;
    this.sumOfSquares = squares;
  }

  /** Whether the window has `length` values. */
  get isFull(): boolean {
    return this.count === this.length;
  }

  /** Whether every value in the full window is the same. */
  get isConstant(): boolean {
    return this.runLength >= this.length;
  }

  /** Mean of the window (exactly the value when the window is constant). */
  get mean(): number {
    return this.runLength >= this.length ? this.last : this.runningMean;
  }

  /** Population variance (divides by n); exactly 0 for a constant window, never negative. */
  get populationVariance(): number {
    if (this.runLength >= this.length || this.sumOfSquares <= 0) return 0;
    return this.sumOfSquares / this.length;
  }

  /** Sample variance (divides by n − 1); exactly 0 for a constant window, never negative. */
  get sampleVariance(): number {
    if (this.runLength >= this.length || this.sumOfSquares <= 0) return 0;
    return this.sumOfSquares / (this.length - 1);
  }

  save(writer: StateWriter): void {
    writer.array(this.values);
    writer.number(this.position);
    writer.number(this.runningMean);
    writer.number(this.sumOfSquares);
    writer.number(this.runLength);
    writer.number(this.last);
    writer.number(this.count);
  }

  load(reader: StateReader): void {
    reader.array(this.values);
    this.position = reader.integer(0, this.length - 1);
    this.runningMean = reader.number();
    this.sumOfSquares = reader.number();
    this.runLength = reader.integer(0, Number.MAX_SAFE_INTEGER);
    this.last = reader.number();
    this.count = reader.integer(0, this.length);
  }
}
