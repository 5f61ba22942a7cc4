import {
  addDecimal,
  decimal,
  granularityMs,
  startOfUtcDayMs,
  toApproxNumber,
  type DecimalString,
  type ExposureReservation,
  type PipelineStore,
  type TradeRecommendation,
} from '@tradepipe/core';
import type { ProductExposure, RiskInputs } from './decide.js';
import type { RiskLimits } from './limits.js';
import type { VolatilityReader } from './volatility-reader.js';

/** The inputs of a decision and the mark prices the store values positions at. */
export interface GatheredInputs {
  readonly inputs: RiskInputs;
  readonly markPrices: Readonly<Record<string, number>>;
  /** Whether the day-start equity was missing and should be recorded now. */
  readonly recordDayStart: boolean;
}

/**
 * Reads everything a decision rests on from the store, as of `nowMs`: the product, its last candle and
 * volatility, every position and active reservation (each held product valued at its last close and given
 * its own volatility, or the fallback), balances, equity, the day-start equity, orders in the last hour and
 * the risk state.
 * @internal
 */
export async function gatherRiskInputs(
  store: PipelineStore,
  recommendation: TradeRecommendation,
  options: { readonly nowMs: number; readonly limits: RiskLimits; readonly reader: VolatilityReader },
): Promise<GatheredInputs> {
  const { nowMs, limits, reader } = options;
  const granularity = recommendation.granularity;
  const [product, positions, balances, reservations, riskState, ordersLastHour, dayStart] = await Promise.all([
    store.getProduct(recommendation.productId),
    store.listPositions(),
    store.listBalances(),
    store.listActiveReservations(),
    store.getRiskState(),
    store.countOrdersSince(nowMs - 3_600_000),
    store.getDayStartEquity(startOfUtcDayMs(nowMs)),
  ]);
  const productIds = [...new Set([recommendation.productId, ...positions.map((item) => item.productId), ...reservations.map((item) => item.productId)])];
  const readings = await Promise.all(productIds.map((productId) => reader.read(store, { productId, granularity }, nowMs)));
  const readingOf = new Map(productIds.map((productId, index) => [productId, readings[index]]));
  const markPrices: Record<string, number> = {};
  const exposures: ProductExposure[] = [];
  for (const productId of productIds) {
    const position = positions.find((item) => item.productId === productId);
    const held = reservations.filter((item) => item.productId === productId);
    if (position === undefined && held.length === 0) continue;
    const reading = readingOf.get(productId);
    const mark = reading?.markPrice ?? (position === undefined ? 0 : toApproxNumber(position.averageEntryPrice));
    if (reading !== undefined) markPrices[productId] = reading.markPrice;
    const sizeBase = position?.sizeBase ?? decimal('0');
    exposures.push({
      productId,
      positionSizeBase: sizeBase,
      notionalQuote: toApproxNumber(sizeBase) * mark,
      reservedBuyQuote: sum(held, 'BUY'),
      reservedSellBase: held.filter((item) => item.side === 'SELL').reduce<DecimalString>((total, item) => addDecimal(total, item.baseSize), decimal('0')),
      volatilityAnnualized: reading?.volatility?.annualized ?? limits.fallbackVolatilityAnnualized,
    });
  }
  const quoteCurrency = product?.quoteCurrency ?? recommendation.productId.split('-')[1] ?? 'USD';
  const quoteBalance = balances.find((item) => item.currency === quoteCurrency);
  const quoteAvailable = quoteBalance === undefined ? 0 : toApproxNumber(quoteBalance.available);
  const quoteTotal = quoteBalance === undefined ? 0 : quoteAvailable + toApproxNumber(quoteBalance.hold);
  const equityQuote = quoteTotal + exposures.reduce((total, item) => total + item.notionalQuote, 0);
  const reading = readingOf.get(recommendation.productId);
  const inputs: RiskInputs = {
    recommendation,
    product,
    nowMs,
    riskState,
    market: reading === undefined ? undefined : { markPrice: reading.markPrice, lastCandleStartMs: reading.lastCandleStartMs, lastCandleCloseMs: reading.lastCandleCloseMs },
    volatility: reading?.volatility,
    exposures,
    quoteAvailable,
    equityQuote,
    dayStartEquityQuote: dayStart?.equityQuote ?? equityQuote,
    ordersLastHour,
    maxCandleAgeMs: limits.maxCandleAgeMs ?? 2 * granularityMs(granularity),
  };
  return { inputs, markPrices, recordDayStart: dayStart === undefined };
}

function sum(reservations: readonly ExposureReservation[], side: 'BUY' | 'SELL'): number {
  return reservations.filter((item) => item.side === side).reduce((total, item) => total + toApproxNumber(item.quoteAmount), 0);
}
