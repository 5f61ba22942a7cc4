import { describe, expect, it } from 'vitest';
import { makeForwardReturnLabels } from './labels.js';

describe('makeForwardReturnLabels', () => {
  it('labels from the forward return over the horizon', () => {
    const closes = [100, 101, 104, 99, 97, 100];
    // Returns over 2 candles: +4 %, -1.98 %, -6.7 %, +1.0 %, then no future.
    expect(makeForwardReturnLabels(closes, { horizon: 2, buyThreshold: 0.02, sellThreshold: -0.02 })).toEqual(['BUY', 'HOLD', 'SELL', 'HOLD', undefined, undefined]);
  });

  it('keeps returns equal to a threshold as HOLD', () => {
    // 125 / 100 - 1 and 75 / 100 - 1 are exactly ±0.25 in binary floating point.
    expect(makeForwardReturnLabels([100, 125, 100, 75, 100], { horizon: 1, buyThreshold: 0.25, sellThreshold: -0.25 })).toEqual(['HOLD', 'HOLD', 'HOLD', 'BUY', undefined]);
  });

  it('refuses bad settings and prices', () => {
    expect(() => makeForwardReturnLabels([1, 2], { horizon: 0, buyThreshold: 0.01, sellThreshold: -0.01 })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => makeForwardReturnLabels([1, 2], { horizon: 1, buyThreshold: -0.01, sellThreshold: 0.01 })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => makeForwardReturnLabels([1, 0], { horizon: 1, buyThreshold: 0.01, sellThreshold: -0.01 })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
