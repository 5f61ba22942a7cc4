import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthReport, Logger } from '@tradepipe/core';

/** What the service's HTTP server answers. */
export interface HttpHandlers {
  /** `/health`: 200 for ok/degraded, 503 for failing. */
  health(): Promise<HealthReport>;
  /** `/ready`: 200 when the service takes work, 503 otherwise (starting, draining, store unreachable). */
  ready(): Promise<{ readonly ready: boolean; readonly reason?: string }>;
  /**
   * `/live`: 200 while the process works (its pipeline's workers run), 503 once a worker stopped: what a
   * liveness probe restarts for. Business health (UNKNOWN orders, dead letters, a store outage) stays on
   * `/health` and `/ready`, where a restart would not help. Without it, `/live` answers 200 while the process answers.
   */
  live?(): { readonly live: boolean; readonly reason?: string };
  /** `/metrics`: Prometheus text. */
  metrics(): Promise<{ readonly contentType: string; readonly body: string }>;
  /** `/` and `/status.json`: the read-only status page and its data (the health monitor only). */
  status?: { page(): string; snapshot(): Promise<unknown> };
}

/** A running HTTP server. */
export interface ServiceHttpServer {
  readonly port: number;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}

async function route(request: IncomingMessage, response: ServerResponse, handlers: HttpHandlers): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://service').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain', 'method not allowed\n');
  if (path === '/health') {
    const report = await handlers.health();
    return send(response, report.status === 'failing' ? 503 : 200, 'application/json', JSON.stringify(report));
  }
  if (path === '/ready') {
    const readiness = await handlers.ready();
    return send(response, readiness.ready ? 200 : 503, 'application/json', JSON.stringify(readiness));
  }
  if (path === '/live') {
    const liveness = handlers.live?.() ?? { live: true };
    return send(response, liveness.live ? 200 : 503, 'application/json', JSON.stringify(liveness));
  }
  if (path === '/metrics') {
    const metrics = await handlers.metrics();
    return send(response, 200, metrics.contentType, metrics.body);
  }
  if (handlers.status !== undefined && (path === '/' || path === '/status')) {
    response.setHeader('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:");
    return send(response, 200, 'text/html; charset=utf-8', handlers.status.page());
  }
  if (handlers.status !== undefined && path === '/status.json') return send(response, 200, 'application/json', JSON.stringify(await handlers.status.snapshot()));
  return send(response, 404, 'text/plain', 'not found\n');
}

/**
 * Starts the service's HTTP server (`/health`, `/ready`, `/live`, `/metrics`) on `port`. A handler that
 * throws answers 500 with a constant body; the error goes to the log only.
 * @throws the listen error (port in use).
 */
export async function startHttpServer(options: { readonly port: number; readonly host: string; readonly handlers: HttpHandlers; readonly logger: Logger }): Promise<ServiceHttpServer> {
  const server: Server = createServer((request, response) => {
    route(request, response, options.handlers).catch((error: unknown) => {
      options.logger.error('http handler failed', { path: request.url?.slice(0, 100), error });
      if (!response.headersSent) send(response, 500, 'application/json', '{"error":"internal"}');
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
