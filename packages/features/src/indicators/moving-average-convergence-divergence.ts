import { ExponentialAverage } from '../internal/smoothing.js';
import type { StateReader, StateWriter, Stateful } from '../internal/state-buffer.js';

/**
 * MACD: fast EMA − slow EMA (each seeded with its own SMA, as TA-Lib's EMA), signal = EMA of the line
 * seeded with the SMA of its first `signalPeriod` values, histogram = line − signal. TA-Lib's `MACD`
 * function instead seeds the fast EMA on the window ending where the slow one starts; the difference
 * decays as (1−α)^t and is far below 1e-9 by the end of the feature set's warm-up.
 * @internal
 */
export class MovingAverageConvergenceDivergence implements Stateful {
  readonly fast: ExponentialAverage;
  readonly slow: ExponentialAverage;
  private readonly signalAverage: ExponentialAverage;
  line = 0;
  signal = 0;
  histogram = 0;

  constructor(fastPeriod: number, slowPeriod: number, signalPeriod: number) {
    this.fast = new ExponentialAverage(fastPeriod);
    this.slow = new ExponentialAverage(slowPeriod);
    this.signalAverage = new ExponentialAverage(signalPeriod);
  }

  update(close: number): void {
    this.fast.push(close);
    this.slow.push(close);
    if (!this.slow.isReady) return;
    this.line = this.fast.value - this.slow.value;
    this.signalAverage.push(this.line);
    if (!this.signalAverage.isReady) return;
    this.signal = this.signalAverage.value;
    this.histogram = this.line - this.signal;
  }

  get isReady(): boolean {
    return this.signalAverage.isReady;
  }

  save(writer: StateWriter): void {
    this.fast.save(writer);
    this.slow.save(writer);
    this.signalAverage.save(writer);
    writer.number(this.line);
    writer.number(this.signal);
    writer.number(this.histogram);
  }

  load(reader: StateReader): void {
    this.fast.load(reader);
    this.slow.load(reader);
    this.signalAverage.load(reader);
    this.line = reader.number();
    this.signal = reader.number();
    this.histogram = reader.number();
  }
}
