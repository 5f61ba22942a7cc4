import { TradepipeError } from '@tradepipe/core';
import type { SignalAction } from '@tradepipe/core';
import type { Labeling } from './model-metadata.js';

/**
 * Labels each candle from its forward return `close[t + horizon] / close[t] - 1`: BUY above
 * `buyThreshold`, SELL below `sellThreshold`, HOLD otherwise. The last `horizon` candles have no
 * future yet and get `undefined`.
 * @param closes closing prices, oldest first
 * @returns one label per close
 * @throws TradepipeError `validation_failed` for a horizon below 1, `sellThreshold > buyThreshold`, or a
 * close that is not positive and finite.
 * @example
 * makeForwardReturnLabels([100, 103, 99], { horizon: 1, buyThreshold: 0.02, sellThreshold: -0.02 });
 * // ['BUY', 'SELL', undefined]
 */
export function makeForwardReturnLabels(closes: ArrayLike<number>, labeling: Labeling): (SignalAction | undefined)[] {
  const { horizon, buyThreshold, sellThreshold } = labeling;
  if (!Number.isInteger(horizon) || horizon < 1) throw new TradepipeError('validation_failed', 'horizon must be a positive integer', { details: { horizon } });
  if (!(sellThreshold <= buyThreshold)) {
    throw new TradepipeError('validation_failed', 'sellThreshold must not exceed buyThreshold', { details: { buyThreshold, sellThreshold } });
  }
  const labels: (SignalAction | undefined)[] = new Array<SignalAction | undefined>(closes.length).fill(undefined);
  for (let index = 0; index < closes.length; index += 1) {
    const close = closes[index] as number;
    if (!(close > 0) || !Number.isFinite(close)) throw new TradepipeError('validation_failed', 'Closes must be positive and finite', { details: { index } });
    if (index + horizon >= closes.length) continue;
    const forwardReturn = (closes[index + horizon] as number) / close - 1;
    labels[index] = forwardReturn > buyThreshold ? 'BUY' : forwardReturn < sellThreshold ? 'SELL' : 'HOLD';
  }
  return labels;
}
