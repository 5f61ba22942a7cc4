import { silentLogger, type HealthReport } from '@tradepipe/core';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpHandlers, type ServiceHttpServer } from './http-server.js';

const failingHealth: HealthReport = {
  service: 'trade-executor',
  status: 'failing',
  checks: [{ name: 'unknown_orders', status: 'failing', value: 1, message: 'orders await reconciliation' }],
  reportedAtMs: 0,
};

let server: ServiceHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(live: HttpHandlers['live']): Promise<string> {
  server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    handlers: { health: async () => failingHealth, ready: async () => ({ ready: true }), metrics: async () => ({ contentType: 'text/plain', body: '' }), ...(live === undefined ? {} : { live }) },
  });
  return `http://127.0.0.1:${server.port}`;
}

describe('service HTTP server', () => {
  it('keeps /live at 200 while /health is failing for an UNKNOWN order: a liveness probe restarts nothing for it', async () => {
    const base = await serve(() => ({ live: true }));
    expect((await fetch(`${base}/health`)).status).toBe(503);
    const live = await fetch(`${base}/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ live: true });
  });

  it('answers 503 on /live once a worker stopped, with the reason', async () => {
    const base = await serve(() => ({ live: false, reason: 'stopped workers: execution' }));
    const live = await fetch(`${base}/live`);
    expect(live.status).toBe(503);
    expect(await live.json()).toEqual({ live: false, reason: 'stopped workers: execution' });
  });

  it('answers 200 on /live for a service without workers to watch', async () => {
    const base = await serve(undefined);
    expect((await fetch(`${base}/live`)).status).toBe(200);
  });
});
