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
  /** The product id, `BASE-QUOTE`, e.g. `BTC-USD`. */
  product_id: string;
  /** The last price, quote per base unit; `setPrice` sets it to the ask (default `100`). */
  price: string;
  /**
   * Smallest step of a base size; a finer base size is refused with `INVALID_SIZE_PRECISION` (default `0.00000001`).
   */
  base_increment: string;
  /** Smallest step of a quote size; a finer quote size is refused with `INVALID_SIZE_PRECISION` (default `0.01`). */
  quote_increment: string;
  /**
   * Smallest step of a limit price; a finer one is refused with `INVALID_PRICE_PRECISION` (default the quote
   * increment).
   */
  price_increment: string;
  /**
   * Smallest base size accepted; below it an order is refused with `PREVIEW_INVALID_BASE_SIZE_TOO_SMALL` (default
   * `0.00000001`).
   */
  base_min_size: string;
  /** Largest base size, as reported; the fake does not enforce it (default `3400`). */
  base_max_size: string;
  /**
   * Smallest quote size of a quote-size BUY; below it the order is refused with `PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL`
   * (default `1`).
   */
  quote_min_size: string;
  /** Largest quote size, as reported; the fake does not enforce it (default `150000000`). */
  quote_max_size: string;
  /** `online` takes orders; any other value refuses them with `ORDER_ENTRY_DISABLED` (default `online`). */
  status: string;
  /** When true, every order is refused with `ORDER_ENTRY_DISABLED` (default false). */
  trading_disabled: boolean;
  /** When true, new orders are refused with `ORDER_ENTRY_DISABLED` (default false). */
  cancel_only: boolean;
  /** When true, market orders are refused with `ORDER_ENTRY_DISABLED` (default false). */
  limit_only: boolean;
  /** Whether the product takes post-only limit orders only; reported, not enforced by the fake (default false). */
  post_only: boolean;
  /** Always `SPOT`. */
  product_type: 'SPOT';
  /** The base currency (default the part of `product_id` before `-`). */
  base_currency_id: string;
  /** The quote currency (default the part of `product_id` after `-`). */
  quote_currency_id: string;
}

/** An order on the fake, in Coinbase's wire shape. */
export interface FakeOrder {
  /** The exchange order id, a random UUID. */
  order_id: string;
  /** The product traded, e.g. `BTC-USD`. */
  product_id: string;
  /** The fake account's user id (one random UUID per fake). */
  user_id: string;
  /** `BUY` or `SELL`. */
  side: 'BUY' | 'SELL';
  /** The caller's idempotency key; a random one when the request sent none. A repeat returns this order. */
  client_order_id: string;
  /** The `order_configuration` of the request, e.g. `{ market_market_ioc: { quote_size: '100' } }`. */
  order_configuration: Record<string, Record<string, unknown>>;
  /**
   * `OPEN` from placement until filled (`FILLED`) or ended (`CANCELLED`, `EXPIRED`, `FAILED`); the fake never sets
   * `PENDING`. With immediate fills an IOC order that does not cross ends `CANCELLED` at once, and a market order
   * filling in parts (`marketOrderFills`) stays `OPEN` between them; with manual fills it stays `OPEN` until
   * `fillOrder` or `finishOrder`.
   */
  status: 'PENDING' | 'OPEN' | 'FILLED' | 'CANCELLED' | 'EXPIRED' | 'FAILED';
  /** `GOOD_UNTIL_CANCELLED` for limit GTC orders, `IMMEDIATE_OR_CANCEL` for market and limit IOC ones. */
  time_in_force: string;
  /** When the order was placed on the fake's clock, ISO 8601. */
  created_time: string;
  /** Filled base size as a percentage of the order's, decimal text (`'0'` to `'100'`). */
  completion_percentage: string;
  /** Base size filled so far, decimal text. */
  filled_size: string;
  /** `filled_value / filled_size` (10 decimal places); `'0'` before the first fill. */
  average_filled_price: string;
  /** How many fills the order has had, integer text. */
  number_of_fills: string;
  /** Quote value filled so far (size × price summed), before fees, decimal text. */
  filled_value: string;
  /** Fees paid so far, in the quote currency, decimal text. */
  total_fees: string;
  /** Whether the order was sized in the quote currency (a quote-size market BUY). */
  size_in_quote: boolean;
  /** `MARKET` for `market_market_ioc`, `LIMIT` for `sor_limit_ioc` and `limit_limit_gtc`. */
  order_type: 'MARKET' | 'LIMIT';
  /** Always `REJECT_REASON_UNSPECIFIED`: a refused order is answered with `success: false` and never stored. */
  reject_reason: string;
  /**
   * Not sent: the base size the order fills in all (for a quote-size BUY, worked out at placement from the ask
   * and the taker fee; one filling in parts, what its quote bought once its last part filled). This and the three
   * fields below are the fake's bookkeeping.
   */
  targetBaseSize: DecimalString;
  /** Not sent: the currency the order's hold is in (quote for a BUY, base for a SELL). */
  holdCurrency: string;
  /**
   * Not sent: the hold the order still keeps, given back when it ends (a BUY holds size × price × (1 + taker fee rate),
   * or its quote size).
   */
  holdAmount: DecimalString;
  /** Not sent: the limit price, quote per base unit; undefined for a market order. */
  limitPrice: DecimalString | undefined;
}

/** A fill on the fake, in Coinbase's wire shape. */
export interface FakeFill {
  /** A random UUID per fill. */
  entry_id: string;
  /** A random UUID per fill: the id tradepipe records the fill under. */
  trade_id: string;
  /** The exchange id of the order filled. */
  order_id: string;
  /** When the fill happened on the fake's clock, ISO 8601. */
  trade_time: string;
  /** Always `FILL`. */
  trade_type: 'FILL';
  /** The fill price, quote per base unit. */
  price: string;
  /**
   * The size filled: in the base currency, or in the quote currency (`size × price`, before the fee) when
   * `size_in_quote` is true.
   */
  size: string;
  /** The fee, in the quote currency: value × the taker or maker fee rate. */
  commission: string;
  /** The product of the order, e.g. `BTC-USD`. */
  product_id: string;
  /** `TAKER` for fills at the book, `MAKER` for resting limit fills (the fake makes taker fills only). */
  liquidity_indicator: 'TAKER' | 'MAKER';
  /** Whether `size` is in the quote currency: true for the fills of a quote-size market BUY. */
  size_in_quote: boolean;
  /** The side of the order filled. */
  side: 'BUY' | 'SELL';
  /** The fake account's user id (one random UUID per fake). */
  user_id: string;
  /** The same instant as `trade_time`, ISO 8601. */
  sequence_timestamp: string;
}

/** A balance on the fake. */
export interface FakeBalance {
  /** What new orders can use, decimal string. */
  available: DecimalString;
  /** What open orders keep aside, decimal string; given back to `available` when an order ends. */
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
  /** Market orders filling in parts (`marketOrderFills`), by order id: the parts left, when the next is due (epoch ms) and the time between two. */
  readonly partFills = new Map<string, { partsLeft: number; nextAtMs: number; readonly intervalMs: number }>();

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
