import {
  compareDecimal,
  decimal,
  decimalFromNumber,
  floorToIncrement,
  isProductTradable,
  isZeroDecimal,
  minDecimal,
  subtractDecimal,
  toApproxNumber,
  type DecimalString,
  type Product,
  type RiskReasonCode,
  type RiskState,
  type TradeRecommendation,
} from '@tradepipe/core';
import { portfolioHeat } from './heat.js';
import { dailyLossLimitQuote, type RiskLimits } from './limits.js';
import { riskScore } from './score.js';
import { adjustedAmount, capAmount, type SizeCap } from './sizing.js';
import { MIN_VOLATILITY_WINDOW_BARS, volatilityWindowBars } from './volatility.js';

/** One product's holding as the decision sees it. */
export interface ProductExposure {
  /** The product held or reserved, e.g. `BTC-USD`. */
  readonly productId: string;
  /** The position's size in the base currency (`0` when only reservations exist). */
  readonly positionSizeBase: DecimalString;
  /** Position size × mark price. */
  readonly notionalQuote: number;
  /** Active BUY reservations of the product, in quote. */
  readonly reservedBuyQuote: number;
  /** Active SELL reservations of the product, in base. */
  readonly reservedSellBase: DecimalString;
  /** The product's annualised volatility, or the limits' fallback when it has too few candles. */
  readonly volatilityAnnualized: number;
}

/** Everything a risk decision rests on, read from the store at the decision time. */
export interface RiskInputs {
  /** The recommendation being decided. */
  readonly recommendation: TradeRecommendation;
  /**
   * The recommendation's product as the store holds it; `undefined` when unknown (the decision is then REJECT
   * `product_not_tradable`).
   */
  readonly product: Product | undefined;
  /** The decision time, epoch ms: every figure is as of this instant. */
  readonly nowMs: number;
  /** The shared risk state: kill switch and cool-down. */
  readonly riskState: RiskState;
  /** The last candle of the recommendation's series closed at `nowMs`; `undefined` when there is none. */
  readonly market: { readonly markPrice: number; readonly lastCandleStartMs: number; readonly lastCandleCloseMs: number } | undefined;
  /** Volatility of the recommendation's product; `undefined` when there are too few candles. */
  readonly volatility: { readonly annualized: number; readonly returns: number } | undefined;
  /** Every product held or reserved. */
  readonly exposures: readonly ProductExposure[];
  /** Available quote balance (not on hold). */
  readonly quoteAvailable: number;
  /**
   * Equity in the recommendation's quote currency: its balance (available plus hold) plus every position at its mark
   * price.
   */
  readonly equityQuote: number;
  /**
   * Equity at 00:00 UTC of the decision's day, as first recorded that day (the current equity when none was recorded
   * yet).
   */
  readonly dayStartEquityQuote: number;
  /** Orders created in the hour before `nowMs`. */
  readonly ordersLastHour: number;
  /** Longest allowed time since the last candle closed. */
  readonly maxCandleAgeMs: number;
}

/** A risk reason: a code and a message for people. */
export interface RiskReason {
  /** A stable reason code (`approved`, `size_reduced`, or the limit or gate that refused, e.g. `max_daily_loss`). */
  readonly code: RiskReasonCode;
  /** A sentence for people with the figures involved; it may change between versions: branch on `code`. */
  readonly message: string;
}

/** The outcome of {@link decideRisk}: the assessment's figures without ids. */
export interface RiskDecisionDraft {
  /** `APPROVE` (an approval is signed for the adjusted size) or `REJECT`. */
  readonly decision: 'APPROVE' | 'REJECT';
  /**
   * Why, never empty: on APPROVE `approved` first, then `size_reduced` and the limit that capped the size, if any; on
   * REJECT each refusal's code.
   */
  readonly reasons: readonly RiskReason[];
  /**
   * BUY: the quote amount approved, at most the one requested, rounded down to the quote increment. SELL: an estimate
   * (size × mark). `0` on REJECT.
   */
  readonly adjustedQuoteAmount: DecimalString;
  /**
   * SELL only: the base size approved, at most what is held minus pending sells, rounded down to the base increment
   * (`0` on REJECT); undefined for a BUY.
   */
  readonly adjustedBaseSize?: DecimalString;
  /**
   * Annualised volatility used (0.55 = 55 %/year): the product's, else the held product's, else the limits' fallback.
   */
  readonly volatilityAnnualized: number;
  /** Portfolio heat before the trade: Σ notional × σ / equity over positions and in-flight BUY reservations. */
  readonly portfolioHeat: number;
  /** Portfolio heat if the trade fills: higher after a BUY, lower (never below 0) after a SELL, unchanged on REJECT. */
  readonly portfolioHeatAfter: number;
  /** The risk score in [0, 1] (see {@link riskScore}); it scales a BUY down by `1 − score`. */
  readonly riskScore: number;
  /** Equity in quote currency at the decision (see {@link RiskInputs.equityQuote}). */
  readonly equityQuote: number;
  /** What all products hold at mark plus in-flight BUY reservations, in quote currency, before the trade. */
  readonly exposureQuote: number;
  /** Equity minus day-start equity, in quote currency (negative = loss). */
  readonly dailyPnlQuote: number;
  /**
   * The close of the series' last candle closed at the decision, or the recommendation's reference price when there is
   * none.
   */
  readonly markPrice: number;
  /** Start of that last closed candle, epoch ms (the recommendation's candle when there is none). */
  readonly lastCandleStartMs: number;
  /**
   * Every other number the decision used, by name: score components (`scoreVolatility`, …), `dailyLossLimitQuote`,
   * `ordersLastHour`, `quoteAvailable`, `candleAgeMs` (-1 when no candle closed), and for a sized BUY each cap's
   * `room_<code>`; for a SELL `heldBaseSize`.
   */
  readonly figures: Readonly<Record<string, number>>;
  /** The daily loss limit tripped now: the caller starts the cool-down. */
  readonly startCooldown: boolean;
}

type Common = Omit<RiskDecisionDraft, 'decision' | 'reasons' | 'adjustedQuoteAmount' | 'adjustedBaseSize' | 'portfolioHeatAfter' | 'startCooldown'>;

/**
 * The pure risk decision: gates, measures, sizing and limits for one recommendation. A BUY (opening) passes
 * every gate and is sized; a SELL (reducing) is refused only if the product cannot trade, the recommendation
 * has expired or nothing is held, and is never more than is held minus active SELL reservations.
 * @returns the decision with every figure it used
 * @example
 * const draft = decideRisk(inputs, limits);
 * if (draft.decision === 'APPROVE') console.log(draft.adjustedQuoteAmount);
 */
export function decideRisk(inputs: RiskInputs, limits: RiskLimits): RiskDecisionDraft {
  const { recommendation } = inputs;
  const exposureQuote = inputs.exposures.reduce((sum, item) => sum + item.notionalQuote + item.reservedBuyQuote, 0);
  const heat = portfolioHeat(
    inputs.exposures.map((item) => ({ notionalQuote: item.notionalQuote + item.reservedBuyQuote, volatilityAnnualized: item.volatilityAnnualized })),
    inputs.equityQuote,
  );
  const held = inputs.exposures.find((item) => item.productId === recommendation.productId);
  const volatility = inputs.volatility?.annualized ?? held?.volatilityAnnualized ?? limits.fallbackVolatilityAnnualized;
  const dailyPnlQuote = inputs.equityQuote - inputs.dayStartEquityQuote;
  const lossLimit = dailyLossLimitQuote(limits, inputs.dayStartEquityQuote);
  const score = riskScore(
    {
      volatilityAnnualized: volatility,
      volatilityCeiling: limits.volatilityCeiling,
      portfolioHeat: heat,
      maxPortfolioHeat: limits.maxPortfolioHeat,
      dailyPnlQuote,
      maxDailyLossQuote: lossLimit,
      exposureQuote,
      maxTotalExposureQuote: limits.maxTotalExposureQuote,
    },
    limits.scoreWeights,
  );
  const common: Common = {
    volatilityAnnualized: volatility,
    portfolioHeat: heat,
    riskScore: score.score,
    equityQuote: inputs.equityQuote,
    exposureQuote,
    dailyPnlQuote,
    markPrice: inputs.market?.markPrice ?? recommendation.referencePrice,
    lastCandleStartMs: inputs.market?.lastCandleStartMs ?? recommendation.candleStartMs,
    figures: {
      scoreVolatility: score.components.volatility,
      scoreHeat: score.components.heat,
      scoreDailyLoss: score.components.dailyLoss,
      scoreExposure: score.components.exposure,
      volatilityReturns: inputs.volatility?.returns ?? 0,
      dayStartEquityQuote: inputs.dayStartEquityQuote,
      dailyLossLimitQuote: lossLimit,
      ordersLastHour: inputs.ordersLastHour,
      quoteAvailable: inputs.quoteAvailable,
      candleAgeMs: inputs.market === undefined ? -1 : inputs.nowMs - inputs.market.lastCandleCloseMs,
    },
  };
  return recommendation.side === 'SELL' ? decideSell(inputs, common, held, volatility) : decideBuy(inputs, limits, common, lossLimit);
}

function productGate(inputs: RiskInputs): RiskReason[] {
  const { product, recommendation, nowMs } = inputs;
  const reasons: RiskReason[] = [];
  if (product === undefined) reasons.push({ code: 'product_not_tradable', message: `Unknown product ${recommendation.productId}` });
  else if (!isProductTradable(product)) reasons.push({ code: 'product_not_tradable', message: `Product ${product.productId} is ${product.status}` });
  if (nowMs >= recommendation.expiresAtMs) reasons.push({ code: 'stale_data', message: 'The recommendation has expired' });
  return reasons;
}

/** Why a BUY has no volatility: a window too short at the recommendation's granularity, or too few returns in it. */
function missingVolatility(inputs: RiskInputs, limits: RiskLimits): RiskReason {
  const { granularity } = inputs.recommendation;
  const windowBars = volatilityWindowBars(limits.volatilityWindowDays, granularity);
  if (windowBars < MIN_VOLATILITY_WINDOW_BARS) {
    const message = `The ${limits.volatilityWindowDays}-day volatility window holds ${windowBars} ${granularity} candles, fewer than the ${MIN_VOLATILITY_WINDOW_BARS} a volatility needs`;
    return { code: 'insufficient_data', message };
  }
  return { code: 'insufficient_data', message: `Too few returns for the ${limits.volatilityWindowDays}-day volatility` };
}

function openingGates(inputs: RiskInputs, limits: RiskLimits, figures: { dailyPnl: number; lossLimit: number; heat: number }): { reasons: RiskReason[]; startCooldown: boolean } {
  const { riskState, nowMs, market } = inputs;
  const { dailyPnl, lossLimit, heat } = figures;
  const reasons = productGate(inputs);
  let startCooldown = false;
  if (riskState.killSwitch.engaged) reasons.push({ code: 'kill_switch', message: `Kill switch engaged (${riskState.killSwitch.mode})` });
  const coolingDown = riskState.cooldownUntilMs !== undefined && nowMs < riskState.cooldownUntilMs;
  if (coolingDown) reasons.push({ code: 'cooldown', message: `Opening refused until ${riskState.cooldownUntilMs} (epoch ms)` });
  if (dailyPnl < 0 && -dailyPnl >= lossLimit) {
    reasons.push({ code: 'max_daily_loss', message: `Daily loss ${(-dailyPnl).toFixed(2)} reached the limit ${lossLimit.toFixed(2)}` });
    startCooldown = !coolingDown && limits.cooldownMs > 0;
  }
  if (inputs.ordersLastHour >= limits.maxOrdersPerHour) {
    reasons.push({ code: 'max_orders_per_hour', message: `${inputs.ordersLastHour} orders in the last hour (limit ${limits.maxOrdersPerHour})` });
  }
  if (market === undefined) reasons.push({ code: 'insufficient_data', message: 'No candle closed at the decision time' });
  else if (nowMs - market.lastCandleCloseMs > inputs.maxCandleAgeMs) {
    reasons.push({ code: 'stale_data', message: `Last candle closed ${nowMs - market.lastCandleCloseMs} ms ago (limit ${inputs.maxCandleAgeMs})` });
  }
  if (market !== undefined && inputs.volatility === undefined) reasons.push(missingVolatility(inputs, limits));
  if (heat >= limits.maxPortfolioHeat) reasons.push({ code: 'max_portfolio_heat', message: `Portfolio heat ${heat.toFixed(4)} is at the limit ${limits.maxPortfolioHeat}` });
  if (!(inputs.equityQuote > 0)) reasons.push({ code: 'insufficient_funds', message: 'Equity is not positive' });
  return { reasons, startCooldown };
}

function decideBuy(inputs: RiskInputs, limits: RiskLimits, common: Common, lossLimit: number): RiskDecisionDraft {
  const { recommendation, product } = inputs;
  const gates = openingGates(inputs, limits, { dailyPnl: common.dailyPnlQuote, lossLimit, heat: common.portfolioHeat });
  const reject = (reasons: RiskReason[], figures: Record<string, number> = {}): RiskDecisionDraft => ({
    ...common,
    figures: finiteFigures({ ...common.figures, ...figures }),
    decision: 'REJECT',
    reasons,
    adjustedQuoteAmount: decimal('0'),
    portfolioHeatAfter: common.portfolioHeat,
    startCooldown: gates.startCooldown,
  });
  if (gates.reasons.length > 0 || product === undefined) return reject(gates.reasons);
  const volatility = common.volatilityAnnualized;
  const requested = toApproxNumber(recommendation.quoteAmount);
  const sizing = adjustedAmount({
    requestedQuote: requested,
    equityQuote: inputs.equityQuote,
    volatilityAnnualized: volatility,
    heatBudgetPerTrade: limits.heatBudgetPerTrade,
    riskScore: common.riskScore,
    portfolioHeat: common.portfolioHeat,
    maxPortfolioHeat: limits.maxPortfolioHeat,
  });
  const caps = buyCaps(inputs, limits, common);
  const capped = capAmount(sizing.amountQuote, caps);
  const increment = positiveIncrement(product.quoteIncrement);
  const quote = floorToIncrement(minDecimal(recommendation.quoteAmount, decimalFromNumber(capped.amountQuote, increment)), increment);
  const quoteNumber = toApproxNumber(quote);
  const baseEstimate = quoteNumber / common.markPrice;
  const figures: Record<string, number> = {
    volatilityTargetQuote: sizing.volatilityTargetQuote,
    sizingScale: sizing.scale,
    sizedQuote: sizing.amountQuote,
    baseSizeEstimate: baseEstimate,
    ...Object.fromEntries(caps.map((cap) => [`room_${cap.code}`, cap.roomQuote])),
  };
  const minimumQuote = Math.max(toApproxNumber(product.quoteMinSize), limits.minOrderQuote);
  if (isZeroDecimal(quote) || quoteNumber < minimumQuote || baseEstimate < toApproxNumber(product.baseMinSize)) {
    const code = capped.binding?.code ?? caps.find((cap) => cap.roomQuote < minimumQuote)?.code ?? 'min_order_size';
    return reject([{ code, message: `Adjusted amount ${quote} is below the minimum order (${minimumQuote} quote, ${product.baseMinSize} base)` }], figures);
  }
  const reasons: RiskReason[] = [{ code: 'approved', message: `BUY ${quote} of ${recommendation.quoteAmount} requested` }];
  if (compareDecimal(quote, recommendation.quoteAmount) < 0) {
    reasons.push({ code: 'size_reduced', message: `Reduced from ${recommendation.quoteAmount} to ${quote} (volatility target, score ${common.riskScore.toFixed(3)}, heat)` });
  }
  if (capped.binding !== undefined) reasons.push({ code: capped.binding.code, message: `Capped by ${capped.binding.code} at ${capped.binding.roomQuote.toFixed(2)}` });
  return {
    ...common,
    figures: finiteFigures({ ...common.figures, ...figures }),
    decision: 'APPROVE',
    reasons,
    adjustedQuoteAmount: quote,
    portfolioHeatAfter: inputs.equityQuote > 0 ? common.portfolioHeat + (quoteNumber * volatility) / inputs.equityQuote : common.portfolioHeat,
    startCooldown: false,
  };
}

type CapCode = 'max_order_amount' | 'max_position' | 'max_total_exposure' | 'max_portfolio_heat' | 'insufficient_funds';

function buyCaps(inputs: RiskInputs, limits: RiskLimits, common: Common): SizeCap<CapCode>[] {
  const productMax = inputs.product?.quoteMaxSize === undefined ? Number.POSITIVE_INFINITY : toApproxNumber(inputs.product.quoteMaxSize);
  const held = inputs.exposures.find((item) => item.productId === inputs.recommendation.productId);
  const reservedBuy = inputs.exposures.reduce((sum, item) => sum + item.reservedBuyQuote, 0);
  return [
    { code: 'max_order_amount', roomQuote: Math.min(limits.maxOrderQuote, productMax) },
    { code: 'max_position', roomQuote: limits.maxPositionQuote - (held === undefined ? 0 : held.notionalQuote + held.reservedBuyQuote) },
    { code: 'max_total_exposure', roomQuote: limits.maxTotalExposureQuote - common.exposureQuote },
    { code: 'max_portfolio_heat', roomQuote: ((limits.maxPortfolioHeat - common.portfolioHeat) * inputs.equityQuote) / common.volatilityAnnualized },
    { code: 'insufficient_funds', roomQuote: inputs.quoteAvailable - reservedBuy },
  ];
}

function decideSell(inputs: RiskInputs, common: Common, held: ProductExposure | undefined, volatility: number): RiskDecisionDraft {
  const { recommendation, product } = inputs;
  const reject = (reasons: RiskReason[]): RiskDecisionDraft => ({
    ...common,
    decision: 'REJECT',
    reasons,
    adjustedQuoteAmount: decimal('0'),
    adjustedBaseSize: decimal('0'),
    portfolioHeatAfter: common.portfolioHeat,
    startCooldown: false,
  });
  const gates = productGate(inputs);
  if (gates.length > 0 || product === undefined) return reject(gates);
  const heldBase = held === undefined ? decimal('0') : subtractDecimal(held.positionSizeBase, held.reservedSellBase);
  if (compareDecimal(heldBase, decimal('0')) <= 0) {
    return reject([{ code: 'nothing_held', message: `Nothing of ${recommendation.productId} is held beyond pending sells` }]);
  }
  const requested = recommendation.baseSize ?? decimal('0');
  let size = floorToIncrement(minDecimal(requested, heldBase), positiveIncrement(product.baseIncrement));
  const reasons: RiskReason[] = [];
  if (product.baseMaxSize !== undefined && compareDecimal(size, product.baseMaxSize) > 0) {
    size = floorToIncrement(product.baseMaxSize, positiveIncrement(product.baseIncrement));
    reasons.push({ code: 'max_order_amount', message: `Capped at the product's base max size ${product.baseMaxSize}` });
  }
  if (isZeroDecimal(size) || compareDecimal(size, product.baseMinSize) < 0) {
    return reject([{ code: 'min_order_size', message: `Sell size ${size} is below the product's base minimum ${product.baseMinSize}` }]);
  }
  const sizeNumber = toApproxNumber(size);
  const quote = decimalFromNumber(sizeNumber * common.markPrice, positiveIncrement(product.quoteIncrement));
  const blocked = inputs.riskState.killSwitch.engaged ? ' (kill switch engaged: reducing is allowed)' : '';
  reasons.unshift({ code: 'approved', message: `SELL ${size} of ${requested} requested${blocked}` });
  if (compareDecimal(size, requested) < 0) reasons.push({ code: 'size_reduced', message: `Reduced from ${requested} to ${size} (held ${heldBase})` });
  const removed = Math.min(sizeNumber * common.markPrice, held?.notionalQuote ?? 0);
  const heldVolatility = held?.volatilityAnnualized ?? volatility;
  return {
    ...common,
    figures: { ...common.figures, heldBaseSize: toApproxNumber(heldBase) },
    decision: 'APPROVE',
    reasons,
    adjustedQuoteAmount: quote,
    adjustedBaseSize: size,
    portfolioHeatAfter: inputs.equityQuote > 0 ? Math.max(0, common.portfolioHeat - (removed * heldVolatility) / inputs.equityQuote) : common.portfolioHeat,
    startCooldown: false,
  };
}

function positiveIncrement(increment: DecimalString): DecimalString {
  return isZeroDecimal(increment) ? decimal('0.00000001') : increment;
}

function finiteFigures(figures: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(figures).filter(([, value]) => Number.isFinite(value)));
}
