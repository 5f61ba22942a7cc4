import { createMemoryStore } from '@tradepipe/core';
import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from './metrics.js';

describe('service metrics', () => {
  it('names every metric once with the tradepipe_ prefix, never a doubled one', async () => {
    const metrics = createServiceMetrics({ service: 'fill-tracker', stage: 'fills', store: createMemoryStore(), pipeline: undefined });
    const { body } = await metrics.render();
    const names = [...new Set(body.split('\n').filter((line) => line.startsWith('# TYPE ')).map((line) => line.split(' ')[2]!))];
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((name) => !name.startsWith('tradepipe_'))).toEqual([]);
    expect(names.filter((name) => /(process_process|nodejs_nodejs|tradepipe_tradepipe)/.test(name))).toEqual([]);
    expect(names).toContain('tradepipe_process_cpu_seconds_total');
    expect(names).toContain('tradepipe_items_processed_total');
    expect(body).toContain('service="fill-tracker"');
  });
});
