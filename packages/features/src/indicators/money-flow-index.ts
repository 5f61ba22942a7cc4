import { RollingSum } from '../internal/rolling-sum.js';
import type { StateReader, StateWriter, Stateful } from '../internal/state-buffer.js';

/**
 * MFI as TA-Lib computes it: money flow TP·volume counts as positive when the typical price rose,
 * negative when it fell, neither when unchanged; MFI = 100·positive/(positive+negative) over `period`
 * moves (first value at input index `period`). No money flow in the window (zero volume or no typical
 * price move) gives 50; TA-Lib writes 0 whenever the total is below 1.0.
 * @internal
 */
export class MoneyFlowIndex implements Stateful {
  private readonly positiveFlow: RollingSum;
  private readonly negativeFlow: RollingSum;
  private previousTypicalPrice = 0;
  private inputs = 0;
  value = 50;

  constructor(readonly period: number) {
    this.positiveFlow = new RollingSum(period);
    this.negativeFlow = new RollingSum(period);
  }

  update(high: number, low: number, close: number, volume: number): void {
    const typicalPrice = (high + low + close) / 3;
    this.inputs += 1;
    if (this.inputs > 1) {
      const moneyFlow = typicalPrice * volume;
      const previous = this.previousTypicalPrice;
      this.positiveFlow.push(typicalPrice > previous ? moneyFlow : 0);
      this.negativeFlow.push(typicalPrice < previous ? moneyFlow : 0);
      if (this.positiveFlow.isFull) {
        const positive = this.positiveFlow.sum;
        const total = positive + this.negativeFlow.sum;
        this.value = total === 0 ? 50 : 100 * (positive / total);
      }
    }
    this.previousTypicalPrice = typicalPrice;
  }

  get isReady(): boolean {
    return this.positiveFlow.isFull;
  }

  save(writer: StateWriter): void {
    this.positiveFlow.save(writer);
    this.negativeFlow.save(writer);
    writer.number(this.previousTypicalPrice);
    writer.number(this.inputs);
    writer.number(this.value);
  }

  load(reader: StateReader): void {
    this.positiveFlow.load(reader);
    this.negativeFlow.load(reader);
    this.previousTypicalPrice = reader.number();
    this.inputs = reader.integer(0, Number.MAX_SAFE_INTEGER);
    this.value = reader.number();
  }
}
