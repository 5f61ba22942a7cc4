// The service that runs validation checks Ollama itself: /health shows why every validation fails closed
// (Ollama down, stuck or without the model), the recorded report holds it, and /live stays 200 (a restart
// would not bring Ollama back). In process, over a memory store, against the shipped fake Ollama on 127.0.0.1.
import { createMemoryStore, silentLogger, type HealthReport, type PipelineStore } from '@tradepipe/core';
import { startFakeOllama, type FakeOllama } from '@tradepipe/llm-validator/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, get } from './e2e-processes.js';
import { startService, type RunningService } from './run-service.js';
import { SERVICES } from './service-catalog.js';

const SECRET = 'unit-test-approval-secret-32-characters-long';

let running: RunningService | undefined;
const fakes: FakeOllama[] = [];
afterEach(async () => {
  await running?.stop();
  running = undefined;
  for (const fake of fakes.splice(0)) await fake.close();
});

async function fake(options: Parameters<typeof startFakeOllama>[0] = {}): Promise<FakeOllama> {
  const started = await startFakeOllama(options);
  fakes.push(started);
  return started;
}

async function orchestrator(ollamaUrl: string, store: PipelineStore, extra: Record<string, string> = {}): Promise<number> {
  const port = await freePort();
  const env = {
    PIPELINE_ID: 'ollama-health',
    RISK_APPROVAL_SECRET: SECRET,
    OLLAMA_HOST: `${ollamaUrl}/`,
    OLLAMA_MODEL: 'llama3.2',
    TRADE_ORCHESTRATOR_PORT: String(port),
    HTTP_HOST: '127.0.0.1',
    ...extra,
  };
  running = await startService(SERVICES['trade-orchestrator'], env, { logger: silentLogger, store });
  return port;
}

async function healthOf(port: number): Promise<{ readonly httpStatus: number; readonly report: HealthReport }> {
  const response = await get(port, '/health');
  return { httpStatus: response.status, report: JSON.parse(response.body) as HealthReport };
}

describe('trade-orchestrator /health checks Ollama', () => {
  it('is ok with the model pulled, failing with ollama_unreachable once Ollama is down, and /live stays 200', async () => {
    const ollama = await fake();
    const store = createMemoryStore();
    const port = await orchestrator(ollama.url, store);
    const up = await healthOf(port);
    expect(up.report.checks.find((check) => check.name === 'ollama')).toMatchObject({ status: 'ok', message: 'model llama3.2 is available' });
    expect(ollama.requests.some((request) => request.path === '/api/tags')).toBe(true);

    await ollama.close();
    const down = await healthOf(port);
    expect(down.httpStatus).toBe(503);
    expect(down.report.status).toBe('failing');
    const check = down.report.checks.find((entry) => entry.name === 'ollama');
    expect(check).toMatchObject({ status: 'failing', message: 'ollama_unreachable: GET /api/tags failed (ECONNREFUSED)' });
    expect(JSON.stringify(down.report)).not.toContain(ollama.url);
    expect((await store.latestHealth('trade-orchestrator'))?.checks).toContainEqual(check);
    const live = await get(port, '/live');
    expect(live.status).toBe(200);
    expect((await get(port, '/ready')).status).toBe(200);
  });

  it('is failing with model_missing when the configured model is not pulled', async () => {
    const ollama = await fake({ models: ['qwen2.5:7b'] });
    const port = await orchestrator(ollama.url, createMemoryStore());
    const { httpStatus, report } = await healthOf(port);
    expect(httpStatus).toBe(503);
    expect(report.checks.find((check) => check.name === 'ollama')?.message).toMatch(/^model_missing: model llama3\.2 is not pulled/);
    expect((await get(port, '/live')).status).toBe(200);
  });

  it('is failing with ollama_timeout when Ollama accepts but does not answer within OLLAMA_HEALTH_TIMEOUT_MS', async () => {
    const ollama = await fake({ infoDelayMs: 600_000 });
    const port = await orchestrator(ollama.url, createMemoryStore(), { OLLAMA_HEALTH_TIMEOUT_MS: '100' });
    const { report } = await healthOf(port);
    expect(report.checks.find((check) => check.name === 'ollama')).toMatchObject({ status: 'failing', message: 'ollama_timeout: no answer from /api/tags within 100 ms' });
  });
});
