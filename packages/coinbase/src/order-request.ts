import type { DecimalString, TradeSide } from '@tradepipe/core';

/**
 * How an order is placed: market IOC by quote size (BUY) or base size (SELL), limit IOC with a price cap
 * (a slippage guard; Coinbase's `sor_limit_ioc`), or limit GTC.
 */
export type OrderConfiguration =
  | { readonly type: 'market_ioc'; readonly quoteSize: DecimalString; readonly baseSize?: undefined }
  | { readonly type: 'market_ioc'; readonly baseSize: DecimalString; readonly quoteSize?: undefined }
  | { readonly type: 'limit_ioc'; readonly baseSize: DecimalString; readonly limitPrice: DecimalString }
  | { readonly type: 'limit_gtc'; readonly baseSize: DecimalString; readonly limitPrice: DecimalString; readonly postOnly?: boolean };

/** A new order for `POST /orders`. */
export interface CreateOrderRequest {
  /** Deterministic per recommendation: Coinbase returns the existing order for a repeated id. */
  readonly clientOrderId: string;
  /** The product to trade, e.g. `BTC-USD`. */
  readonly productId: string;
  /** `BUY` spends the quote currency, `SELL` spends the base currency. */
  readonly side: TradeSide;
  /** Order type and size: market IOC, limit IOC or limit GTC (see {@link OrderConfiguration}). */
  readonly configuration: OrderConfiguration;
}

/** The Advanced Trade `order_configuration` object of a configuration. @internal */
export function toWireOrderConfiguration(configuration: OrderConfiguration): Record<string, Record<string, string | boolean>> {
  switch (configuration.type) {
    case 'market_ioc':
      return {
        market_market_ioc: configuration.quoteSize !== undefined ? { quote_size: configuration.quoteSize } : { base_size: configuration.baseSize },
      };
    case 'limit_ioc':
      return { sor_limit_ioc: { base_size: configuration.baseSize, limit_price: configuration.limitPrice } };
    case 'limit_gtc':
      return {
        limit_limit_gtc: { base_size: configuration.baseSize, limit_price: configuration.limitPrice, post_only: configuration.postOnly ?? false },
      };
  }
}
