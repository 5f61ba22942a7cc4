import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTradepipeError } from './errors.js';
import { checkFeatureView, createFeatureView, featureSetVersionParts, isModelView } from './feature-view.js';
import type { FeatureVector } from './records/market.js';
import { createMemoryStore } from './memory-store.js';
import { createPipeline } from './pipeline/pipeline.js';
import { ReturnFeatureSet, ThresholdModel } from './pipeline/test-doubles.js';
import { testCandle } from './testing/fixtures.js';

const set = { featureNames: ['a', 'b', 'c', 'd'], featureSetVersion: 'base-v1' };
const vector: FeatureVector = { productId: 'BTC-USD', granularity: 'ONE_HOUR', candleStartMs: 0, featureSetVersion: 'base-v1', values: [10, 20, 30, 40] };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isTradepipeError(error) ? error.code : 'other';
  }
  return undefined;
}

describe('createFeatureView', () => {
  it('picks any subset in any order, and returns the vector itself for the whole set in order', () => {
    const view = createFeatureView(set, { featureNames: ['d', 'a'], featureSetVersion: 'base-v1' });
    expect(view.project(vector)).toEqual({ ...vector, values: [40, 10] });
    expect(view.isIdentity).toBe(false);
    const whole = createFeatureView(set, set);
    expect(whole.isIdentity).toBe(true);
    expect(whole.project(vector)).toBe(vector);
  });

  it('marks what it projects as a model\'s view (not enumerable: records and JSON unchanged), also a permutation of the whole set', () => {
    const permutation = createFeatureView(set, { featureNames: ['b', 'a', 'd', 'c'], featureSetVersion: 'base-v1' });
    const projected = permutation.project(vector);
    // The set's width and version: only the mark tells it from the set's own vector.
    expect(projected).toEqual({ ...vector, values: [20, 10, 40, 30] });
    expect(isModelView(projected)).toBe(true);
    expect(isModelView(vector)).toBe(false);
    expect(JSON.parse(JSON.stringify(projected))).toEqual(projected);
    expect(Object.keys(projected)).toEqual(Object.keys(vector));
    expect(isModelView(createFeatureView(set, set).project(vector))).toBe(false);
  });

  it('projects every permutation of every subset to the values of those names (fast-check, seed 4848)', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(set.featureNames, { minLength: 1 }), (names) => {
        const projected = createFeatureView(set, { featureNames: names, featureSetVersion: 'base-v1' }).project(vector);
        return projected.values.every((value, index) => value === vector.values[set.featureNames.indexOf(names[index]!)]);
      }),
      { seed: 4848, numRuns: 200 },
    );
  });

  it('refuses a model that reads a feature the set lacks, lists one twice, or was trained on another version', () => {
    expect(() => checkFeatureView(set, { featureNames: ['a', 'x', 'y'], featureSetVersion: 'base-v1' })).toThrow(/'x', 'y'/);
    expect(codeOf(() => checkFeatureView(set, { featureNames: ['a', 'a'], featureSetVersion: 'base-v1' }))).toBe('model_mismatch');
    expect(codeOf(() => checkFeatureView(set, { featureNames: [], featureSetVersion: 'base-v1' }))).toBe('model_mismatch');
    expect(codeOf(() => checkFeatureView(set, { featureNames: ['a'], featureSetVersion: 'base-v0' }))).toBe('model_mismatch');
    // A model of the base set reads from a set composed of the base and a plugin, not the other way round.
    const composed = { featureNames: [...set.featureNames, 'plugin.e'], featureSetVersion: 'base-v1+plugin-v1' };
    expect(codeOf(() => checkFeatureView(composed, { featureNames: ['a'], featureSetVersion: 'base-v1' }))).toBeUndefined();
    expect(codeOf(() => checkFeatureView(set, { featureNames: ['a'], featureSetVersion: 'base-v1+plugin-v1' }))).toBe('model_mismatch');
    expect(featureSetVersionParts('base-v1+plugin-v1')).toEqual(['base-v1', 'plugin-v1']);
  });

  it('refuses a vector of another set', () => {
    const view = createFeatureView(set, { featureNames: ['b'], featureSetVersion: 'base-v1' });
    expect(codeOf(() => view.project({ ...vector, featureSetVersion: 'other' }))).toBe('model_mismatch');
    expect(codeOf(() => view.project({ ...vector, values: [1, 2] }))).toBe('model_mismatch');
  });
});

describe('a pipeline whose model reads a subset of the features', () => {
  it('is refused when built if the model reads a feature the set lacks, naming it', () => {
    const model = Object.assign(new ThresholdModel(), { featureNames: ['return_1', 'volume_ratio'] });
    let caught: unknown;
    try {
      createPipeline({ pipelineId: 'x', store: createMemoryStore(), features: new ReturnFeatureSet(), model });
    } catch (error) {
      caught = error;
    }
    expect(isTradepipeError(caught, 'pipeline_invalid')).toBe(true);
    expect((caught as Error).message).toContain("'volume_ratio'");
  });

  it('hands a one-feature model exactly its feature, no padding', async () => {
    const seen: FeatureVector[] = [];
    const model = Object.assign(new ThresholdModel(), {
      featureNames: ['return_1'],
      predict: async (given: FeatureVector) => {
        seen.push(given);
        return { action: given.values[0]! > 0.01 ? 'BUY' : 'HOLD', confidence: 0.8 } as const;
      },
    });
    const store = createMemoryStore();
    const pipeline = createPipeline({ pipelineId: 'subset', store, features: new ReturnFeatureSet(), model, stages: ['signal'] });
    await store.putCandles([testCandle({ index: 0, close: 100 }), testCandle({ index: 1, close: 103 })]);
    await pipeline.runUntilIdle();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.values).toEqual([103 / 100 - 1]);
    expect(seen[0]!.featureSetVersion).toBe('test-2');
  });
});
