import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SignalAction } from '@tradepipe/core';
import { balancedClassWeights, sampleWeightsFor } from './class-weights.js';
import { classIndexOf } from './classes.js';

describe('balancedClassWeights', () => {
  it('weights a skewed label set so that every class carries the same total weight', () => {
    const labels: (SignalAction | undefined)[] = [...Array<SignalAction>(80).fill('HOLD'), ...Array<SignalAction>(15).fill('BUY'), ...Array<SignalAction>(5).fill('SELL'), undefined];
    const weights = balancedClassWeights(labels);
    expect(weights.HOLD).toBeCloseTo(100 / (3 * 80), 12);
    expect(weights.BUY).toBeCloseTo(100 / (3 * 15), 12);
    expect(weights.SELL).toBeCloseTo(100 / (3 * 5), 12);
    expect(80 * weights.HOLD).toBeCloseTo(5 * weights.SELL, 12);
  });

  it('gives an absent class weight 0 and refuses an empty set', () => {
    expect(balancedClassWeights(['BUY', 'HOLD', 'HOLD', 'HOLD'])).toEqual({ BUY: 2, HOLD: 2 / 3, SELL: 0 });
    expect(() => balancedClassWeights([undefined])).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });

  it('property: present classes have equal totals summing to the label count (seed 42)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<SignalAction>('BUY', 'SELL', 'HOLD'), { minLength: 1, maxLength: 300 }), (labels) => {
        const weights = balancedClassWeights(labels);
        const totals = { BUY: 0, SELL: 0, HOLD: 0 };
        for (const label of labels) totals[label] += weights[label];
        const present = (['BUY', 'SELL', 'HOLD'] as const).filter((action) => labels.includes(action));
        for (const action of present) expect(totals[action]).toBeCloseTo(labels.length / present.length, 9);
        const sampleWeights = sampleWeightsFor(Uint8Array.from(labels, classIndexOf), 'balanced');
        expect(sampleWeights.reduce((sum, weight) => sum + weight, 0)).toBeCloseTo(labels.length, 9);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
