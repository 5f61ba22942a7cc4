import type { FeatureVector, SignalAction } from '@tradepipe/core';

/**
 * Test fixtures: seeded random numbers and series with planted patterns. Not exported by the package.
 * @internal
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

/**
 * Rows of `featureCount` features where the label is planted: BUY when `2·f0 − 1.5·f1` is high,
 * SELL when low, with noise; f2 is constant, f3 is on a scale of thousands.
 * @internal
 */
export function plantedLinearData(rowCount: number, featureCount: number, seed: number): { rows: number[][]; labels: SignalAction[] } {
  const random = seededRandom(seed);
  const rows: number[][] = [];
  const labels: SignalAction[] = [];
  for (let index = 0; index < rowCount; index += 1) {
    const row = Array.from({ length: featureCount }, () => random() * 2 - 1);
    row[2] = 3;
    row[3] = 50_000 + 1_000 * (row[3] as number);
    const score = 2 * (row[0] as number) - 1.5 * (row[1] as number) + 0.3 * (random() - 0.5);
    rows.push(row);
    labels.push(score > 1 ? 'BUY' : score < -1 ? 'SELL' : 'HOLD');
  }
  return { rows, labels };
}

/**
 * Rows whose label is a non-linear rule: BUY when f0 > 0.5 and f1 > 0, SELL when f0 < -0.5, else HOLD.
 * @internal
 */
export function plantedRuleData(rowCount: number, featureCount: number, seed: number): { rows: number[][]; labels: SignalAction[] } {
  const random = seededRandom(seed);
  const rows: number[][] = [];
  const labels: SignalAction[] = [];
  for (let index = 0; index < rowCount; index += 1) {
    const row = Array.from({ length: featureCount }, () => random() * 2 - 1);
    rows.push(row);
    const f0 = row[0] as number;
    labels.push(f0 > 0.5 && (row[1] as number) > 0 ? 'BUY' : f0 < -0.5 ? 'SELL' : 'HOLD');
  }
  return { rows, labels };
}

/**
 * A price series whose next-candle return follows feature 0 of the previous row (a planted, tradable
 * signal), with daily timestamps.
 * @internal
 */
export function plantedPriceSeries(rowCount: number, featureCount: number, seed: number): { rows: number[][]; closes: number[]; timestamps: number[] } {
  const random = seededRandom(seed);
  const rows: number[][] = [];
  const closes: number[] = [];
  const timestamps: number[] = [];
  let close = 100;
  for (let index = 0; index < rowCount; index += 1) {
    const row = Array.from({ length: featureCount }, () => random() * 2 - 1);
    rows.push(row);
    closes.push(close);
    timestamps.push(Date.UTC(2020, 0, 1) + index * 86_400_000);
    close *= 1 + 0.03 * (row[0] as number) + 0.005 * (random() - 0.5);
  }
  return { rows, closes, timestamps };
}

/** Wraps rows as feature vectors. @internal */
export function toVectors(rows: readonly (readonly number[])[], featureSetVersion: string): FeatureVector[] {
  return rows.map((values, index) => ({ productId: 'BTC-USD', granularity: 'ONE_DAY', candleStartMs: index * 86_400_000, featureSetVersion, values }));
}

/** Feature names f0…f(n-1). @internal */
export function featureNamesOf(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `f${index}`);
}
