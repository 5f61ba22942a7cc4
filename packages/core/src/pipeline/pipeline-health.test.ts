// A service adds checks of its own dependencies (its LLM server) to the pipeline's report: they count towards
// its status and are recorded with it.
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../memory-store.js';
import { testProduct } from '../testing/fixtures.js';
import { createManualClock } from '../time.js';
import { createPipeline } from './pipeline.js';
import { ReturnFeatureSet, ThresholdModel } from './test-doubles.js';

describe('Pipeline.health with extra checks', () => {
  it('appends them, takes the worst status over all checks and records that report', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const store = createMemoryStore({ clock });
    await store.putProduct(testProduct());
    const pipeline = createPipeline({ pipelineId: 'test', store, clock, features: new ReturnFeatureSet(), model: new ThresholdModel(), stages: ['signal'] });
    const plain = await pipeline.health('svc');
    expect(plain.status).toBe('ok');
    const ollama = { name: 'ollama', status: 'failing' as const, message: 'ollama_unreachable: GET /api/tags failed (ECONNREFUSED)' };
    const report = await pipeline.health('svc', { extraChecks: [ollama] });
    expect(report.status).toBe('failing');
    expect(report.checks.map((check) => check.name)).toEqual([...plain.checks.map((check) => check.name), 'ollama']);
    expect(await store.latestHealth('svc')).toEqual(report);
  });
});
