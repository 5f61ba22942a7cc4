import type { FakeProduct } from './fake-exchange.js';

/** A product for the fake: Coinbase's wire fields; everything but `product_id` has a default. */
export type FakeProductInput = Partial<FakeProduct> & { readonly product_id: string };

const DEFAULT_PRODUCTS: readonly FakeProductInput[] = [
  { product_id: 'BTC-USD', price: '50000' },
  { product_id: 'ETH-USD', price: '3000', base_increment: '0.00000001' },
];

/** Fills in a product's defaults (Coinbase's BTC-USD increments). @internal */
export function buildProducts(inputs: readonly FakeProductInput[] = DEFAULT_PRODUCTS): FakeProduct[] {
  return inputs.map((input) => {
    const [base = 'BTC', quote = 'USD'] = input.product_id.split('-');
    return {
      price: '100',
      base_increment: '0.00000001',
      quote_increment: '0.01',
      price_increment: input.quote_increment ?? '0.01',
      base_min_size: '0.00000001',
      base_max_size: '3400',
      quote_min_size: '1',
      quote_max_size: '150000000',
      status: 'online',
      trading_disabled: false,
      cancel_only: false,
      limit_only: false,
      post_only: false,
      product_type: 'SPOT',
      base_currency_id: base,
      quote_currency_id: quote,
      ...input,
    };
  });
}
