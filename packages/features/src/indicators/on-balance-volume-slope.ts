import { RollingSum } from '../internal/rolling-sum.js';
import type { StateReader, StateWriter, Stateful } from '../internal/state-buffer.js';

/**
 * Windowed on-balance volume: OBV's change over the last `period` candles (the sum of volume signed by
 * the close-to-close move, 0 when unchanged, as in TA-Lib's OBV) divided by the volume traded over the
 * same candles, so it lies in [−1, 1] and does not depend on where the series started. No volume in the
 * window gives 0. First value at input index `period`.
 * @internal
 */
export class OnBalanceVolumeSlope implements Stateful {
  readonly signedVolume: RollingSum;
  readonly volume: RollingSum;
  private previousClose = 0;
  private inputs = 0;
  value = 0;

  constructor(readonly period: number) {
    this.signedVolume = new RollingSum(period);
    this.volume = new RollingSum(period);
  }

  update(close: number, volume: number): void {
    this.inputs += 1;
    if (this.inputs > 1) {
      const previous = this.previousClose;
      this.signedVolume.push(close > previous ? volume : close < previous ? -volume : 0);
      this.volume.push(volume);
      if (this.volume.isFull) {
        const total = this.volume.sum;
        this.value = total === 0 ? 0 : this.signedVolume.sum / total;
      }
    }
    this.previousClose = close;
  }

  get isReady(): boolean {
    return this.volume.isFull;
  }

  save(writer: StateWriter): void {
    this.signedVolume.save(writer);
    this.volume.save(writer);
    writer.number(this.previousClose);
    writer.number(this.inputs);
    writer.number(this.value);
  }

  load(reader: StateReader): void {
    this.signedVolume.load(reader);
    this.volume.load(reader);
    this.previousClose = reader.number();
    this.inputs = reader.integer(0, Number.MAX_SAFE_INTEGER);
    this.value = reader.number();
  }
}
