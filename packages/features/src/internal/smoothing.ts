import type { StateReader, StateWriter, Stateful } from './state-buffer.js';

/**
 * TA-Lib's exponential moving average: seeded with the simple average of the first `period` inputs,
 * then `value = (input − value)·α + value` with α = 2/(period+1). Ready after `period` inputs.
 * @internal
 */
export class ExponentialAverage implements Stateful {
  private readonly alpha: number;
  private seedSum = 0;
  count = 0;
  value = 0;

  constructor(readonly period: number) {
    this.alpha = 2 / (period + 1);
  }

  push(input: number): void {
    if (this.count >= this.period) {
      this.value = (input - this.value) * this.alpha + this.value;
      return;
    }
    this.seedSum += input;
    this.count += 1;
    if (this.count === this.period) this.value = this.seedSum / this.period;
  }

  get isReady(): boolean {
    return this.count >= this.period;
  }

  save(writer: StateWriter): void {
    writer.number(this.seedSum);
    writer.number(this.count);
    writer.number(this.value);
  }

  load(reader: StateReader): void {
    this.seedSum = reader.number();
    this.count = reader.integer(0, this.period);
    this.value = reader.number();
  }
}

/**
 * Wilder's smoothing as TA-Lib writes it for RSI, ATR and ADX: seeded with the simple average of the
 * first `period` inputs, then `value = (value·(period−1) + input)/period`. Ready after `period` inputs.
 * @internal
 */
export class WilderAverage implements Stateful {
  private seedSum = 0;
  count = 0;
  value = 0;

  constructor(readonly period: number) {}

  push(input: number): void {
    if (this.count >= this.period) {
      this.value = (this.value * (this.period - 1) + input) / this.period;
      return;
    }
    this.seedSum += input;
    this.count += 1;
    if (this.count === this.period) this.value = this.seedSum / this.period;
  }

  get isReady(): boolean {
    return this.count >= this.period;
  }

  save(writer: StateWriter): void {
    writer.number(this.seedSum);
    writer.number(this.count);
    writer.number(this.value);
  }

  load(reader: StateReader): void {
    this.seedSum = reader.number();
    this.count = reader.integer(0, this.period);
    this.value = reader.number();
  }
}
