import { z } from 'zod';

/**
 * zod schema of the weights of the risk score's components; they are normalised to sum to 1.
 * @example
 * const weights = RiskScoreWeightsSchema.parse({ volatility: 1, heat: 1 }); // dailyLoss 0.2, exposure 0.1 by default
 */
export const RiskScoreWeightsSchema = z
  .object({
    volatility: z.number().nonnegative().default(0.4),
    heat: z.number().nonnegative().default(0.3),
    dailyLoss: z.number().nonnegative().default(0.2),
    exposure: z.number().nonnegative().default(0.1),
  })
  .refine((weights) => weights.volatility + weights.heat + weights.dailyLoss + weights.exposure > 0, {
    message: 'at least one score weight must be positive',
  });

/** Weights of the risk score's components; see {@link RiskScoreWeightsSchema}. */
export interface RiskScoreWeights extends z.output<typeof RiskScoreWeightsSchema> {}

/** The figures the risk score is made of. Each becomes a component clamped to [0, 1]. */
export interface RiskScoreInputs {
  /** Annualised volatility of the product traded. */
  readonly volatilityAnnualized: number;
  /** The volatility that counts as fully risky (component 1), e.g. 2.0 = 200 %/year. */
  readonly volatilityCeiling: number;
  /** Portfolio heat before the trade. */
  readonly portfolioHeat: number;
  readonly maxPortfolioHeat: number;
  /** Equity change since 00:00 UTC (negative = loss). */
  readonly dailyPnlQuote: number;
  /** The loss that trips the daily loss limit, in quote (positive). */
  readonly maxDailyLossQuote: number;
  /** Current exposure (positions at mark + in-flight BUY reservations). */
  readonly exposureQuote: number;
  readonly maxTotalExposureQuote: number;
}

/** The score and the components it was made of. */
export interface RiskScoreResult {
  readonly score: number;
  readonly components: { readonly volatility: number; readonly heat: number; readonly dailyLoss: number; readonly exposure: number };
}

/**
 * The default score weights: volatility 0.4, heat 0.3, daily loss 0.2, exposure 0.1.
 * @example
 * riskScore(inputs, DEFAULT_RISK_SCORE_WEIGHTS);
 */
export const DEFAULT_RISK_SCORE_WEIGHTS: RiskScoreWeights = { volatility: 0.4, heat: 0.3, dailyLoss: 0.2, exposure: 0.1 };

/**
 * A risk score in [0, 1]: the weighted mean of four components, each clamped to [0, 1]:
 * `volatility = σ / volatilityCeiling`, `heat = H / maxHeat`, `dailyLoss = max(0, −dailyPnl) / maxDailyLoss`,
 * `exposure = exposure / maxTotalExposure`; `score = Σ wₖ·componentₖ / Σ wₖ`.
 * A limit of 0 (or less) makes its component 1 whenever the figure is positive.
 * @returns the score and its components
 * @example
 * riskScore({ volatilityAnnualized: 0.6, volatilityCeiling: 2, portfolioHeat: 0.05, maxPortfolioHeat: 0.25,
 *   dailyPnlQuote: -100, maxDailyLossQuote: 500, exposureQuote: 2000, maxTotalExposureQuote: 10_000 }).score;
 * // 0.4 × 0.3 + 0.3 × 0.2 + 0.2 × 0.2 + 0.1 × 0.2 = 0.24
 */
export function riskScore(inputs: RiskScoreInputs, weights: RiskScoreWeights = DEFAULT_RISK_SCORE_WEIGHTS): RiskScoreResult {
  const components = {
    volatility: ratio(inputs.volatilityAnnualized, inputs.volatilityCeiling),
    heat: ratio(inputs.portfolioHeat, inputs.maxPortfolioHeat),
    dailyLoss: ratio(Math.max(0, -inputs.dailyPnlQuote), inputs.maxDailyLossQuote),
    exposure: ratio(inputs.exposureQuote, inputs.maxTotalExposureQuote),
  };
  const totalWeight = weights.volatility + weights.heat + weights.dailyLoss + weights.exposure;
  const weighted =
    weights.volatility * components.volatility +
    weights.heat * components.heat +
    weights.dailyLoss * components.dailyLoss +
    weights.exposure * components.exposure;
  return { score: clamp01(weighted / totalWeight), components };
}

function ratio(value: number, limit: number): number {
  if (!(value > 0)) return 0;
  if (!(limit > 0)) return 1;
  return clamp01(value / limit);
}

function clamp01(value: number): number {
  if (Number.isNaN(value)) return 1;
  return Math.min(1, Math.max(0, value));
}
