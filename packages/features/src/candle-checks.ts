import { CANDLE_PRICE_RANGE, CANDLE_VOLUME_RANGE, TradepipeError } from '@tradepipe/core';

const PRICE_MIN = CANDLE_PRICE_RANGE.min;
const PRICE_MAX = CANDLE_PRICE_RANGE.max;
const VOLUME_MIN_POSITIVE = CANDLE_VOLUME_RANGE.minPositive;
const VOLUME_MAX = CANDLE_VOLUME_RANGE.max;

/**
 * Checks one candle's numbers before they reach the kernel: each a primitive `number` (a numeric string,
 * `null`, a bigint or a boxed Number is refused, never coerced), prices in core's `CANDLE_PRICE_RANGE`,
 * volume 0 or in `CANDLE_VOLUME_RANGE`, high ≥ low and the range holding open and close, start a whole
 * multiple of the granularity. Allocation-free when the candle is good.
 * @throws TradepipeError `validation_failed` naming the first broken field in `details.field`.
 * @internal
 */
export function checkCandleValues(
  startMs: number,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
  stepMs: number,
): void {
  if (!Number.isSafeInteger(startMs) || startMs < 0 || startMs % stepMs !== 0) {
    throw invalid('startMs is not a whole, non-negative multiple of the granularity', 'startMs', startMs);
  }
  // No upper bound here, unlike core's CandleSchema (MAX_CANDLE_START_MS): a feature value does not depend on the
  // start, only on the order of the candles, and synthetic research series (1M hourly candles) run past 2100.
  if (!isPrice(open)) throw invalid('open is not a number within the price range', 'open', startMs);
  if (!isPrice(high)) throw invalid('high is not a number within the price range', 'high', startMs);
  if (!isPrice(low)) throw invalid('low is not a number within the price range', 'low', startMs);
  if (!isPrice(close)) throw invalid('close is not a number within the price range', 'close', startMs);
  if (typeof volume !== 'number' || !(volume === 0 || (volume >= VOLUME_MIN_POSITIVE && volume <= VOLUME_MAX))) {
    throw invalid('volume is not 0 or a number within the volume range', 'volume', startMs);
  }
  if (high < low) throw invalid('high is below low', 'high', startMs);
  if (high < open || high < close) throw invalid('high is below open or close', 'high', startMs);
  if (low > open || low > close) throw invalid('low is above open or close', 'low', startMs);
}

function isPrice(value: number): boolean {
  return typeof value === 'number' && value >= PRICE_MIN && value <= PRICE_MAX;
}

function invalid(message: string, field: string, startMs: number): TradepipeError {
  return new TradepipeError('validation_failed', `Invalid candle: ${message}`, {
    details: { field, startMs: typeof startMs === 'number' && Number.isFinite(startMs) ? startMs : String(startMs) },
  });
}
