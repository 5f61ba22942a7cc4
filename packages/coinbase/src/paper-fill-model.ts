import {
  TradepipeError,
  addDecimal,
  compareDecimal,
  decimal,
  divideDecimal,
  floorToIncrement,
  isZeroDecimal,
  multiplyDecimal,
  subtractDecimal,
  type DecimalString,
  type Product,
  type TradeSide,
} from '@tradepipe/core';

/** A simulated fill: the price paid after slippage, the base size, its quote value and the fee. */
export interface PaperFill {
  /** The fill price after slippage, rounded to the price increment (up for BUY, down for SELL); quote per base unit. */
  readonly price: DecimalString;
  /** The size filled, in the base currency, rounded down to the base increment. */
  readonly sizeBase: DecimalString;
  /** `sizeBase × price` in the quote currency, before the fee. */
  readonly valueQuote: DecimalString;
  /** The fee in the quote currency: `valueQuote × feeRateBps / 10000`, not rounded. */
  readonly commission: DecimalString;
}

/** What to simulate: a quote-size BUY or a base-size SELL (or BUY) at a reference price. */
export interface PaperFillRequest {
  /** `BUY` or `SELL`: sets which way slippage moves the price. */
  readonly side: TradeSide;
  /** BUY by quote: the amount spent, fee included (as Coinbase does for quote-size market orders). */
  readonly quoteSize?: DecimalString;
  /**
   * The size in the base currency, used when `quoteSize` is absent (a SELL, or a base-size BUY); rounded down to the
   * base increment.
   */
  readonly baseSize?: DecimalString;
  /** The first price after the decision (next candle's open, or a quote). */
  readonly referencePrice: DecimalString;
  /** How far the price moves against the taker, basis points (0…10000; 10 = 0.1 %). */
  readonly slippageBps: number;
  /** The taker fee rate, basis points (0…10000; 120 = 1.2 %). */
  readonly feeRateBps: number;
  /**
   * The product's base increment, price increment and minimum base size, which the fill is rounded to and checked
   * against.
   */
  readonly product: Pick<Product, 'baseIncrement' | 'priceIncrement' | 'baseMinSize'>;
}

const TEN_THOUSAND = decimal('10000');

function bpsFraction(bps: number): DecimalString {
  return divideDecimal(decimal(String(bps)), TEN_THOUSAND, 12);
}

/** Whether a value is decimal text (of any form `decimal()` reads) at or above zero, or above zero when `positive`. */
function isUsableDecimal(value: unknown, positive: boolean): boolean {
  if (typeof value !== 'string' || !isDecimalText(value)) return false;
  const sign = compareDecimal(decimal(value), decimal('0'));
  return positive ? sign > 0 : sign >= 0;
}

function isDecimalText(value: string): boolean {
  try {
    decimal(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a request cannot be simulated at all: a reference price that is not a positive decimal (a quote source may
 * answer zero, a negative number or junk) or a size that is not a decimal at or above zero.
 * @throws TradepipeError `validation_failed` for slippage or a fee rate outside 0…10000 bps (a configuration error)
 */
function requestRefusal(request: PaperFillRequest): string | undefined {
  for (const [name, bps] of [['slippageBps', request.slippageBps], ['feeRateBps', request.feeRateBps]] as const) {
    if (!(Number.isFinite(bps) && bps >= 0 && bps <= 10_000)) throw new TradepipeError('validation_failed', 'A paper fill needs slippage and fee rates within 0…10000 bps', { details: { field: name } });
  }
  if (!isUsableDecimal(request.referencePrice, true)) return 'INVALID_REFERENCE_PRICE';
  for (const size of [request.quoteSize, request.baseSize]) if (size !== undefined && !isUsableDecimal(size, false)) return 'INVALID_SIZE';
  return undefined;
}

/**
 * The paper venue's fill model. The price moves against the taker by `slippageBps` (BUY up, rounded up to
 * the price increment; SELL down, rounded down). A quote-size BUY of Q at fee rate f buys
 * `floor(Q / (1 + f) / price)` to the base increment and pays `value × f`, so value + fee ≤ Q; a SELL
 * receives `value − value × f`. Fees are exact (not rounded), as Coinbase reports them.
 * @returns the fill, or the reason it cannot happen: Coinbase-style (`PREVIEW_INVALID_BASE_SIZE_TOO_SMALL`), or
 * `INVALID_REFERENCE_PRICE` (not a positive decimal) / `INVALID_SIZE` (not a decimal at or above zero)
 * @throws TradepipeError `validation_failed` for `slippageBps` or `feeRateBps` outside 0…10000
 * @example
 * simulatePaperFill({ side: 'BUY', quoteSize: decimal('100'), referencePrice: decimal('50000'), slippageBps: 10, feeRateBps: 120,
 *   product: { baseIncrement: decimal('0.00000001'), priceIncrement: decimal('0.01'), baseMinSize: decimal('0.00000001') } });
 * // { price: '50050', sizeBase: '0.00197431', valueQuote: '98.8142155', commission: '1.185770586' }
 */
export function simulatePaperFill(request: PaperFillRequest): PaperFill | { readonly reason: string } {
  const refusal = requestRefusal(request);
  if (refusal !== undefined) return { reason: refusal };
  const { product } = request;
  const slip = bpsFraction(request.slippageBps);
  const feeRate = bpsFraction(request.feeRateBps);
  const one = decimal('1');
  const price =
    request.side === 'BUY'
      ? floorToIncrement(multiplyDecimal(request.referencePrice, addDecimal(one, slip)), product.priceIncrement, 'up')
      : floorToIncrement(multiplyDecimal(request.referencePrice, subtractDecimal(one, slip)), product.priceIncrement, 'down');
  if (isZeroDecimal(price)) return { reason: 'INVALID_NO_LIQUIDITY' };
  let sizeBase: DecimalString;
  if (request.quoteSize !== undefined) {
    const spend = divideDecimal(request.quoteSize, addDecimal(one, feeRate), 18);
    sizeBase = floorToIncrement(divideDecimal(spend, price, 18), product.baseIncrement);
  } else {
    sizeBase = floorToIncrement(request.baseSize ?? decimal('0'), product.baseIncrement);
  }
  if (isZeroDecimal(sizeBase) || compareDecimal(sizeBase, product.baseMinSize) < 0) return { reason: 'PREVIEW_INVALID_BASE_SIZE_TOO_SMALL' };
  const valueQuote = multiplyDecimal(sizeBase, price);
  return { price, sizeBase, valueQuote, commission: multiplyDecimal(valueQuote, feeRate) };
}
