/**
 * Health of the Ollama server a validator asks: one `GET /api/tags` under a short deadline says whether the
 * server answers and whether the configured model is pulled. Every validation fails closed (REJECT) while
 * either is false, so this is what tells an operator why.
 */

import { OLLAMA_RESPONSE_LIMIT_BYTES, readCappedText } from './capped-body.js';
import type { CappedBody } from './capped-body.js';

/** Why an Ollama health check is not `ok`: stable codes to alert and search on. */
export type OllamaHealthReason =
  /** The connection was refused, reset or could not be made (DNS, network). */
  | 'ollama_unreachable'
  /** No complete answer within the health check's deadline. */
  | 'ollama_timeout'
  /** `/api/tags` answered a non-2xx status. */
  | 'ollama_http_error'
  /** `/api/tags` answered 2xx with a body that is not a model list. */
  | 'ollama_bad_response'
  /** The server answers, but the configured model is not among its models (not pulled). */
  | 'model_missing'
  /** Ollama is fine but the validator's queue is full: validations are turned away (retried) until it drains. */
  | 'queue_full';

/** The outcome of {@link checkOllamaHealth}. Holds no host, URL or header: safe to log and serve. */
export interface OllamaHealth {
  /**
   * `ok`: reachable with the model pulled; `degraded`: it answers but validations wait or are turned away
   * (`queue_full`); `failing`: validations fail closed until it is fixed.
   */
  readonly status: 'ok' | 'degraded' | 'failing';
  /** Why it is not `ok`; absent when `ok`. */
  readonly reason?: OllamaHealthReason;
  /** One line for an operator: the reason and what was seen (status code, error code, the model name). */
  readonly message: string;
  /** The model checked for, as configured. */
  readonly model: string;
  /** Time from sending the request to the end of the answer (or the failure), in ms. */
  readonly latencyMs: number;
}

/** Options of {@link checkOllamaHealth}. */
export interface OllamaHealthOptions {
  /** Base URL of the Ollama server, e.g. `http://127.0.0.1:11434`. */
  readonly host: string;
  /** The model that must be pulled, `name` or `name:tag` (the tag defaults to `latest`). */
  readonly model: string;
  /** Deadline of the whole request, body included, in ms. */
  readonly timeoutMs: number;
  /** Aborts the check early (it then reports `ollama_timeout`). */
  readonly signal?: AbortSignal;
  /** The fetch to use (default the global fetch). */
  readonly fetch?: typeof fetch;
  /** Milliseconds clock for `latencyMs` (default `performance.now`). */
  readonly nowMs?: () => number;
}

/** `llama3.2` → `llama3.2:latest`; a name with a tag is kept. */
function canonicalModel(name: string): string {
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? name : `${name}:latest`;
}

/** The `/api/tags` URL under `host`, keeping a path prefix (a proxy's `/ollama/`). */
function tagsUrl(host: string): URL {
  return new URL('api/tags', host.endsWith('/') ? host : `${host}/`);
}

/** The model names in a `/api/tags` body, or `undefined` when it is not one. */
function modelNames(body: unknown): string[] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const models = (body as { models?: unknown }).models;
  if (!Array.isArray(models)) return undefined;
  const names: string[] = [];
  for (const entry of models) {
    if (typeof entry !== 'object' || entry === null) continue;
    for (const key of ['name', 'model'] as const) {
      const value = (entry as Record<string, unknown>)[key];
      if (typeof value === 'string') names.push(canonicalModel(value));
    }
  }
  return names;
}

/** A transport error's system code (`ECONNREFUSED`, `ENOTFOUND`), never its message (which may name the host). */
function errorCode(error: unknown): string {
  const cause = error instanceof Error ? (error as Error & { cause?: unknown }).cause : undefined;
  for (const candidate of [cause, error]) {
    const code = typeof candidate === 'object' && candidate !== null ? (candidate as { code?: unknown }).code : undefined;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
  }
  return 'connection failed';
}

/**
 * Checks an Ollama server with one `GET /api/tags` under `timeoutMs`: `ok` when it answers a model list that
 * holds `model`, else `failing` with a stable {@link OllamaHealthReason}. Never throws. The result names the
 * model, never the host (which may carry credentials).
 * @example
 * const health = await checkOllamaHealth({ host: 'http://127.0.0.1:11434', model: 'llama3.2', timeoutMs: 2_000 });
 * if (health.status !== 'ok') console.warn(health.reason, health.message);
 */
export async function checkOllamaHealth(options: OllamaHealthOptions): Promise<OllamaHealth> {
  const nowMs = options.nowMs ?? (() => performance.now());
  const fetchImpl = options.fetch ?? fetch;
  const startedMs = nowMs();
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? deadline : AbortSignal.any([deadline, options.signal]);
  const result = (status: OllamaHealth['status'], message: string, reason?: OllamaHealthReason): OllamaHealth => ({
    status,
    ...(reason === undefined ? {} : { reason }),
    message: reason === undefined ? message : `${reason}: ${message}`,
    model: options.model,
    latencyMs: Math.max(0, Math.round(nowMs() - startedMs)),
  });
  let status: number;
  let body: CappedBody;
  try {
    const response = await fetchImpl(tagsUrl(options.host), { method: 'GET', headers: { accept: 'application/json' }, signal });
    status = response.status;
    body = await readCappedText(response, OLLAMA_RESPONSE_LIMIT_BYTES);
  } catch (error) {
    if (signal.aborted) return result('failing', `no answer from /api/tags within ${options.timeoutMs} ms`, 'ollama_timeout');
    return result('failing', `GET /api/tags failed (${errorCode(error)})`, 'ollama_unreachable');
  }
  if (status < 200 || status >= 300) return result('failing', `GET /api/tags answered HTTP ${status}`, 'ollama_http_error');
  if (body.kind === 'too_large') return result('failing', `GET /api/tags answered more than ${body.limitBytes} bytes`, 'ollama_bad_response');
  let names: string[] | undefined;
  try {
    names = modelNames(JSON.parse(body.text));
  } catch {
    names = undefined;
  }
  if (names === undefined) return result('failing', 'GET /api/tags answered no model list', 'ollama_bad_response');
  if (!names.includes(canonicalModel(options.model))) {
    return result('failing', `model ${options.model} is not pulled (the server has ${names.length === 0 ? 'no model' : `${new Set(names).size} other`}); run ollama pull ${options.model}`, 'model_missing');
  }
  return result('ok', `model ${options.model} is available`);
}
