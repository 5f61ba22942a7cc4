import { AverageTrueRange } from './indicators/average-true-range.js';
import { BollingerBands } from './indicators/bollinger-bands.js';
import { CommodityChannelIndex } from './indicators/commodity-channel-index.js';
import { DirectionalMovementIndex } from './indicators/directional-movement-index.js';
import { MoneyFlowIndex } from './indicators/money-flow-index.js';
import { MovingAverageConvergenceDivergence } from './indicators/moving-average-convergence-divergence.js';
import { OnBalanceVolumeSlope } from './indicators/on-balance-volume-slope.js';
import { RelativeStrengthIndex } from './indicators/relative-strength-index.js';
import { StochasticOscillator } from './indicators/stochastic-oscillator.js';
import { VolumeWeightedAveragePrice } from './indicators/volume-weighted-average-price.js';
import { FEATURE_COUNT, WARMUP_CANDLES } from './feature-names.js';
import { RollingExtreme } from './internal/rolling-extreme.js';
import { RollingMoments } from './internal/rolling-moments.js';
import { RollingSum } from './internal/rolling-sum.js';
import { ExponentialAverage } from './internal/smoothing.js';
import type { StateReader, StateWriter, Stateful } from './internal/state-buffer.js';
import { writeCandleShape, writeTimeEncoding } from './candle-shape.js';

const LOG_CLOSE_RING = 64;
const PARKINSON_FACTOR = 1 / (4 * Math.LN2);

/**
 * The fused computation behind both the streaming engine and the batch function: one `step` per
 * candle, O(1) (CCI's 20-element loop aside), no allocation. It trusts its input: callers validate.
 * @internal
 */
export class FeatureKernel {
  /** The latest feature values, in {@link FEATURE_NAMES} order; meaningful once `isReady`. */
  readonly values = new Float64Array(FEATURE_COUNT);
  candleCount = 0;
  private readonly logCloses = new Float64Array(LOG_CLOSE_RING);
  private readonly closeSum10 = new RollingSum(10);
  private readonly closeSum50 = new RollingSum(50);
  private readonly exponential50 = new ExponentialAverage(50);
  private readonly rsi7 = new RelativeStrengthIndex(7);
  private readonly rsi14 = new RelativeStrengthIndex(14);
  private readonly rsi21 = new RelativeStrengthIndex(21);
  private readonly macd = new MovingAverageConvergenceDivergence(12, 26, 9);
  private readonly bollinger = new BollingerBands(20, 2);
  private readonly atr = new AverageTrueRange(14);
  private readonly stochastic = new StochasticOscillator(14, 3);
  private readonly cci = new CommodityChannelIndex(20);
  private readonly directional = new DirectionalMovementIndex(14);
  private readonly obv = new OnBalanceVolumeSlope(20);
  private readonly mfi = new MoneyFlowIndex(14);
  private readonly vwap20 = new VolumeWeightedAveragePrice(20);
  private readonly vwap50 = new VolumeWeightedAveragePrice(50);
  private readonly returns10 = new RollingMoments(10);
  private readonly returns20 = new RollingMoments(20);
  private readonly returns60 = new RollingMoments(60);
  private readonly squaredLogRange20 = new RollingSum(20);
  private readonly volume20 = new RollingMoments(20);
  private readonly highest60 = new RollingExtreme(60, true);
  private readonly lowest60 = new RollingExtreme(60, false);
  private readonly parts: readonly Stateful[] = [
    this.closeSum10, this.closeSum50, this.exponential50, this.rsi7, this.rsi14, this.rsi21, this.macd,
    this.bollinger, this.atr, this.stochastic, this.cci, this.directional, this.obv, this.mfi, this.vwap20,
    this.vwap50, this.returns10, this.returns20, this.returns60, this.squaredLogRange20, this.volume20,
    this.highest60, this.lowest60,
  ];

  /**
   * @param firstVectorAt candles before the first vector (default {@link WARMUP_CANDLES}); the warm-up
   * analysis asks for earlier vectors to measure how much they still depend on the start
   */
  constructor(private readonly firstVectorAt: number = WARMUP_CANDLES) {}

  /** Whether the last `step` produced a full vector. */
  get isReady(): boolean {
    return this.candleCount >= this.firstVectorAt;
  }

  /** Feeds one candle; returns whether `values` now holds a vector. */
  step(startMs: number, open: number, high: number, low: number, close: number, volume: number): boolean {
    const index = this.candleCount;
    const logClose = Math.log(close);
    const logReturn = index === 0 ? 0 : logClose - this.logCloses[(index - 1) & (LOG_CLOSE_RING - 1)]!;
    this.logCloses[index & (LOG_CLOSE_RING - 1)] = logClose;
    this.candleCount = index + 1;
    this.updateIndicators(high, low, close, volume, logReturn);
    if (this.candleCount < this.firstVectorAt) return false;
    this.writeTrend(close, logClose);
    this.writeOscillators(close);
    this.writeVolatilityAndVolume(close, volume);
    writeCandleShape(this.values, open, high, low, close);
    writeTimeEncoding(this.values, startMs);
    return true;
  }

  private updateIndicators(high: number, low: number, close: number, volume: number, logReturn: number): void {
    this.closeSum10.push(close);
    this.closeSum50.push(close);
    this.exponential50.push(close);
    this.rsi7.update(close);
    this.rsi14.update(close);
    this.rsi21.update(close);
    this.macd.update(close);
    this.bollinger.update(close);
    this.atr.update(high, low, close);
    this.stochastic.update(high, low, close);
    this.cci.update(high, low, close);
    this.directional.update(high, low, close);
    this.obv.update(close, volume);
    this.mfi.update(high, low, close, volume);
    this.vwap20.update(high, low, close, volume);
    this.vwap50.update(high, low, close, volume);
    if (this.candleCount > 1) {
      this.returns10.push(logReturn);
      this.returns20.push(logReturn);
      this.returns60.push(logReturn);
    }
    const logRange = Math.log(high / low);
    this.squaredLogRange20.push(logRange * logRange);
    this.volume20.push(volume);
    this.highest60.push(high);
    this.lowest60.push(low);
  }

  private writeTrend(close: number, logClose: number): void {
    const values = this.values;
    const ring = this.logCloses;
    const index = this.candleCount - 1;
    const mask = LOG_CLOSE_RING - 1;
    values[0] = logClose - ring[(index - 1) & mask]!;
    values[1] = logClose - ring[(index - 3) & mask]!;
    values[2] = logClose - ring[(index - 5) & mask]!;
    values[3] = logClose - ring[(index - 10) & mask]!;
    values[4] = logClose - ring[(index - 20) & mask]!;
    values[5] = logClose - ring[(index - 60) & mask]!;
    const sma10 = this.closeSum10.isConstant ? close : this.closeSum10.sum / 10;
    const sma20 = this.bollinger.middle;
    const sma50 = this.closeSum50.isConstant ? close : this.closeSum50.sum / 50;
    const ema12 = this.macd.fast.value;
    const ema26 = this.macd.slow.value;
    values[6] = close / sma10 - 1;
    values[7] = close / sma20 - 1;
    values[8] = close / sma50 - 1;
    values[9] = close / ema12 - 1;
    values[10] = close / ema26 - 1;
    values[11] = close / this.exponential50.value - 1;
    values[12] = sma10 / sma50 - 1;
    values[13] = ema12 / ema26 - 1;
  }

  private writeOscillators(close: number): void {
    const values = this.values;
    values[14] = this.rsi7.value;
    values[15] = this.rsi14.value;
    values[16] = this.rsi21.value;
    values[17] = this.macd.line / close;
    values[18] = this.macd.signal / close;
    values[19] = this.macd.histogram / close;
    values[20] = this.bollinger.width;
    values[21] = this.bollinger.percentB;
    const averageTrueRange = this.atr.value;
    values[22] = averageTrueRange === 0 ? 1 : this.atr.trueRange / averageTrueRange;
    values[23] = (100 * averageTrueRange) / close;
    values[24] = this.stochastic.percentK;
    values[25] = this.stochastic.percentD;
    values[26] = this.stochastic.williamsR;
    values[27] = this.cci.value;
    values[28] = this.directional.averageDirectionalIndexValue;
    values[29] = this.directional.plusDirectionalIndicator;
    values[30] = this.directional.minusDirectionalIndicator;
    values[31] = this.obv.value;
    values[32] = this.mfi.value;
  }

  private writeVolatilityAndVolume(close: number, volume: number): void {
    const values = this.values;
    values[33] = close / this.vwap20.value - 1;
    values[34] = close / this.vwap50.value - 1;
    values[35] = Math.sqrt(this.returns10.sampleVariance);
    values[36] = Math.sqrt(this.returns20.sampleVariance);
    values[37] = Math.sqrt(this.returns60.sampleVariance);
    values[38] = Math.sqrt((this.squaredLogRange20.sum / 20) * PARKINSON_FACTOR);
    const volumeMean = this.volume20.mean;
    const volumeDeviation = Math.sqrt(this.volume20.populationVariance);
    values[43] = volumeDeviation === 0 ? 0 : (volume - volumeMean) / volumeDeviation;
    values[44] = volumeMean === 0 ? 1 : volume / volumeMean;
    values[45] = close / this.highest60.value - 1;
    values[46] = close / this.lowest60.value - 1;
  }

  /** Appends the whole state (every indicator, the log-close ring, the count and the last values). */
  save(writer: StateWriter): void {
    writer.number(this.candleCount);
    writer.array(this.logCloses);
    writer.array(this.values);
    for (const part of this.parts) part.save(writer);
  }

  /** Restores what `save` wrote. @throws TradepipeError `validation_failed` on a malformed state. */
  load(reader: StateReader): void {
    this.candleCount = reader.integer(0, Number.MAX_SAFE_INTEGER);
    reader.array(this.logCloses);
    reader.array(this.values);
    for (const part of this.parts) part.load(reader);
  }
}
