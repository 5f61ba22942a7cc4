import { describe, expect, it } from 'vitest';
import { recordId } from '../../ids.js';
import type { Candle, FeatureVector } from '../../records/market.js';
import { testCandle } from '../../testing/fixtures.js';
import type { PipelineRuntime } from '../runtime.js';
import { signalRecord } from './signal-generation.js';

/** The parts of a runtime `signalRecord` reads. */
const runtimeOf = (pipelineId: string): PipelineRuntime => ({ options: { pipelineId, model: { modelId: 'model', modelVersion: '1' } } }) as unknown as PipelineRuntime;

describe('signalRecord ids', () => {
  it("are the natural key's record ids for candles of many series (and pipelines) asked for in turn", () => {
    const prediction = { action: 'HOLD', confidence: 0.5 } as const;
    const products = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'XRP-USD', 'DOT-USD', 'LTC-USD', 'BCH-USD', 'LINK-USD', 'AVAX-USD'];
    for (let index = 0; index < 40; index += 1) {
      for (const [at, productId] of products.entries()) {
        // Series in turn (more than are kept), and now and then another pipeline on the same series.
        const pipelineId = (index + at) % 7 === 0 ? 'other' : 'main';
        const candle: Candle = { ...testCandle({ index }), productId };
        const vector: FeatureVector = { productId, granularity: candle.granularity, candleStartMs: candle.startMs, featureSetVersion: 'v', values: [1] };
        const signal = signalRecord(runtimeOf(pipelineId), candle, vector, prediction, candle.startMs);
        expect(signal.id).toBe(recordId('signal', [pipelineId, productId, candle.granularity, candle.startMs]));
      }
    }
  });
});
