import type { Granularity } from '@tradepipe/core';

/**
 * The 51 feature names in model-input order. This order is the contract between the feature set and
 * every model trained on it; it changes only together with {@link FEATURE_SET_VERSION}. The README
 * defines each feature and its warm-up.
 * @example
 * FEATURE_NAMES.indexOf('rsi_14'); // 15
 */
export const FEATURE_NAMES = [
  'log_return_1',
  'log_return_3',
  'log_return_5',
  'log_return_10',
  'log_return_20',
  'log_return_60',
  'close_to_sma_10',
  'close_to_sma_20',
  'close_to_sma_50',
  'close_to_ema_12',
  'close_to_ema_26',
  'close_to_ema_50',
  'sma_10_to_sma_50',
  'ema_12_to_ema_26',
  'rsi_7',
  'rsi_14',
  'rsi_21',
  'macd_line_to_close',
  'macd_signal_to_close',
  'macd_histogram_to_close',
  'bollinger_width_20',
  'bollinger_percent_b_20',
  'true_range_to_atr_14',
  'natr_14',
  'stochastic_k_14',
  'stochastic_d_14_3',
  'williams_r_14',
  'cci_20',
  'adx_14',
  'plus_di_14',
  'minus_di_14',
  'obv_slope_20',
  'mfi_14',
  'vwap_distance_20',
  'vwap_distance_50',
  'realized_volatility_10',
  'realized_volatility_20',
  'realized_volatility_60',
  'parkinson_volatility_20',
  'body_to_range',
  'upper_wick_to_range',
  'lower_wick_to_range',
  'range_to_close',
  'volume_zscore_20',
  'volume_to_average_20',
  'drawdown_from_high_60',
  'rise_from_low_60',
  'hour_of_day_sin',
  'hour_of_day_cos',
  'day_of_week_sin',
  'day_of_week_cos',
] as const;

/**
 * One feature's name; see {@link FEATURE_NAMES}.
 */
export type FeatureName = (typeof FEATURE_NAMES)[number];

/**
 * Version of the feature set: names, order, definitions and warm-up. Models record it and refuse
 * vectors of another version; saved engine states of another version are refused too.
 * `tp-51-v2` made every feature free of the price unit and level (`atr_14`, in price units, became
 * `true_range_to_atr_14`); `tp-51-v1` states and models no longer load.
 * @example
 * FEATURE_SET_VERSION; // 'tp-51-v2'
 */
export const FEATURE_SET_VERSION = 'tp-51-v2';

/**
 * Candles fed before the first vector: the vector at the `WARMUP_CANDLES`-th candle is the first one.
 * 700 candles is 14× the longest recursive period (EMA 50), long enough that the seeds of every
 * exponential and Wilder average have decayed below 1e-10 of their input, so a vector no longer depends
 * on where the series started.
 * @example
 * WARMUP_CANDLES; // 700
 */
export const WARMUP_CANDLES = 700;

/** Number of features. @internal */
export const FEATURE_COUNT = FEATURE_NAMES.length;

/**
 * The time-of-day encodings: constant on `ONE_DAY` candles (each starts at midnight UTC), so a daily
 * model learns nothing from them. They stay in the set; {@link defaultModelFeatureNames} leaves them out
 * of daily models.
 */
export const HOUR_OF_DAY_FEATURE_NAMES: readonly FeatureName[] = ['hour_of_day_sin', 'hour_of_day_cos'];

/**
 * Features whose value depends on the price unit or level (quoting the candles in cents instead of
 * dollars would change them). None since `tp-51-v2`: every feature is a ratio, a return, an oscillator or
 * a calendar encoding, and the scale test checks it. A feature listed here is kept out of default models.
 */
export const SCALE_DEPENDENT_FEATURE_NAMES: readonly FeatureName[] = [];

/**
 * The features a default model at `granularity` reads: every scale-free feature, without the hour-of-day
 * encodings on daily candles (where they are constant).
 * @example
 * defaultModelFeatureNames('ONE_DAY').length; // 49
 * defaultModelFeatureNames('ONE_HOUR').length; // 51
 */
export function defaultModelFeatureNames(granularity: Granularity): FeatureName[] {
  return FEATURE_NAMES.filter(
    (name) => !SCALE_DEPENDENT_FEATURE_NAMES.includes(name) && !(granularity === 'ONE_DAY' && HOUR_OF_DAY_FEATURE_NAMES.includes(name)),
  );
}
