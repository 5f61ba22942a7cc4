import type { Candle, Signal, TradeRecommendation } from '@tradepipe/core';

/** A summary of recent candles: enough for a model to judge trend and volatility, in a few hundred bytes. */
export interface CandleSummary {
  /** Candles summarised (at most `maxCandles`). */
  readonly count: number;
  /** Start of the oldest candle summarised, ISO 8601 UTC; absent unless the market is revealed. */
  readonly firstStartAt?: string;
  /** Start of the newest candle summarised, ISO 8601 UTC; absent unless the market is revealed. */
  readonly lastStartAt?: string;
  /** Close of the newest candle: quote per base unit when the market is revealed, else 100 (prices are an index). */
  readonly lastClose: number;
  /** Change of the close over the window, in percent. */
  readonly changePct: number;
  /** Highest high over the window. */
  readonly highestHigh: number;
  /** Lowest low over the window. */
  readonly lowestLow: number;
  /** Standard deviation of close-to-close returns, in percent per candle. */
  readonly volatilityPct: number;
  /** Mean volume per candle over the window, in the base currency; absent unless the market is revealed (its size names the market). */
  readonly meanVolume?: number;
  /** Simple moving averages of the close over the last 5 and the whole window. */
  readonly smaShort: number;
  /** Simple moving average of the close over the whole window. */
  readonly smaLong: number;
  /** `up` when the last close is above both averages, `down` when below both, else `flat`. */
  readonly trend: 'up' | 'down' | 'flat';
  /** Candles made up by the gap policy (close carried forward). */
  readonly gapFilledCount: number;
  /** The last closes, oldest first (as an index unless the market is revealed). */
  readonly recentCloses: readonly number[];
}

/** How the context gives prices: `quote` as traded, or `index`, the last close = 100 (the market hidden). */
export type ContextPrices = 'quote' | 'index';

/** The compact context sent to the model with each recommendation. Deterministic for the same input. */
export interface MarketContext {
  /**
   * The recommendation as the model sees it: times as ISO strings, amounts as decimal strings, the origin described in
   * words.
   */
  readonly recommendation: {
    readonly id: string;
    /** The product; absent unless the market is revealed. */
    readonly productId?: string;
    readonly granularity: string;
    readonly side: 'BUY' | 'SELL';
    readonly intent: 'open' | 'reduce';
    readonly quoteAmount: string;
    /** The base size of a reduce; absent unless the market is revealed (beside the quote amount it gives the price). */
    readonly baseSize?: string;
    readonly referencePrice: number;
    /** The decision candle's start, ISO 8601 UTC; absent unless the market is revealed. */
    readonly candleStartAt?: string;
    readonly origin: string;
  };
  /** How prices are given: `quote`, or `index` (the last close, else the reference price, = 100). */
  readonly prices: ContextPrices;
  /** The model signal behind the recommendation; absent for an exit-rule recommendation or when no signal is given. */
  readonly model?: {
    readonly action: string;
    readonly confidence: number;
    readonly probabilities?: { readonly BUY: number; readonly SELL: number; readonly HOLD: number };
    readonly modelId: string;
    readonly modelVersion: string;
  };
  /** Summary of the recent candles; absent when there are none. */
  readonly candles?: CandleSummary;
  /** Feature name to value, in the feature set's order, at most `maxFeatures`. */
  readonly features?: Readonly<Record<string, number>>;
}

/** Options of {@link buildMarketContext}. */
export interface MarketContextInput {
  /** The recommendation to validate. */
  readonly recommendation: TradeRecommendation;
  /** The signal the recommendation came from; without it the context has no `model` and no `features`. */
  readonly signal?: Signal | undefined;
  /** Candles closed at or before the decision, oldest first. */
  readonly recentCandles: readonly Candle[];
  /**
   * Names of the signal's feature values, in the feature set's order; the first `maxFeatures` become the context's
   * `features`.
   */
  readonly featureNames: readonly string[];
  /** Candles summarised, newest kept (default 50). */
  readonly maxCandles?: number;
  /** Features included, in order (default 16). */
  readonly maxFeatures?: number;
  /** Closes listed in `recentCloses` (default 10). */
  readonly recentCloseCount?: number;
  /**
   * Name the product and the dates and give prices as quoted (default false: no product, no date, no volume, prices
   * as an index with the last close = 100). An LLM that read about a period can recall what followed a date or a
   * price level it is shown: in a backtest over days before its training cut-off that is lookahead, which the
   * candle checks cannot see. The trend, returns, volatility and features it needs are the same either way.
   */
  readonly revealMarket?: boolean;
}

/** Rounds to 6 significant digits so the context is short and stable. */
function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(6)) : 0;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** A price as the context gives it: as quoted, or as an index of `base` = 100. */
type PriceScale = (price: number) => number;

function summarizeCandles(candles: readonly Candle[], recentCloseCount: number, reveal: boolean, scale: PriceScale): CandleSummary | undefined {
  const first = candles[0];
  const last = candles.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const closes = candles.map((candle) => candle.close);
  const returns = closes.slice(1).map((close, index) => close / (closes[index] as number) - 1);
  const averageReturn = mean(returns);
  const variance = mean(returns.map((value) => (value - averageReturn) ** 2));
  const smaShort = mean(closes.slice(-5));
  const smaLong = mean(closes);
  const trend = last.close > smaShort && last.close > smaLong ? 'up' : last.close < smaShort && last.close < smaLong ? 'down' : 'flat';
  let highestHigh = -Infinity;
  let lowestLow = Infinity;
  for (const candle of candles) {
    if (candle.high > highestHigh) highestHigh = candle.high;
    if (candle.low < lowestLow) lowestLow = candle.low;
  }
  return {
    count: candles.length,
    ...(reveal ? { firstStartAt: new Date(first.startMs).toISOString(), lastStartAt: new Date(last.startMs).toISOString() } : {}),
    lastClose: round(scale(last.close)),
    changePct: round((last.close / first.close - 1) * 100),
    highestHigh: round(scale(highestHigh)),
    lowestLow: round(scale(lowestLow)),
    volatilityPct: round(Math.sqrt(variance) * 100),
    ...(reveal ? { meanVolume: round(mean(candles.map((candle) => candle.volume))) } : {}),
    smaShort: round(scale(smaShort)),
    smaLong: round(scale(smaLong)),
    trend,
    gapFilledCount: candles.filter((candle) => candle.gapFilled).length,
    recentCloses: closes.slice(-recentCloseCount).map((close) => round(scale(close))),
  };
}

function describeOrigin(recommendation: TradeRecommendation): string {
  const origin = recommendation.origin;
  return origin.type === 'signal' ? `signal (confidence ${round(origin.confidence)})` : `exit rule ${origin.rule}`;
}

/**
 * Builds the compact market context the LLM sees: the recommendation, the model's signal and confidence,
 * a summary of recent candles (trend, volatility, gaps, last closes) and the key features. Unless
 * `revealMarket`, it names no product, date or volume and gives prices as an index (the last close = 100), so the
 * LLM judges the numbers rather than recalling what followed a date it knows (see
 * {@link MarketContextInput.revealMarket}). Numbers are rounded to 6 significant digits; the same input always
 * gives the same context (and so the same prompt).
 * @returns a JSON-serialisable {@link MarketContext}
 * @example
 * const context = buildMarketContext({ recommendation, signal, recentCandles, featureNames: ['rsi_14'] });
 * JSON.stringify(context);
 */
export function buildMarketContext(input: MarketContextInput): MarketContext {
  const { recommendation, signal } = input;
  const candles = input.recentCandles.slice(-(input.maxCandles ?? 50));
  const reveal = input.revealMarket === true;
  // The index's base: the last close, else the reference price (a context without candles).
  const base = candles.at(-1)?.close ?? recommendation.referencePrice;
  const scale: PriceScale = reveal || !(base > 0) ? (price) => price : (price) => (price / base) * 100;
  const summary = summarizeCandles(candles, input.recentCloseCount ?? 10, reveal, scale);
  const features: Record<string, number> = {};
  if (signal !== undefined) {
    const count = Math.min(input.maxFeatures ?? 16, input.featureNames.length, signal.features.values.length);
    for (let index = 0; index < count; index += 1) {
      features[input.featureNames[index] as string] = round(signal.features.values[index] as number);
    }
  }
  return {
    recommendation: {
      id: recommendation.id,
      ...(reveal ? { productId: recommendation.productId } : {}),
      granularity: recommendation.granularity,
      side: recommendation.side,
      intent: recommendation.intent,
      quoteAmount: recommendation.quoteAmount,
      ...(recommendation.baseSize === undefined || !reveal ? {} : { baseSize: recommendation.baseSize }),
      referencePrice: round(scale(recommendation.referencePrice)),
      ...(reveal ? { candleStartAt: new Date(recommendation.candleStartMs).toISOString() } : {}),
      origin: describeOrigin(recommendation),
    },
    prices: reveal || !(base > 0) ? 'quote' : 'index',
    ...(signal === undefined
      ? {}
      : {
          model: {
            action: signal.action,
            confidence: round(signal.confidence),
            ...(signal.probabilities === undefined ? {} : { probabilities: signal.probabilities }),
            modelId: signal.modelId,
            modelVersion: signal.modelVersion,
          },
        }),
    ...(summary === undefined ? {} : { candles: summary }),
    ...(Object.keys(features).length === 0 ? {} : { features }),
  };
}
