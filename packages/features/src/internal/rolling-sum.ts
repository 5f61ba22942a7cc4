import type { StateReader, StateWriter, Stateful } from './state-buffer.js';

/** A running sum below this share of the value that left is recomputed (about 20 bits lost). */
const CANCELLATION_LIMIT = 2 ** -20;

/**
 * Sum of the last `length` values in O(1) per push. The running sum is re-summed from the ring each
 * time the ring wraps (every `length` pushes), so rounding drift never outlives one window, and whenever
 * a value leaving the window was over 2^20 times what remains (cancellation would have eaten the sum). A window of
 * zeros sums to exactly 0, and `isConstant` says whether the whole window holds one value.
 * @internal
 */
export class RollingSum implements Stateful {
  readonly values: Float64Array;
  private position = 0;
  private runningSum = 0;
  private nonZeroCount = 0;
  private runLength = 0;
  private last = 0;
  /** Pushes so far (saturates at the window length). */
  count = 0;

  constructor(readonly length: number) {
    this.values = new Float64Array(length);
  }

  push(value: number): void {
    const values = this.values;
    const old = values[this.position]!;
    if (old !== 0) this.nonZeroCount -= 1;
    if (value !== 0) this.nonZeroCount += 1;
    this.runLength = value === this.last && this.count > 0 ? this.runLength + 1 : 1;
    this.last = value;
    values[this.position] = value;
    if (this.count < this.length) this.count += 1;
    this.position += 1;
    if (this.position === this.length) this.position = 0;
    const runningSum = this.runningSum + (value - old);
    // Recompute exactly when the ring wraps, and when a value leaving the window was so much larger than
    // what remains that the running sum lost most of its bits (it could even turn negative).
    if (this.position === 0 || Math.abs(runningSum) < Math.abs(old) * CANCELLATION_LIMIT) {
      let sum = 0;
      for (let index = 0; index < this.length; index++) sum += values[index]!;
      this.runningSum = sum;
    } else {
      this.runningSum = runningSum;
    }
  }

  /** Whether the window has `length` values. */
  get isFull(): boolean {
    return this.count === this.length;
  }

  /** The sum of the window; exactly 0 when every value in it is 0. */
  get sum(): number {
    return this.nonZeroCount === 0 ? 0 : this.runningSum;
  }

  /** Whether every value in the full window is the same. */
  get isConstant(): boolean {
    return this.runLength >= this.length;
  }

  save(writer: StateWriter): void {
    writer.array(this.values);
    writer.number(this.position);
    writer.number(this.runningSum);
    writer.number(this.nonZeroCount);
    writer.number(this.runLength);
    writer.number(this.last);
    writer.number(this.count);
  }

  load(reader: StateReader): void {
    reader.array(this.values);
    this.position = reader.integer(0, this.length - 1);
    this.runningSum = reader.number();
    this.nonZeroCount = reader.integer(0, this.length);
    this.runLength = reader.integer(0, Number.MAX_SAFE_INTEGER);
    this.last = reader.number();
    this.count = reader.integer(0, this.length);
  }
}
