import type { StateReader, StateWriter, Stateful } from './state-buffer.js';

/**
 * Highest (or lowest) of the last `length` values: a monotonic deque in preallocated rings, amortised
 * O(1) per push and exact (only comparisons; a minimum keeps negated values, negation being exact).
 * @internal
 */
export class RollingExtreme implements Stateful {
  private readonly dequeValues: Float64Array;
  private readonly dequeIndices: Float64Array;
  private head = 0;
  private size = 0;
  private pushes = 0;
  private readonly sign: number;

  constructor(
    readonly length: number,
    isMaximum: boolean,
  ) {
    this.dequeValues = new Float64Array(length);
    this.dequeIndices = new Float64Array(length);
    this.sign = isMaximum ? 1 : -1;
  }

  push(input: number): void {
    const value = this.sign * input;
    const length = this.length;
    const values = this.dequeValues;
    const indices = this.dequeIndices;
    const index = this.pushes;
    let head = this.head;
    let size = this.size;
    this.pushes = index + 1;
    if (size > 0 && indices[head]! <= index - length) {
      head = head + 1 === length ? 0 : head + 1;
      size -= 1;
    }
    let back = head + size - 1;
    if (back >= length) back -= length;
    while (size > 0 && values[back]! <= value) {
      size -= 1;
      back = back === 0 ? length - 1 : back - 1;
    }
    let slot = head + size;
    if (slot >= length) slot -= length;
    values[slot] = value;
    indices[slot] = index;
    this.head = head;
    this.size = size + 1;
  }

  /** Whether `length` values were pushed. */
  get isFull(): boolean {
    return this.pushes >= this.length;
  }

  /** The extreme of the window (of the values so far before it is full). */
  get value(): number {
    return this.sign * this.dequeValues[this.head]!;
  }

  save(writer: StateWriter): void {
    writer.array(this.dequeValues);
    writer.array(this.dequeIndices);
    writer.number(this.head);
    writer.number(this.size);
    writer.number(this.pushes);
  }

  load(reader: StateReader): void {
    reader.array(this.dequeValues);
    reader.array(this.dequeIndices);
    this.head = reader.integer(0, this.length - 1);
    this.size = reader.integer(0, this.length);
    this.pushes = reader.integer(0, Number.MAX_SAFE_INTEGER);
  }
}
