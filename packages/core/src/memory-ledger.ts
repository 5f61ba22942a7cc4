import {
  addDecimal,
  compareDecimal,
  decimal,
  divideDecimal,
  isZeroDecimal,
  multiplyDecimal,
  subtractDecimal,
  type DecimalString,
} from './decimal.js';
import type { Balance, Fill, Position } from './records/execution.js';

const ZERO = decimal('0');

/**
 * The position after a fill: a BUY adds size and cost (commission included in the cost basis); a SELL
 * removes size at the average entry price and realises `price × size − commission − entry × size`.
 * A SELL larger than the position is clamped to it (the venue is reconciled separately).
 * @internal Shared by store implementations so that every store keeps positions the same way.
 */
export function applyFillToPosition(position: Position | undefined, fill: Fill): Position {
  const current: Position = position ?? {
    productId: fill.productId,
    sizeBase: ZERO,
    averageEntryPrice: ZERO,
    costBasisQuote: ZERO,
    realizedPnlQuote: ZERO,
    updatedAtMs: fill.filledAtMs,
  };
  const value = multiplyDecimal(fill.price, fill.sizeBase);
  if (fill.side === 'BUY') {
    const sizeBase = addDecimal(current.sizeBase, fill.sizeBase);
    const costBasisQuote = addDecimal(addDecimal(current.costBasisQuote, value), fill.commission);
    return {
      ...current,
      sizeBase,
      costBasisQuote,
      averageEntryPrice: isZeroDecimal(sizeBase) ? ZERO : divideDecimal(costBasisQuote, sizeBase, 12),
      openedAtMs: isZeroDecimal(current.sizeBase) ? fill.filledAtMs : current.openedAtMs,
      updatedAtMs: fill.filledAtMs,
    };
  }
  const soldSize = compareDecimal(fill.sizeBase, current.sizeBase) > 0 ? current.sizeBase : fill.sizeBase;
  const soldCost = multiplyDecimal(current.averageEntryPrice, soldSize);
  const proceeds = subtractDecimal(multiplyDecimal(fill.price, soldSize), fill.commission);
  const sizeBase = subtractDecimal(current.sizeBase, soldSize);
  const flat = isZeroDecimal(sizeBase);
  const costLeft = subtractDecimal(current.costBasisQuote, soldCost);
  return {
    ...current,
    sizeBase,
    costBasisQuote: flat || compareDecimal(costLeft, ZERO) < 0 ? ZERO : costLeft,
    averageEntryPrice: flat ? ZERO : current.averageEntryPrice,
    realizedPnlQuote: addDecimal(current.realizedPnlQuote, subtractDecimal(proceeds, soldCost)),
    openedAtMs: flat ? undefined : current.openedAtMs,
    updatedAtMs: fill.filledAtMs,
  };
}

/**
 * The balances after a fill: BUY spends `price × size + commission` of the quote currency and adds
 * `size` of the base; SELL the reverse. A balance never goes below zero (clamped; reconciliation with the
 * venue corrects any drift).
 * @internal Shared by store implementations.
 */
export function applyFillToBalances(
  balances: ReadonlyMap<string, Balance>,
  fill: Fill,
  currencies: { readonly quoteCurrency: string; readonly baseCurrency: string },
): Balance[] {
  const value = multiplyDecimal(fill.price, fill.sizeBase);
  const quoteDelta = fill.side === 'BUY' ? decimal(`-${addDecimal(value, fill.commission)}`) : subtractDecimal(value, fill.commission);
  const baseDelta = fill.side === 'BUY' ? fill.sizeBase : decimal(`-${fill.sizeBase}`);
  const adjust = (currency: string, delta: DecimalString): Balance => {
    const existing = balances.get(currency);
    const next = addDecimal(existing?.available ?? ZERO, delta);
    return {
      currency,
      available: compareDecimal(next, ZERO) < 0 ? ZERO : next,
      hold: existing?.hold ?? ZERO,
      updatedAtMs: fill.filledAtMs,
    };
  };
  return [adjust(currencies.quoteCurrency, quoteDelta), adjust(currencies.baseCurrency, baseDelta)];
}
