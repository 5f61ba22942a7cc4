import { AverageTrueRange } from '../src/indicators/average-true-range.js';
import { BollingerBands } from '../src/indicators/bollinger-bands.js';
import { DirectionalMovementIndex } from '../src/indicators/directional-movement-index.js';
import { MovingAverageConvergenceDivergence } from '../src/indicators/moving-average-convergence-divergence.js';
import { OnBalanceVolumeSlope } from '../src/indicators/on-balance-volume-slope.js';
import { RelativeStrengthIndex } from '../src/indicators/relative-strength-index.js';
import { StochasticOscillator } from '../src/indicators/stochastic-oscillator.js';
import type { RandomColumns } from '../src/test-support/random-candles.js';

/**
 * The subset with this package's own indicator classes, the ones the 51-feature kernel is built from
 * (with their re-summing, exact 0/0 handling and saveable state), writing 12 outputs per candle.
 */
export function engineSubset(columns: RandomColumns, output: Float64Array): void {
  const macd = new MovingAverageConvergenceDivergence(12, 26, 9);
  const rsi = new RelativeStrengthIndex(14);
  const bands = new BollingerBands(20, 2);
  const atr = new AverageTrueRange(14);
  const stochastic = new StochasticOscillator(14, 3);
  const directional = new DirectionalMovementIndex(14);
  const obv = new OnBalanceVolumeSlope(20);
  const { high, low, close, volume } = columns;
  for (let t = 0; t < close.length; t++) {
    const h = high[t]!, l = low[t]!, c = close[t]!;
    macd.update(c);
    rsi.update(c);
    bands.update(c);
    atr.update(h, l, c);
    stochastic.update(h, l, c);
    directional.update(h, l, c);
    obv.update(c, volume[t]!);
    const base = t * 12;
    output[base] = macd.fast.value;
    output[base + 1] = macd.slow.value;
    output[base + 2] = rsi.value;
    output[base + 3] = macd.line;
    output[base + 4] = macd.signal;
    output[base + 5] = bands.percentB;
    output[base + 6] = atr.value;
    output[base + 7] = stochastic.percentK;
    output[base + 8] = stochastic.percentD;
    output[base + 9] = directional.averageDirectionalIndexValue;
    output[base + 10] = directional.plusDirectionalIndicator - directional.minusDirectionalIndicator;
    output[base + 11] = obv.value;
  }
}
