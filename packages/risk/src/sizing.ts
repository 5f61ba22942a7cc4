/** What the volatility-targeted size is made of. */
export interface SizingInputs {
  /** The amount the recommendation asks for, in quote. */
  readonly requestedQuote: number;
  /** Equity in quote currency; the volatility target is proportional to it. */
  readonly equityQuote: number;
  /** Annualised volatility of the product bought. */
  readonly volatilityAnnualized: number;
  /** The heat one trade may add before scaling (e.g. 0.02). */
  readonly heatBudgetPerTrade: number;
  /** Risk score in [0, 1]. */
  readonly riskScore: number;
  /** Heat before the trade. */
  readonly portfolioHeat: number;
  /** The heat limit: the size falls linearly to 0 as heat approaches it. */
  readonly maxPortfolioHeat: number;
}

/** The adjusted amount and the figures it came from. */
export interface SizingResult {
  /** `equity × heatBudgetPerTrade / σ`: the amount that adds exactly the per-trade heat budget. */
  readonly volatilityTargetQuote: number;
  /** `(1 − score) × max(0, 1 − H / maxHeat)`. */
  readonly scale: number;
  /** `min(requested, volatilityTarget) × scale`, ≥ 0 and ≤ requested. */
  readonly amountQuote: number;
}

/**
 * Volatility-targeted sizing scaled down by score and heat:
 * `amount = min(requested, equity × budget / σ) × (1 − score) × max(0, 1 − H / maxHeat)`.
 * The volatility target is the notional whose heat (`notional × σ / equity`) equals the per-trade budget.
 * The result is never negative and never above the request; limits and increments are applied after.
 * @returns the amount before limits and rounding, with its parts
 * @example
 * adjustedAmount({ requestedQuote: 100, equityQuote: 10_000, volatilityAnnualized: 0.5, heatBudgetPerTrade: 0.02,
 *   riskScore: 0.3, portfolioHeat: 0.05, maxPortfolioHeat: 0.25 }).amountQuote;
 * // min(100, 400) × 0.7 × 0.8 = 56
 */
export function adjustedAmount(inputs: SizingInputs): SizingResult {
  const requested = Math.max(0, finiteOr(inputs.requestedQuote, 0));
  const volatilityTargetQuote =
    inputs.volatilityAnnualized > 0 ? Math.max(0, (inputs.equityQuote * inputs.heatBudgetPerTrade) / inputs.volatilityAnnualized) : requested;
  const score = Math.min(1, Math.max(0, finiteOr(inputs.riskScore, 1)));
  const heatShare = inputs.maxPortfolioHeat > 0 ? inputs.portfolioHeat / inputs.maxPortfolioHeat : 1;
  const scale = (1 - score) * Math.max(0, 1 - finiteOr(heatShare, 1));
  const amountQuote = Math.min(requested, finiteOr(volatilityTargetQuote, 0)) * scale;
  return { volatilityTargetQuote: finiteOr(volatilityTargetQuote, 0), scale, amountQuote: Math.min(requested, Math.max(0, amountQuote)) };
}

/**
 * A limit's room for the amount of one BUY.
 * @typeParam Code the reason codes a cap may carry
 */
export interface SizeCap<Code extends string = string> {
  /** The limit's reason code, reported when this cap binds. */
  readonly code: Code;
  /** The most this limit lets the order spend (may be negative: no room). */
  readonly roomQuote: number;
}

/**
 * Applies limit caps to an amount: `min(amount, room₁, room₂, …)`, clamped at 0. The binding cap is the one
 * with the least room, reported when it is below the amount.
 * @returns the capped amount and the cap that bound, if any
 * @example
 * capAmount(56, [{ code: 'max_order_amount', roomQuote: 50 }]); // { amountQuote: 50, binding: { code: 'max_order_amount', roomQuote: 50 } }
 */
export function capAmount<Code extends string>(amountQuote: number, caps: readonly SizeCap<Code>[]): { amountQuote: number; binding?: SizeCap<Code> } {
  let binding: SizeCap<Code> | undefined;
  for (const cap of caps) {
    const room = Number.isNaN(cap.roomQuote) ? 0 : cap.roomQuote;
    if (room < (binding?.roomQuote ?? amountQuote)) binding = { code: cap.code, roomQuote: room };
  }
  if (binding === undefined) return { amountQuote: Math.max(0, amountQuote) };
  return { amountQuote: Math.max(0, binding.roomQuote), binding };
}

function finiteOr(value: number, fallback: number): number {
  return Number.isFinite(value) ? value : fallback;
}
