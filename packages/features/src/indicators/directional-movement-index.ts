import { WilderAverage } from '../internal/smoothing.js';
import type { StateReader, StateWriter, Stateful } from '../internal/state-buffer.js';

/**
 * Wilder's +DI, −DI and ADX as TA-Lib computes them: directional movement and true range summed over
 * the first `period − 1` moves, then Wilder sums (`sum − sum/period + x`); DI = 100·DM/TR; DX =
 * 100·|+DI − −DI|/(+DI + −DI); ADX = Wilder average of DX seeded with the mean of the first `period`
 * DX values (first ADX at input index 2·period − 1). A zero true-range sum gives DI = 0 and a zero DI
 * sum gives DX = 0 (TA-Lib tests against 1e-8 instead of 0).
 * @internal
 */
export class DirectionalMovementIndex implements Stateful {
  private readonly averageDirectionalIndex: WilderAverage;
  private previousHigh = 0;
  private previousLow = 0;
  private previousClose = 0;
  private inputs = 0;
  private moves = 0;
  private plusMovementSum = 0;
  private minusMovementSum = 0;
  private trueRangeSum = 0;
  plusDirectionalIndicator = 0;
  minusDirectionalIndicator = 0;

  constructor(readonly period: number) {
    this.averageDirectionalIndex = new WilderAverage(period);
  }

  update(high: number, low: number, close: number): void {
    this.inputs += 1;
    if (this.inputs > 1) this.accumulate(high, low);
    this.previousHigh = high;
    this.previousLow = low;
    this.previousClose = close;
  }

  private accumulate(high: number, low: number): void {
    const period = this.period;
    const upMove = high - this.previousHigh;
    const downMove = this.previousLow - low;
    const plusMovement = upMove > 0 && upMove > downMove ? upMove : 0;
    const minusMovement = downMove > 0 && downMove > upMove ? downMove : 0;
    const previousClose = this.previousClose;
    let trueRange = high - low;
    const fromHigh = high > previousClose ? high - previousClose : previousClose - high;
    const fromLow = low > previousClose ? low - previousClose : previousClose - low;
    if (fromHigh > trueRange) trueRange = fromHigh;
    if (fromLow > trueRange) trueRange = fromLow;
    this.moves += 1;
    if (this.moves < period) {
      this.plusMovementSum += plusMovement;
      this.minusMovementSum += minusMovement;
      this.trueRangeSum += trueRange;
      return;
    }
    this.plusMovementSum = this.plusMovementSum - this.plusMovementSum / period + plusMovement;
    this.minusMovementSum = this.minusMovementSum - this.minusMovementSum / period + minusMovement;
    this.trueRangeSum = this.trueRangeSum - this.trueRangeSum / period + trueRange;
    const plus = this.trueRangeSum === 0 ? 0 : 100 * (this.plusMovementSum / this.trueRangeSum);
    const minus = this.trueRangeSum === 0 ? 0 : 100 * (this.minusMovementSum / this.trueRangeSum);
    this.plusDirectionalIndicator = plus;
    this.minusDirectionalIndicator = minus;
    const total = plus + minus;
    const difference = plus > minus ? plus - minus : minus - plus;
    this.averageDirectionalIndex.push(total === 0 ? 0 : 100 * (difference / total));
  }

  /** ADX (valid once `isReady`). */
  get averageDirectionalIndexValue(): number {
    return this.averageDirectionalIndex.value;
  }

  get isReady(): boolean {
    return this.averageDirectionalIndex.isReady;
  }

  save(writer: StateWriter): void {
    this.averageDirectionalIndex.save(writer);
    for (const value of [this.previousHigh, this.previousLow, this.previousClose, this.inputs, this.moves]) writer.number(value);
    for (const value of [this.plusMovementSum, this.minusMovementSum, this.trueRangeSum]) writer.number(value);
    writer.number(this.plusDirectionalIndicator);
    writer.number(this.minusDirectionalIndicator);
  }

  load(reader: StateReader): void {
    this.averageDirectionalIndex.load(reader);
    this.previousHigh = reader.number();
    this.previousLow = reader.number();
    this.previousClose = reader.number();
    this.inputs = reader.integer(0, Number.MAX_SAFE_INTEGER);
    this.moves = reader.integer(0, Number.MAX_SAFE_INTEGER);
    this.plusMovementSum = reader.number();
    this.minusMovementSum = reader.number();
    this.trueRangeSum = reader.number();
    this.plusDirectionalIndicator = reader.number();
    this.minusDirectionalIndicator = reader.number();
  }
}
