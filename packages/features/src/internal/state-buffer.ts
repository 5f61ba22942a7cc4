import { TradepipeError } from '@tradepipe/core';

/**
 * Collects an engine's state as a flat list of numbers (JSON-safe: the engine never stores NaN or ∞).
 * @internal
 */
export class StateWriter {
  readonly numbers: number[] = [];

  /** Appends one number. */
  number(value: number): void {
    this.numbers.push(value);
  }

  /** Appends every element of a typed array. */
  array(values: Float64Array): void {
    for (let index = 0; index < values.length; index++) this.numbers.push(values[index]!);
  }
}

/**
 * Reads back what a {@link StateWriter} wrote, in the same order.
 * @internal
 */
export class StateReader {
  private position = 0;

  constructor(private readonly numbers: ArrayLike<number>) {}

  /** Reads one number. @throws TradepipeError `validation_failed` if the state is too short. */
  number(): number {
    const value = this.numbers[this.position];
    if (value === undefined) throw truncated(this.position);
    this.position += 1;
    return value;
  }

  /** Reads an integer in `[minimum, maximum]`. @throws TradepipeError `validation_failed` otherwise. */
  integer(minimum: number, maximum: number): number {
    const value = this.number();
    if (!Number.isInteger(value) || value < minimum || value > maximum) {
      throw new TradepipeError('validation_failed', 'Feature engine state holds an index out of range', {
        details: { position: this.position - 1 },
      });
    }
    return value;
  }

  /** Fills a typed array. @throws TradepipeError `validation_failed` if the state is too short. */
  array(target: Float64Array): void {
    if (this.position + target.length > this.numbers.length) throw truncated(this.numbers.length);
    for (let index = 0; index < target.length; index++) target[index] = this.numbers[this.position + index]!;
    this.position += target.length;
  }

  /** Checks that every number was read. @throws TradepipeError `validation_failed` otherwise. */
  finish(): void {
    if (this.position !== this.numbers.length) {
      throw new TradepipeError('validation_failed', 'Feature engine state has more numbers than this engine uses', {
        details: { expected: this.position, received: this.numbers.length },
      });
    }
  }
}

function truncated(position: number): TradepipeError {
  return new TradepipeError('validation_failed', 'Feature engine state is shorter than this engine needs', {
    details: { position },
  });
}

/**
 * Anything in the engine whose state is saved and restored.
 * @internal
 */
export interface Stateful {
  save(writer: StateWriter): void;
  load(reader: StateReader): void;
}
