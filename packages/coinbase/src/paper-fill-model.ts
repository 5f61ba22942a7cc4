import {
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
  readonly price: DecimalString;
  readonly sizeBase: DecimalString;
  readonly valueQuote: DecimalString;
  readonly commission: DecimalString;
}

/** What to simulate: a quote-size BUY or a base-size SELL (or BUY) at a reference price. */
export interface PaperFillRequest {
  readonly side: TradeSide;
  /** BUY by quote: the amount spent, fee included (as Coinbase does for quote-size market orders). */
  readonly quoteSize?: DecimalString;
  readonly baseSize?: DecimalString;
  /** The first price after the decision (next candle's open, or a quote). */
  readonly referencePrice: DecimalString;
  readonly slippageBps: number;
  readonly feeRateBps: number;
  readonly product: Pick<Product, 'baseIncrement' | 'priceIncrement' | 'baseMinSize'>;
}

const TEN_THOUSAND = decimal('10000');

function bpsFraction(bps: number): DecimalString {
  return divideDecimal(decimal(String(bps)), TEN_THOUSAND, 12);
}

/**
 * The paper venue's fill model. The price moves against the taker by `slippageBps` (BUY up, rounded up to
 * the price increment; SELL down, rounded down). A quote-size BUY of Q at fee rate f buys
 * `floor(Q / (1 + f) / price)` to the base increment and pays `value × f`, so value + fee ≤ Q; a SELL
 * receives `value − value × f`. Fees are exact (not rounded), as Coinbase reports them.
 * @returns the fill, or the Coinbase-style reason it cannot happen (`PREVIEW_INVALID_BASE_SIZE_TOO_SMALL`)
 * @example
 * simulatePaperFill({ side: 'BUY', quoteSize: decimal('100'), referencePrice: decimal('50000'), slippageBps: 10, feeRateBps: 120,
 *   product: { baseIncrement: decimal('0.00000001'), priceIncrement: decimal('0.01'), baseMinSize: decimal('0.00000001') } });
 * // { price: '50050', sizeBase: '0.00197431', valueQuote: '98.8142155', commission: '1.185770586' }
 */
export function simulatePaperFill(request: PaperFillRequest): PaperFill | { readonly reason: string } {
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
