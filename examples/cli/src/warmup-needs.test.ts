import type { WarmupAnalysis } from '@tradepipe/features';
import { describe, expect, it } from 'vitest';
import { warmupNeeds } from './warmup-needs.js';

function analysis(features: Record<string, number[]>): WarmupAnalysis {
  return {
    historyCandles: [100, 200, 300, 400],
    samples: 10,
    features: Object.entries(features).map(([name, maxChange]) => ({ name, maxChange })),
    declaredWarmupCandles: 300,
    worstChangeAtDeclared: 0,
    worstFeatureAtDeclared: '',
  };
}

describe('warmupNeeds', () => {
  it('needs the shortest length from which every longer one is within the tolerance, the largest over the features', () => {
    const needs = warmupNeeds(analysis({ windowed: [1e-15, 1e-15, 1e-15, 1e-15], recursive: [1e-3, 1e-7, 1e-10, 1e-12] }), 1e-9, 300);
    expect(needs.features.map((feature) => feature.neededCandles)).toEqual([100, 300]);
    expect(needs.neededCandles).toBe(300);
    expect(needs.passed).toBe(true);
    expect(warmupNeeds(analysis({ recursive: [1e-3, 1e-7, 1e-10, 1e-12] }), 1e-9, 200).passed).toBe(false);
    expect(warmupNeeds(analysis({ recursive: [1e-3, 1e-7, 1e-10, 1e-12] }), 1e-6, 200)).toMatchObject({ neededCandles: 200, passed: true });
  });

  it('does not count a length that passes by chance before a longer one fails', () => {
    expect(warmupNeeds(analysis({ bumpy: [1e-3, 1e-12, 1e-8, 1e-12] }), 1e-9, 200)).toMatchObject({ neededCandles: 400, passed: false });
  });

  it('says null, and fails, when even the longest history is not enough', () => {
    const needs = warmupNeeds(analysis({ slow: [1e-3, 1e-4, 1e-5, 1e-6], fast: [0, 0, 0, 0] }), 1e-9, 400);
    expect(needs.features[0]!.neededCandles).toBeNull();
    expect(needs.neededCandles).toBeNull();
    expect(needs.passed).toBe(false);
  });
});
