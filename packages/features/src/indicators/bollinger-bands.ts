import { RollingMoments } from '../internal/rolling-moments.js';
import type { StateReader, StateWriter, Stateful } from '../internal/state-buffer.js';

/**
 * Bollinger Bands as TA-Lib's `BBANDS` with an SMA middle: middle = SMA(period), bands = middle ±
 * `deviations`·σ with σ the population standard deviation of the window. Width = (upper − lower)/middle;
 * %B = (close − lower)/(upper − lower), 0.5 when σ = 0 (a flat window).
 * @internal
 */
export class BollingerBands implements Stateful {
  readonly window: RollingMoments;
  width = 0;
  percentB = 0.5;

  constructor(
    readonly period: number,
    readonly deviations: number,
  ) {
    this.window = new RollingMoments(period);
  }

  update(close: number): void {
    const window = this.window;
    window.push(close);
    if (!window.isFull) return;
    const middle = window.mean;
    const deviation = this.deviations * Math.sqrt(window.populationVariance);
    const upper = middle + deviation;
    const lower = middle - deviation;
    this.width = (upper - lower) / middle;
    this.percentB = upper === lower ? 0.5 : (close - lower) / (upper - lower);
  }

  /** The middle band (the simple moving average). */
  get middle(): number {
    return this.window.mean;
  }

  get isReady(): boolean {
    return this.window.isFull;
  }

  save(writer: StateWriter): void {
    this.window.save(writer);
    writer.number(this.width);
    writer.number(this.percentB);
  }

  load(reader: StateReader): void {
    this.window.load(reader);
    this.width = reader.number();
    this.percentB = reader.number();
  }
}
