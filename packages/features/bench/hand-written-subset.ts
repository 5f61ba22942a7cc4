import type { RandomColumns } from '../src/test-support/random-candles.js';

/**
 * The reference for the subset benchmark: one fused, hand-written Float64Array loop computing EMA 12/26,
 * RSI 14, MACD 12/26/9, Bollinger 20/2, ATR 14, fast stochastic 14/3, ADX 14 and cumulative OBV, with
 * running sums (no re-summing, no validation, no state save), writing 12 outputs per candle.
 */
export function handWrittenSubset(columns: RandomColumns, output: Float64Array): void {
  const { high, low, close, volume } = columns;
  const length = close.length;
  const a12 = 2 / 13, a26 = 2 / 27, a9 = 2 / 10;
  let ema12 = 0, ema26 = 0, signal = 0, seed12 = 0, seed26 = 0, seedSignal = 0, macdCount = 0;
  let gain = 0, loss = 0;
  const bbRing = new Float64Array(20);
  let bbSum = 0, bbSquares = 0;
  let atr = 0;
  const highRing = new Float64Array(14), lowRing = new Float64Array(14);
  const kRing = new Float64Array(3);
  let kSum = 0;
  let plusDM = 0, minusDM = 0, trSum = 0, adx = 0;
  let obv = 0;
  for (let t = 0; t < length; t++) {
    const h = high[t]!, l = low[t]!, c = close[t]!;
    if (t < 12) seed12 += c; if (t === 11) ema12 = seed12 / 12; else if (t > 11) ema12 += (c - ema12) * a12;
    if (t < 26) seed26 += c; if (t === 25) ema26 = seed26 / 26; else if (t > 25) ema26 += (c - ema26) * a26;
    let macd = 0;
    if (t >= 25) {
      macd = ema12 - ema26;
      if (macdCount < 9) { seedSignal += macd; macdCount++; if (macdCount === 9) signal = seedSignal / 9; } else signal += (macd - signal) * a9;
    }
    const old = bbRing[t % 20]!;
    bbRing[t % 20] = c;
    bbSum += c - old;
    bbSquares += c * c - old * old;
    const mean = bbSum / 20;
    const deviation = Math.sqrt(Math.max(0, bbSquares / 20 - mean * mean));
    highRing[t % 14] = h;
    lowRing[t % 14] = l;
    let hh = h, ll = l;
    for (let k = 0; k < 14; k++) { const x = highRing[k]!; const y = lowRing[k]!; if (x > hh) hh = x; if (y < ll) ll = y; }
    const percentK = hh === ll ? 50 : (100 * (c - ll)) / (hh - ll);
    kSum += percentK - kRing[t % 3]!;
    kRing[t % 3] = percentK;
    let rsi = 50, plusDI = 0, minusDI = 0;
    if (t > 0) {
      const pc = close[t - 1]!, ph = high[t - 1]!, pl = low[t - 1]!;
      const move = c - pc;
      const up = move > 0 ? move : 0, down = move < 0 ? -move : 0;
      if (t <= 14) { gain += up / 14; loss += down / 14; } else { gain = (gain * 13 + up) / 14; loss = (loss * 13 + down) / 14; }
      const total = gain + loss;
      rsi = total === 0 ? 50 : (100 * gain) / total;
      const tr = Math.max(h - l, Math.abs(h - pc), Math.abs(l - pc));
      if (t <= 14) atr += tr / 14; else atr = (atr * 13 + tr) / 14;
      const upMove = h - ph, downMove = pl - l;
      const pdm = upMove > 0 && upMove > downMove ? upMove : 0;
      const mdm = downMove > 0 && downMove > upMove ? downMove : 0;
      plusDM = plusDM - plusDM / 14 + pdm;
      minusDM = minusDM - minusDM / 14 + mdm;
      trSum = trSum - trSum / 14 + tr;
      plusDI = trSum === 0 ? 0 : (100 * plusDM) / trSum;
      minusDI = trSum === 0 ? 0 : (100 * minusDM) / trSum;
      const diSum = plusDI + minusDI;
      const dx = diSum === 0 ? 0 : (100 * Math.abs(plusDI - minusDI)) / diSum;
      adx = (adx * 13 + dx) / 14;
      obv += move > 0 ? volume[t]! : move < 0 ? -volume[t]! : 0;
    }
    const base = t * 12;
    output[base] = ema12;
    output[base + 1] = ema26;
    output[base + 2] = rsi;
    output[base + 3] = macd;
    output[base + 4] = signal;
    output[base + 5] = (c - mean + 2 * deviation) / (4 * deviation || 1);
    output[base + 6] = atr;
    output[base + 7] = percentK;
    output[base + 8] = kSum / 3;
    output[base + 9] = adx;
    output[base + 10] = plusDI - minusDI;
    output[base + 11] = obv;
  }
}
