import type { ServerResponse } from 'node:http';
import type { Clock } from '@tradepipe/core';
import type { FakeAction } from './steps.js';
import { approximateTokens, createdAt, generationBody, generationStats, streamPieces } from './wire.js';

/** Everything one generation request needs. @internal */
export interface GenerationRequest {
  readonly endpoint: 'chat' | 'generate';
  readonly body: Record<string, unknown>;
  readonly model: string;
  readonly action: FakeAction;
  readonly delayMs: number;
  readonly clock: Clock;
  readonly response: ServerResponse;
  readonly socketDestroy: () => void;
}

/** Waits `delayMs` of real time, ending early (false) when the client goes away. @internal */
export function waitUnlessClosed(response: ServerResponse, delayMs: number): Promise<boolean> {
  if (delayMs <= 0) return Promise.resolve(!response.destroyed);
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      response.off('close', onClose);
      resolve(!response.destroyed);
    }, delayMs);
    response.once('close', onClose);
  });
}

function promptText(endpoint: 'chat' | 'generate', body: Record<string, unknown>): string {
  if (endpoint === 'generate') return `${typeof body.system === 'string' ? body.system : ''}${typeof body.prompt === 'string' ? body.prompt : ''}`;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  return messages.map((message: unknown) => (typeof message === 'object' && message !== null ? String((message as { content?: unknown }).content ?? '') : '')).join('\n');
}

function isEmptyRequest(endpoint: 'chat' | 'generate', body: Record<string, unknown>): boolean {
  return endpoint === 'chat' ? !Array.isArray(body.messages) || body.messages.length === 0 : typeof body.prompt !== 'string' || body.prompt === '';
}

function writeLine(response: ServerResponse, value: unknown): void {
  response.write(`${JSON.stringify(value)}\n`);
}

/**
 * Answers one `/api/chat` or `/api/generate` request according to its resolved action, streaming NDJSON
 * unless the request says `"stream": false` (Ollama's server default is to stream).
 * @internal
 */
export async function handleGeneration(request: GenerationRequest): Promise<void> {
  const { endpoint, body, model, action, response } = request;
  const startedNs = process.hrtime.bigint();
  const stamp = (): string => createdAt(request.clock.nowMs(), Number(process.hrtime.bigint() % 1_000_000n));
  const stream = body.stream !== false;
  if (isEmptyRequest(endpoint, body)) {
    const unload = body.keep_alive === 0 || body.keep_alive === '0';
    const loaded = generationBody({ endpoint, model, createdAt: stamp(), content: '', final: { doneReason: unload ? 'unload' : 'load' } });
    response.writeHead(200, { 'Content-Type': stream ? 'application/x-ndjson' : 'application/json; charset=utf-8' });
    response.end(`${JSON.stringify(loaded)}${stream ? '\n' : ''}`);
    return;
  }
  if (!(await waitUnlessClosed(response, request.delayMs))) return;
  switch (action.type) {
    case 'error':
      response.writeHead(action.status, { 'Content-Type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify({ error: action.message }));
      return;
    case 'drop':
      if (action.afterHeaders) {
        response.writeHead(200, { 'Content-Type': stream ? 'application/x-ndjson' : 'application/json; charset=utf-8', 'Content-Length': '4096' });
        response.write('{"model":"');
        setTimeout(request.socketDestroy, 5);
        return;
      }
      request.socketDestroy();
      return;
    case 'raw':
      response.writeHead(action.status, { 'Content-Type': action.contentType });
      response.end(action.body);
      return;
    case 'generate':
      break;
  }
  const promptTokens = approximateTokens(promptText(endpoint, body));
  const evalTokens = approximateTokens(action.content);
  const context = endpoint === 'generate' && body.raw !== true ? Array.from({ length: Math.min(32, promptTokens + evalTokens) }, (_, index) => index + 1) : undefined;
  const final = (content: string): Record<string, unknown> => {
    const stats = generationStats(Number(process.hrtime.bigint() - startedNs), promptTokens, evalTokens);
    return generationBody({ endpoint, model, createdAt: stamp(), content, final: { doneReason: action.doneReason, stats, ...(context === undefined ? {} : { context }) } });
  };
  if (!stream) {
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(final(action.content)));
    return;
  }
  response.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  for (const [index, piece] of streamPieces(action.content).entries()) {
    if (response.destroyed) return;
    writeLine(response, generationBody({ endpoint, model, createdAt: stamp(), content: piece }));
    if (index === 0 && action.streamError !== undefined) {
      writeLine(response, { error: action.streamError });
      response.end();
      return;
    }
  }
  writeLine(response, final(''));
  response.end();
}
