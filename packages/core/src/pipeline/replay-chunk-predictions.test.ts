import { describe, expect, it } from 'vitest';
import { ChunkPredictions } from './replay-chunk-predictions.js';

describe('ChunkPredictions', () => {
  it('rebuilds a plain prediction equal to the one taken, with or without probabilities', () => {
    const predictions = new ChunkPredictions();
    predictions.reset(4);
    const withProbabilities = { action: 'SELL' as const, confidence: 0.61, probabilities: { BUY: 0.1, SELL: 0.61, HOLD: 0.29 } };
    expect(predictions.take(0, withProbabilities)).toBe(true);
    expect(predictions.take(2, { action: 'HOLD', confidence: -0 })).toBe(true);
    expect(predictions.predictionAt(0)).toStrictEqual(withProbabilities);
    expect(Object.keys(predictions.predictionAt(0)!.probabilities!)).toEqual(['BUY', 'SELL', 'HOLD']);
    expect(Object.is(predictions.predictionAt(2)!.confidence, -0)).toBe(true);
    expect(predictions.predictionAt(2)).toStrictEqual({ action: 'HOLD', confidence: -0 });
    expect(predictions.has(1)).toBe(false);
    expect(predictions.predictionAt(1)).toBeUndefined();
    expect(predictions.scratchProbabilitiesAt(0)).toStrictEqual(withProbabilities.probabilities);
  });

  it('takes nothing it could not rebuild exactly: other keys, key orders, types or prototypes, or a row past the chunk', () => {
    const predictions = new ChunkPredictions();
    predictions.reset(2);
    const refused: unknown[] = [
      { action: 'BUY', confidence: 0.7, extra: 1 },
      { confidence: 0.7, action: 'BUY' },
      { action: 'BUY', confidence: 0.7, probabilities: { SELL: 0.2, BUY: 0.7, HOLD: 0.1 } },
      { action: 'BUY', confidence: 0.7, probabilities: undefined },
      { action: 'BUY', confidence: '0.7' },
      { action: 'LONG', confidence: 0.7 },
      Object.assign(Object.create({ inherited: true }) as object, { action: 'BUY', confidence: 0.7 }),
      undefined,
    ];
    for (const prediction of refused) expect(predictions.take(0, prediction as never)).toBe(false);
    expect(predictions.has(0)).toBe(false);
    expect(predictions.take(2, { action: 'BUY', confidence: 0.7 })).toBe(false);
    expect(predictions.has(2)).toBe(false);
  });

  it('starts each chunk with no row predicted', () => {
    const predictions = new ChunkPredictions();
    predictions.reset(2);
    predictions.take(1, { action: 'BUY', confidence: 0.9 });
    predictions.reset(2);
    expect(predictions.has(1)).toBe(false);
  });
});
