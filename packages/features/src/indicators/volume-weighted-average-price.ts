import { RollingSum } from '../internal/rolling-sum.js';
import type { StateReader, StateWriter, Stateful } from '../internal/state-buffer.js';

/**
 * Rolling VWAP over `period` candles: Σ(TP·volume)/Σvolume with TP = (high+low+close)/3. Crypto trades
 * around the clock, so there is no session to anchor to. A window without volume falls back to the plain
 * mean of TP.
 * @internal
 */
export class VolumeWeightedAveragePrice implements Stateful {
  private readonly weightedPrice: RollingSum;
  private readonly volume: RollingSum;
  private readonly typicalPrice: RollingSum;

  constructor(readonly period: number) {
    this.weightedPrice = new RollingSum(period);
    this.volume = new RollingSum(period);
    this.typicalPrice = new RollingSum(period);
  }

  update(high: number, low: number, close: number, volume: number): void {
    const typicalPrice = (high + low + close) / 3;
    this.weightedPrice.push(typicalPrice * volume);
    this.volume.push(volume);
    this.typicalPrice.push(typicalPrice);
  }

  /** The VWAP of the window (valid once `isReady`). */
  get value(): number {
    const volume = this.volume.sum;
    if (volume === 0) return this.typicalPrice.isConstant ? this.typicalPrice.values[0]! : this.typicalPrice.sum / this.period;
    return this.weightedPrice.sum / volume;
  }

  get isReady(): boolean {
    return this.volume.isFull;
  }

  save(writer: StateWriter): void {
    this.weightedPrice.save(writer);
    this.volume.save(writer);
    this.typicalPrice.save(writer);
  }

  load(reader: StateReader): void {
    this.weightedPrice.load(reader);
    this.volume.load(reader);
    this.typicalPrice.load(reader);
  }
}
