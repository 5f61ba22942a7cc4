import { decimal, type Product } from '@tradepipe/core';

/** Coinbase's increments for the products the command knows; other products get BTC-like increments. */
const KNOWN: Readonly<Record<string, Partial<Product>>> = {
  'BTC-USD': { baseIncrement: decimal('0.00000001'), quoteIncrement: decimal('0.01'), priceIncrement: decimal('0.01') },
  'ETH-USD': { baseIncrement: decimal('0.00000001'), quoteIncrement: decimal('0.01'), priceIncrement: decimal('0.01') },
};

/** The product record a paper backtest of `productId` trades (quote currency from the id). */
export function productFor(productId: string): Product {
  const [baseCurrency, quoteCurrency] = productId.split('-') as [string, string];
  return {
    productId,
    baseCurrency,
    quoteCurrency,
    baseIncrement: decimal('0.00000001'),
    quoteIncrement: decimal('0.01'),
    priceIncrement: decimal('0.01'),
    baseMinSize: decimal('0.00000001'),
    quoteMinSize: decimal('1'),
    status: 'online',
    ...KNOWN[productId],
  };
}
