import { decimal } from '../decimal.js';
import type { Fill } from '../records/execution.js';
import type { Candle } from '../records/market.js';

/** Day `index` from 2025-01-01 UTC, epoch ms (tests only). */
export const dayMs = (index: number): number => Date.UTC(2025, 0, 1) + index * 86_400_000;

/** A daily BTC-USD candle starting on day `index` (tests only). */
export function dailyCandle(index: number, open: number, close: number): Candle {
  return { productId: 'BTC-USD', granularity: 'ONE_DAY', startMs: dayMs(index), open, close, high: Math.max(open, close), low: Math.min(open, close), volume: 1, gapFilled: false };
}

/** A paper fill with the given numbers (tests only). */
export function numberFill(input: { orderId: string; side: 'BUY' | 'SELL'; price: string; size: string; fee: string; atMs: number; index?: number }): Fill {
  return {
    id: `${input.orderId}-${input.index ?? 1}`,
    orderId: input.orderId,
    clientOrderId: `client-${input.orderId}`,
    venue: 'paper',
    productId: 'BTC-USD',
    side: input.side,
    price: decimal(input.price),
    sizeBase: decimal(input.size),
    commission: decimal(input.fee),
    liquidity: 'TAKER',
    filledAtMs: input.atMs,
  };
}
