import { WilderAverage } from '../internal/smoothing.js';
import type { StateReader, StateWriter, Stateful } from '../internal/state-buffer.js';

/**
 * Wilder's RSI as TA-Lib computes it: average gain and loss seeded with the mean of the first `period`
 * close-to-close moves, then Wilder-smoothed; `100·gain/(gain+loss)`. First value at input index
 * `period`. 0/0 (no move at all in the averages) is 50, where TA-Lib writes 0.
 * @internal
 */
export class RelativeStrengthIndex implements Stateful {
  private readonly averageGain: WilderAverage;
  private readonly averageLoss: WilderAverage;
  private previousClose = 0;
  private inputs = 0;
  value = 50;

  constructor(readonly period: number) {
    this.averageGain = new WilderAverage(period);
    this.averageLoss = new WilderAverage(period);
  }

  update(close: number): void {
    this.inputs += 1;
    if (this.inputs > 1) {
      const move = close - this.previousClose;
      this.averageGain.push(move > 0 ? move : 0);
      this.averageLoss.push(move < 0 ? -move : 0);
      if (this.averageGain.isReady) {
        const gain = this.averageGain.value;
        const total = gain + this.averageLoss.value;
        this.value = total === 0 ? 50 : 100 * (gain / total);
      }
    }
    this.previousClose = close;
  }

  get isReady(): boolean {
    return this.averageGain.isReady;
  }

  save(writer: StateWriter): void {
    this.averageGain.save(writer);
    this.averageLoss.save(writer);
    writer.number(this.previousClose);
    writer.number(this.inputs);
    writer.number(this.value);
  }

  load(reader: StateReader): void {
    this.averageGain.load(reader);
    this.averageLoss.load(reader);
    this.previousClose = reader.number();
    this.inputs = reader.integer(0, Number.MAX_SAFE_INTEGER);
    this.value = reader.number();
  }
}
