import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '@tradepipe/core';
import type { Clock } from '@tradepipe/core';
import { delayOf, resolveStep } from './steps.js';
import type { FakeOllamaStep, RequestFormat } from './steps.js';
import { handleGeneration, waitUnlessClosed } from './generation.js';
import { canonicalModelName, createdAt, showBody, tagsBody } from './wire.js';

/** Options of {@link startFakeOllama}. */
export interface FakeOllamaOptions {
  /** Models the server has (default `['llama3.2:latest']`); others answer 404 "not found". */
  readonly models?: readonly string[];
  /** What `/api/version` reports (default `0.12.0`). */
  readonly version?: string;
  /** The step used when the script is empty (default `{ kind: 'approve' }`). */
  readonly defaultStep?: FakeOllamaStep;
  /** Added to every step's delay (e.g. 200 for a model that takes 200 ms per answer). */
  readonly delayMs?: number;
  /**
   * Wait before `GET /`, `/api/version`, `/api/tags` and `/api/show` answer (default 0): a server that accepts
   * connections but is stuck, to test health-check timeouts.
   */
  readonly infoDelayMs?: number;
  /** Port to listen on, on 127.0.0.1 (default 0: a free port). */
  readonly port?: number;
  /** Clock for `created_at` and `modified_at` (default the system clock). */
  readonly clock?: Clock;
}

/** One request the fake received. */
export interface FakeOllamaRequest {
  /** The HTTP method, e.g. `POST`. */
  readonly method: string;
  /** The path without the query, e.g. `/api/chat`. */
  readonly path: string;
  /** The parsed JSON body; the raw text when it is not JSON; `undefined` when empty. */
  readonly body: unknown;
  /** `content-type`, `accept` and `user-agent` as sent. */
  readonly headers: Readonly<Record<string, string>>;
}

/** A running fake Ollama server. */
export interface FakeOllama {
  /** Base URL, e.g. `http://127.0.0.1:40123`: pass it as the validator's `host`. */
  readonly url: string;
  /** The host the server listens on, always `127.0.0.1`. */
  readonly host: string;
  /** The port the server listens on (a free one unless `port` was given). */
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: FakeOllamaRequest[];
  /** Replaces the script: the next generation requests take these steps in order, then `defaultStep`. */
  script(...steps: FakeOllamaStep[]): void;
  /** Appends steps to the script. */
  enqueue(...steps: FakeOllamaStep[]): void;
  /** Generation requests being answered now, and the most seen at once. */
  stats(): { readonly inFlight: number; readonly maxInFlight: number; readonly generations: number };
  /** Clears recorded requests, the script and the counters. */
  reset(): void;
  /** Stops the server, cutting open connections. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy();
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseBody(text: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string } {
  if (text.trim() === '') return { ok: false, error: 'missing request body' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : 'invalid JSON' };
  }
}

function formatOf(body: Record<string, unknown>): RequestFormat | 'invalid' {
  const format = body.format;
  if (format === undefined || format === null || format === '') return undefined;
  if (format === 'json') return 'json';
  if (typeof format === 'object' && !Array.isArray(format)) return format as Record<string, unknown>;
  return 'invalid';
}

/**
 * Starts a fake Ollama server on 127.0.0.1 (a free port by default) speaking the real REST API:
 * `POST /api/chat` and `POST /api/generate` (streaming NDJSON by default, one JSON object with
 * `"stream": false`, durations in ns, `done_reason`), `GET /api/tags`, `POST /api/show`, `GET /api/version`,
 * errors as `{"error": …}`. Generation requests follow a script of {@link FakeOllamaStep}s.
 * @returns the running server; `close()` it when done
 * @example
 * const ollama = await startFakeOllama();
 * ollama.script({ kind: 'reject' }, { kind: 'http_error', status: 500 });
 * const validator = createOllamaTradeValidator({ host: ollama.url, model: 'llama3.2' });
 * await ollama.close();
 */
export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const clock = options.clock ?? systemClock;
  const models = (options.models ?? ['llama3.2:latest']).map(canonicalModelName);
  const requests: FakeOllamaRequest[] = [];
  let queue: FakeOllamaStep[] = [];
  const counters = { inFlight: 0, maxInFlight: 0, generations: 0 };
  const modifiedAt = (): string => createdAt(clock.nowMs(), 0);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const method = request.method ?? 'GET';
    const text = await readBody(request);
    const parsed = parseBody(text);
    const header = (name: string): string => String(request.headers[name] ?? '');
    requests.push({
      method,
      path,
      body: parsed.ok ? parsed.value : text === '' ? undefined : text,
      headers: { 'content-type': header('content-type'), accept: header('accept'), 'user-agent': header('user-agent') },
    });
    const route = `${method} ${path}`;
    const info = route === 'GET /' || route === 'HEAD /' || route === 'GET /api/version' || route === 'GET /api/tags' || route === 'POST /api/show';
    if (info && !(await waitUnlessClosed(response, options.infoDelayMs ?? 0))) return;
    if (route === 'GET /' || route === 'HEAD /') {
      response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('Ollama is running');
      return;
    }
    if (route === 'GET /api/version') return sendJson(response, 200, { version: options.version ?? '0.12.0' });
    if (route === 'GET /api/tags') return sendJson(response, 200, tagsBody(models, modifiedAt()));
    if (route !== 'POST /api/show' && route !== 'POST /api/chat' && route !== 'POST /api/generate') {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end('404 page not found');
      return;
    }
    if (!parsed.ok) return sendJson(response, 400, { error: parsed.error });
    const body = (typeof parsed.value === 'object' && parsed.value !== null ? parsed.value : {}) as Record<string, unknown>;
    const model = typeof body.model === 'string' ? body.model : typeof body.name === 'string' ? body.name : '';
    if (model === '') return sendJson(response, 400, { error: 'model is required' });
    const known = models.includes(canonicalModelName(model));
    if (route === 'POST /api/show') {
      return known ? sendJson(response, 200, showBody(modifiedAt())) : sendJson(response, 404, { error: `model '${model}' not found` });
    }
    const format = formatOf(body);
    if (format === 'invalid') return sendJson(response, 400, { error: 'invalid format: expected "json" or a valid JSON schema' });
    counters.generations += 1;
    counters.inFlight += 1;
    counters.maxInFlight = Math.max(counters.maxInFlight, counters.inFlight);
    try {
      const step = queue.shift() ?? options.defaultStep ?? { kind: 'approve' };
      const action = known ? resolveStep(step, { model, format }) : resolveStep({ kind: 'model_not_found' }, { model, format });
      await handleGeneration({
        endpoint: route === 'POST /api/chat' ? 'chat' : 'generate',
        body,
        model,
        action,
        delayMs: (known ? delayOf(step) : 0) + (options.delayMs ?? 0),
        clock,
        response,
        socketDestroy: () => request.socket.destroy(),
      });
    } finally {
      counters.inFlight -= 1;
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    requests,
    script: (...steps) => {
      queue = [...steps];
    },
    enqueue: (...steps) => {
      queue.push(...steps);
    },
    stats: () => ({ ...counters }),
    reset: () => {
      requests.length = 0;
      queue = [];
      counters.maxInFlight = counters.inFlight;
      counters.generations = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
