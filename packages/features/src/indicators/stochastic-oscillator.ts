import { RollingExtreme } from '../internal/rolling-extreme.js';
import { RollingSum } from '../internal/rolling-sum.js';
import type { StateReader, StateWriter, Stateful } from '../internal/state-buffer.js';

/**
 * Fast stochastic (TA-Lib `STOCHF`): %K = 100·(close − lowest low)/(highest high − lowest low) over
 * `period` candles, %D = simple average of the last `signalPeriod` %K. Williams %R over the same window
 * comes for free: −100·(highest high − close)/(highest high − lowest low). A flat window (range 0)
 * gives %K = 50 and %R = −50 (TA-Lib writes 0 for %K there).
 * @internal
 */
export class StochasticOscillator implements Stateful {
  private readonly highest: RollingExtreme;
  private readonly lowest: RollingExtreme;
  private readonly percentKWindow: RollingSum;
  percentK = 50;
  percentD = 50;
  williamsR = -50;

  constructor(
    readonly period: number,
    readonly signalPeriod: number,
  ) {
    this.highest = new RollingExtreme(period, true);
    this.lowest = new RollingExtreme(period, false);
    this.percentKWindow = new RollingSum(signalPeriod);
  }

  update(high: number, low: number, close: number): void {
    this.highest.push(high);
    this.lowest.push(low);
    if (!this.highest.isFull) return;
    const highest = this.highest.value;
    const lowest = this.lowest.value;
    const range = highest - lowest;
    if (range === 0) {
      this.percentK = 50;
      this.williamsR = -50;
    } else {
      this.percentK = (100 * (close - lowest)) / range;
      this.williamsR = (-100 * (highest - close)) / range;
    }
    this.percentKWindow.push(this.percentK);
    if (this.percentKWindow.isFull) {
      this.percentD = this.percentKWindow.isConstant ? this.percentK : this.percentKWindow.sum / this.signalPeriod;
    }
  }

  get isReady(): boolean {
    return this.percentKWindow.isFull;
  }

  save(writer: StateWriter): void {
    this.highest.save(writer);
    this.lowest.save(writer);
    this.percentKWindow.save(writer);
    writer.number(this.percentK);
    writer.number(this.percentD);
    writer.number(this.williamsR);
  }

  load(reader: StateReader): void {
    this.highest.load(reader);
    this.lowest.load(reader);
    this.percentKWindow.load(reader);
    this.percentK = reader.number();
    this.percentD = reader.number();
    this.williamsR = reader.number();
  }
}
