import { GRANULARITIES, sequenceCandle, type Candle, type GapPolicy, type Logger, type SeriesKey } from '@tradepipe/core';

/**
 * The emitting end of one live series: passes each closed candle through core's gap policy after the last
 * one emitted, drops what was emitted already (a candle seen on both WebSocket and REST), and hands the
 * result to `emit`.
 * @internal
 */
export class SeriesSequencer {
  private last: Candle | undefined;

  constructor(
    readonly series: SeriesKey,
    /** Start of the newest bucket considered already seen (emitting resumes after it). */
    private lastStartMs: number,
    private readonly options: { readonly policy: GapPolicy; readonly logger: Logger; readonly emit: (candle: Candle) => void },
  ) {}

  /** Start of the next bucket to emit. */
  get nextStartMs(): number {
    return this.lastStartMs + GRANULARITIES[this.series.granularity];
  }

  /** Emits a closed candle (and gap fills before it); returns false if it was not newer than the last. */
  offer(candle: Candle): boolean {
    if (candle.startMs <= this.lastStartMs) return false;
    try {
      const result = sequenceCandle(this.last, candle, this.options.policy);
      if (result.kind === 'duplicate') return false;
      for (const item of result.candles) if (item.startMs > this.lastStartMs) this.options.emit(item);
    } catch (error) {
      this.options.logger.warn('coinbase candle gap not filled', { productId: candle.productId, granularity: candle.granularity, error });
      this.options.emit(candle);
    }
    this.last = candle;
    this.lastStartMs = candle.startMs;
    return true;
  }
}
