import { WilderAverage } from '../internal/smoothing.js';
import type { StateReader, StateWriter, Stateful } from '../internal/state-buffer.js';

/**
 * Wilder's ATR as TA-Lib computes it: true range from the second candle on
 * (`max(high−low, |high−prevClose|, |low−prevClose|)`), seeded with the mean of the first `period`
 * true ranges, then Wilder-smoothed. First value at input index `period`.
 * @internal
 */
export class AverageTrueRange implements Stateful {
  private readonly average: WilderAverage;
  private previousClose = 0;
  private inputs = 0;
  /** The latest true range (0 before the second candle). */
  trueRange = 0;

  constructor(readonly period: number) {
    this.average = new WilderAverage(period);
  }

  update(high: number, low: number, close: number): void {
    this.inputs += 1;
    if (this.inputs > 1) {
      const previousClose = this.previousClose;
      let trueRange = high - low;
      const upMove = high > previousClose ? high - previousClose : previousClose - high;
      const downMove = low > previousClose ? low - previousClose : previousClose - low;
      if (upMove > trueRange) trueRange = upMove;
      if (downMove > trueRange) trueRange = downMove;
      this.trueRange = trueRange;
      this.average.push(trueRange);
    }
    this.previousClose = close;
  }

  get value(): number {
    return this.average.value;
  }

  get isReady(): boolean {
    return this.average.isReady;
  }

  save(writer: StateWriter): void {
    this.average.save(writer);
    writer.number(this.previousClose);
    writer.number(this.inputs);
    writer.number(this.trueRange);
  }

  load(reader: StateReader): void {
    this.average.load(reader);
    this.previousClose = reader.number();
    this.inputs = reader.integer(0, Number.MAX_SAFE_INTEGER);
    this.trueRange = reader.number();
  }
}
