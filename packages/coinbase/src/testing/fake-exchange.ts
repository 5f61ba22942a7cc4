import { randomUUID } from 'node:crypto';
import {
  addDecimal,
  compareDecimal,
  decimal,
  divideDecimal,
  floorToIncrement,
  isZeroDecimal,
  minDecimal,
  multiplyDecimal,
  subtractDecimal,
  type DecimalString,
} from '@tradepipe/core';

/** A product on the fake exchange, in Coinbase's wire shape (strings). */
export interface FakeProduct {
  product_id: string;
  price: string;
  base_increment: string;
  quote_increment: string;
  price_increment: string;
  base_min_size: string;
  base_max_size: string;
  quote_min_size: string;
  quote_max_size: string;
  status: string;
  trading_disabled: boolean;
  cancel_only: boolean;
  limit_only: boolean;
  post_only: boolean;
  product_type: 'SPOT';
  base_currency_id: string;
  quote_currency_id: string;
}

/** An order on the fake, in Coinbase's wire shape. */
export interface FakeOrder {
  order_id: string;
  product_id: string;
  user_id: string;
  side: 'BUY' | 'SELL';
  client_order_id: string;
  order_configuration: Record<string, Record<string, unknown>>;
  status: 'PENDING' | 'OPEN' | 'FILLED' | 'CANCELLED' | 'EXPIRED' | 'FAILED';
  time_in_force: string;
  created_time: string;
  completion_percentage: string;
  filled_size: string;
  average_filled_price: string;
  number_of_fills: string;
  filled_value: string;
  total_fees: string;
  size_in_quote: boolean;
  order_type: 'MARKET' | 'LIMIT';
  reject_reason: string;
  /** Not sent: what the order still may fill, and the hold it keeps. */
  targetBaseSize: DecimalString;
  holdCurrency: string;
  holdAmount: DecimalString;
  limitPrice: DecimalString | undefined;
}

/** A fill on the fake, in Coinbase's wire shape. */
export interface FakeFill {
  entry_id: string;
  trade_id: string;
  order_id: string;
  trade_time: string;
  trade_type: 'FILL';
  price: string;
  size: string;
  commission: string;
  product_id: string;
  liquidity_indicator: 'TAKER' | 'MAKER';
  size_in_quote: boolean;
  side: 'BUY' | 'SELL';
  user_id: string;
  sequence_timestamp: string;
}

/** A balance on the fake. */
export interface FakeBalance {
  available: DecimalString;
  hold: DecimalString;
}

/** Why the fake refused an order: Coinbase's `error_response` fields. */
export interface FakeRejection {
  readonly error: string;
  readonly message: string;
  readonly previewFailureReason: string;
}

/** The books of the fake: products, prices, balances, orders and fills. @internal */
export class FakeExchangeBook {
  readonly products = new Map<string, FakeProduct>();
  readonly balances = new Map<string, FakeBalance>();
  readonly orders = new Map<string, FakeOrder>();
  readonly ordersByClientId = new Map<string, FakeOrder>();
  readonly fills: FakeFill[] = [];
  readonly userId = randomUUID();

  constructor(public takerFeeRate: DecimalString, public makerFeeRate: DecimalString) {}

  balance(currency: string): FakeBalance {
    const existing = this.balances.get(currency);
    if (existing !== undefined) return existing;
    const created = { available: decimal('0'), hold: decimal('0') };
    this.balances.set(currency, created);
    return created;
  }

  /** Places the hold an order needs, or explains why it cannot. */
  hold(currency: string, amount: DecimalString): FakeRejection | undefined {
    const balance = this.balance(currency);
    if (compareDecimal(balance.available, amount) < 0) {
      return { error: 'INSUFFICIENT_FUND', message: 'Insufficient balance in source account', previewFailureReason: 'PREVIEW_INSUFFICIENT_FUND' };
    }
    balance.available = subtractDecimal(balance.available, amount);
    balance.hold = addDecimal(balance.hold, amount);
    return undefined;
  }

  /** Fills up to `sizeBase` of an order at `price`, moving balances; completes it when nothing remains. */
  fill(order: FakeOrder, request: { readonly sizeBase: DecimalString; readonly price: DecimalString; readonly atIso: string; readonly liquidity: 'TAKER' | 'MAKER' }): FakeFill | undefined {
    const product = this.products.get(order.product_id)!;
    const remaining = subtractDecimal(order.targetBaseSize, decimal(order.filled_size));
    const size = floorToIncrement(minDecimal(request.sizeBase, remaining), decimal(product.base_increment));
    if (isZeroDecimal(size)) return undefined;
    const value = multiplyDecimal(size, request.price);
    const rate = request.liquidity === 'TAKER' ? this.takerFeeRate : this.makerFeeRate;
    const commission = multiplyDecimal(value, rate);
    const base = this.balance(product.base_currency_id);
    const quote = this.balance(product.quote_currency_id);
    if (order.side === 'BUY') {
      const cost = addDecimal(value, commission);
      quote.hold = subtractDecimal(quote.hold, minDecimal(cost, quote.hold));
      order.holdAmount = subtractDecimal(order.holdAmount, minDecimal(cost, order.holdAmount));
      base.available = addDecimal(base.available, size);
    } else {
      base.hold = subtractDecimal(base.hold, size);
      order.holdAmount = subtractDecimal(order.holdAmount, size);
      quote.available = addDecimal(quote.available, subtractDecimal(value, commission));
    }
    const fill: FakeFill = {
      entry_id: randomUUID(),
      trade_id: randomUUID(),
      order_id: order.order_id,
      trade_time: request.atIso,
      trade_type: 'FILL',
      price: request.price,
      // A quote-sized order's fills report their size in quote (as ccxt reads Coinbase's `size_in_quote`).
      size: order.size_in_quote ? value : size,
      commission,
      product_id: order.product_id,
      liquidity_indicator: request.liquidity,
      size_in_quote: order.size_in_quote,
      side: order.side,
      user_id: this.userId,
      sequence_timestamp: request.atIso,
    };
    this.fills.push(fill);
    const filledSize = addDecimal(decimal(order.filled_size), size);
    const filledValue = addDecimal(decimal(order.filled_value), value);
    order.filled_size = filledSize;
    order.filled_value = filledValue;
    order.total_fees = addDecimal(decimal(order.total_fees), commission);
    order.average_filled_price = divideDecimal(filledValue, filledSize, 10);
    order.number_of_fills = String(Number(order.number_of_fills) + 1);
    order.completion_percentage = divideDecimal(multiplyDecimal(filledSize, decimal('100')), order.targetBaseSize, 2);
    if (compareDecimal(filledSize, order.targetBaseSize) >= 0) this.finish(order, 'FILLED');
    else order.status = 'OPEN';
    return fill;
  }

  /** Ends an order and gives back the hold it kept. */
  finish(order: FakeOrder, status: FakeOrder['status']): void {
    order.status = status;
    if (!isZeroDecimal(order.holdAmount)) {
      const balance = this.balance(order.holdCurrency);
      balance.hold = subtractDecimal(balance.hold, minDecimal(order.holdAmount, balance.hold));
      balance.available = addDecimal(balance.available, order.holdAmount);
      order.holdAmount = decimal('0');
    }
  }
}
