import { TradepipeError } from '@tradepipe/core';

/**
 * Checks one candle's numbers before they reach the kernel: finite, prices above zero, volume not
 * negative, high ≥ low and the range holding open and close, start a whole multiple of the granularity.
 * Allocation-free when the candle is good.
 * @throws TradepipeError `validation_failed` naming the first broken rule.
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
  if (!(open > 0 && open < Infinity)) throw invalid('open is not a finite positive price', 'open', startMs);
  if (!(high > 0 && high < Infinity)) throw invalid('high is not a finite positive price', 'high', startMs);
  if (!(low > 0 && low < Infinity)) throw invalid('low is not a finite positive price', 'low', startMs);
  if (!(close > 0 && close < Infinity)) throw invalid('close is not a finite positive price', 'close', startMs);
  if (!(volume >= 0 && volume < Infinity)) throw invalid('volume is not finite and non-negative', 'volume', startMs);
  if (high < low) throw invalid('high is below low', 'high', startMs);
  if (high < open || high < close) throw invalid('high is below open or close', 'high', startMs);
  if (low > open || low > close) throw invalid('low is above open or close', 'low', startMs);
}

function invalid(message: string, field: string, startMs: number): TradepipeError {
  return new TradepipeError('validation_failed', `Invalid candle: ${message}`, {
    details: { field, startMs: Number.isFinite(startMs) ? startMs : String(startMs) },
  });
}
