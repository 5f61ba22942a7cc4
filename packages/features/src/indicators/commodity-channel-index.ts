import type { StateReader, StateWriter, Stateful } from '../internal/state-buffer.js';

/**
 * Lambert's CCI as TA-Lib computes it: typical price TP = (high+low+close)/3; CCI = (TP − mean)/(0.015 ·
 * mean absolute deviation) over `period` candles. The mean is a running sum re-summed every `period`
 * candles (TA-Lib re-sums every candle; the difference is rounding, ~1e-15 relative). The deviation is an
 * O(period) loop: the only non-O(1) step in the feature set. A zero mean deviation gives 0, as in TA-Lib.
 * @internal
 */
export class CommodityChannelIndex implements Stateful {
  private readonly typicalPrices: Float64Array;
  private position = 0;
  private count = 0;
  private runLength = 0;
  private last = 0;
  private sum = 0;
  value = 0;

  constructor(readonly period: number) {
    this.typicalPrices = new Float64Array(period);
  }

  update(high: number, low: number, close: number): void {
    const period = this.period;
    const typicalPrice = (high + low + close) / 3;
    const prices = this.typicalPrices;
    const old = prices[this.position]!;
    prices[this.position] = typicalPrice;
    this.position += 1;
    if (this.position === period) {
      this.position = 0;
      let sum = 0;
      for (let index = 0; index < period; index++) sum += prices[index]!;
      this.sum = sum;
    } else {
      this.sum += typicalPrice - old;
    }
    this.runLength = this.count > 0 && typicalPrice === this.last ? this.runLength + 1 : 1;
    this.last = typicalPrice;
    if (this.count < period) this.count += 1;
    if (this.count < period) return;
    if (this.runLength >= period) {
      this.value = 0;
      return;
    }
    const mean = this.sum / period;
    let deviation = 0;
    for (let index = 0; index < period; index++) deviation += Math.abs(prices[index]! - mean);
    deviation /= period;
    this.value = deviation === 0 ? 0 : (typicalPrice - mean) / (0.015 * deviation);
  }

  get isReady(): boolean {
    return this.count >= this.period;
  }

  save(writer: StateWriter): void {
    writer.array(this.typicalPrices);
    for (const value of [this.position, this.count, this.runLength, this.last, this.sum, this.value]) writer.number(value);
  }

  load(reader: StateReader): void {
    reader.array(this.typicalPrices);
    this.position = reader.integer(0, this.period - 1);
    this.count = reader.integer(0, this.period);
    this.runLength = reader.integer(0, Number.MAX_SAFE_INTEGER);
    this.last = reader.number();
    this.sum = reader.number();
    this.value = reader.number();
  }
}
