import { CandleSchema, GRANULARITIES, parseWith, type Candle, type Granularity, type Product, type ProductStatus } from '@tradepipe/core';
import type { z } from 'zod';
import type { WireCandleSchema, WireProductSchema } from './wire-schemas.js';

/** A Coinbase product as tradepipe's `Product`: disabled, cancel-only and limit-only folded into `status`. @internal */
export function toProduct(wire: z.output<typeof WireProductSchema>): Product {
  let status: ProductStatus = 'online';
  if (wire.trading_disabled || wire.is_disabled === true || wire.status.toLowerCase() !== 'online') status = 'disabled';
  else if (wire.cancel_only) status = 'cancel_only';
  else if (wire.limit_only) status = 'limit_only';
  return {
    productId: wire.product_id,
    baseCurrency: wire.base_currency_id,
    quoteCurrency: wire.quote_currency_id,
    baseIncrement: wire.base_increment,
    quoteIncrement: wire.quote_increment,
    priceIncrement: wire.price_increment ?? wire.quote_increment,
    baseMinSize: wire.base_min_size,
    quoteMinSize: wire.quote_min_size,
    status,
    ...(wire.base_max_size === undefined ? {} : { baseMaxSize: wire.base_max_size }),
    ...(wire.quote_max_size === undefined ? {} : { quoteMaxSize: wire.quote_max_size }),
    ...(wire.price === undefined ? {} : { price: wire.price }),
  };
}

/** Coinbase candles (strings, start in seconds, newest first) as tradepipe candles, oldest first. @internal */
export function toCandles(wire: readonly z.output<typeof WireCandleSchema>[], productId: string, granularity: Granularity): Candle[] {
  const candles = wire.map((candle) =>
    parseWith(
      CandleSchema,
      {
        productId,
        granularity,
        startMs: Number(candle.start) * 1000,
        open: Number(candle.open),
        high: Number(candle.high),
        low: Number(candle.low),
        close: Number(candle.close),
        volume: Number(candle.volume),
      },
      'Coinbase candle',
    ),
  );
  return candles.sort((a, b) => a.startMs - b.startMs);
}

/** The number of buckets of `granularity` in `[startMs, endMs)`. @internal */
export function bucketCount(startMs: number, endMs: number, granularity: Granularity): number {
  return Math.ceil((endMs - startMs) / GRANULARITIES[granularity]);
}
