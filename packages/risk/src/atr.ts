import { TradepipeError, type Candle } from '@tradepipe/core';

/**
 * Average true range (J. Welles Wilder, *New Concepts in Technical Trading Systems*, 1978) of the last
 * candles: `TRᵢ = max(highᵢ − lowᵢ, |highᵢ − closeᵢ₋₁|, |lowᵢ − closeᵢ₋₁|)` for each candle after the first;
 * the first ATR is the mean of the first `period` true ranges, then `ATRᵢ = (ATRᵢ₋₁ × (period − 1) + TRᵢ) / period`.
 * @param candles oldest first; at least `period + 1`
 * @param period smoothing period (14 by convention)
 * @returns the ATR at the last candle, or `undefined` with fewer than `period + 1` candles
 * @throws TradepipeError `validation_failed` if `period` is not a positive integer.
 * @example
 * averageTrueRange(candles, 14); // e.g. 512.3 for BTC-USD hourly candles
 */
export function averageTrueRange(candles: readonly Pick<Candle, 'high' | 'low' | 'close'>[], period: number): number | undefined {
  if (!Number.isInteger(period) || period < 1) throw new TradepipeError('validation_failed', 'The ATR period must be a positive integer');
  if (candles.length < period + 1) return undefined;
  let atr = 0;
  for (let index = 1; index < candles.length; index += 1) {
    const candle = candles[index]!;
    const previousClose = candles[index - 1]!.close;
    const trueRange = Math.max(candle.high - candle.low, Math.abs(candle.high - previousClose), Math.abs(candle.low - previousClose));
    if (index <= period) {
      atr += trueRange / period;
    } else {
      atr = (atr * (period - 1) + trueRange) / period;
    }
  }
  return atr;
}
