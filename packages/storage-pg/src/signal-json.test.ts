import { canonicalJson, type Signal } from '@tradepipe/core';
import { testSignal } from '@tradepipe/core/testing';
import { describe, expect, it } from 'vitest';
import { signalJson } from './signal-json.js';

function withoutValues(signal: Signal): unknown {
  const { values, ...features } = signal.features;
  return { ...signal, features };
}

describe('signalJson', () => {
  const base = testSignal({ granularity: 'ONE_MINUTE', pipelineId: 'p "quoted" \\ ünï' });
  const cases: Signal[] = [
    base,
    { ...base, probabilities: { BUY: 0.2, SELL: 0.1, HOLD: 0.7 } },
    { ...base, confidence: 1e-7, closePrice: 123456789.123, modelId: 'm\n\t"x"', modelVersion: '🙂' },
    { ...base, features: { ...base.features, values: [-0, 0, 1e21, -1e-7, 0.1 + 0.2, Number.MAX_VALUE, Number.MIN_VALUE] } },
  ];

  it('gives exactly canonicalJson of the record, and of the record less its feature values', () => {
    for (const signal of cases) {
      const json = signalJson(signal);
      expect(json.canonical).toBe(canonicalJson(signal));
      expect(json.withoutValues).toBe(canonicalJson(withoutValues(signal)));
    }
  });

  it('falls back to canonicalJson for a shape it does not know', () => {
    const { modelId, ...missing } = { ...base, probabilities: { BUY: 0.2, SELL: 0.1, HOLD: 0.7 } };
    const shapes = [{ ...base, extra: 'x' }, missing, { ...base, features: { ...base.features, extra: 1 } }, { ...base, probabilities: { BUY: 1, SELL: 0 } }];
    for (const shape of shapes as unknown as Signal[]) {
      expect(signalJson(shape).canonical).toBe(canonicalJson(shape));
      expect(signalJson(shape).withoutValues).toBe(canonicalJson(withoutValues(shape)));
    }
  });
});
