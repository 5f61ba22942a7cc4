import { Ollama } from 'ollama';
import { OLLAMA_RESPONSE_LIMIT_BYTES, readCappedText } from './capped-body.js';

/** What one HTTP exchange with Ollama ended in, before its content is judged. */
export type ExchangeOutcome =
  /** A 2xx answer whose body parsed as JSON. */
  | { readonly kind: 'answer'; readonly raw: string; readonly body: unknown }
  /** A 2xx answer whose body is not JSON. */
  | { readonly kind: 'not_json'; readonly raw: string }
  /** A non-2xx answer; `message` is the `{"error"}` text when there is one. */
  | { readonly kind: 'http_error'; readonly status: number; readonly message: string; readonly raw: string }
  /** A body longer than `limitBytes`, of which only the start (`raw`) was read. */
  | { readonly kind: 'too_large'; readonly status: number; readonly limitBytes: number; readonly raw: string }
  /** No complete answer: refused, reset, dropped mid-body, aborted or timed out. */
  | { readonly kind: 'transport'; readonly error: unknown };

/** The `/api/chat` request the validator sends (non-streaming). */
export interface ChatRequestBody {
  /** The Ollama model name, e.g. `llama3.2`. */
  readonly model: string;
  /** The system prompt, then the user message carrying the market context. */
  readonly messages: readonly { readonly role: 'system' | 'user'; readonly content: string }[];
  /** Always `false`: the whole answer comes in one body. */
  readonly stream: false;
  /** The JSON schema the verdict must follow (Ollama's structured output). */
  readonly format: Readonly<Record<string, unknown>>;
  /** Model options: `temperature`, `seed`, `num_predict` (most answer tokens) and, when set, `num_ctx` (context tokens). */
  readonly options: Readonly<Record<string, number>>;
  /** How long Ollama keeps the model loaded after the call: a duration string (`5m`, the default) or seconds. */
  readonly keep_alive: string | number;
}

class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`response body over ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
    this.name = 'HttpStatusError';
  }
}

function errorMessageOf(raw: string): string {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { error?: unknown }).error === 'string') {
      return (parsed as { error: string }).error.slice(0, 300);
    }
  } catch {
    // not JSON: fall through to the status text
  }
  return '';
}

/**
 * Sends one non-streaming `/api/chat` request through the `ollama` client, with a fetch wrapper that
 * joins `signal` (the client passes none for non-streaming calls), reads the body under it, at most
 * `limitBytes` (default {@link OLLAMA_RESPONSE_LIMIT_BYTES}), and keeps the raw text. Never throws: every
 * ending is an {@link ExchangeOutcome}.
 * @internal
 */
export async function exchangeChat(options: {
  readonly host: string;
  readonly request: ChatRequestBody;
  readonly signal: AbortSignal;
  readonly fetch: typeof fetch;
  readonly limitBytes?: number;
}): Promise<ExchangeOutcome> {
  let raw: string | undefined;
  let status = 0;
  const wrappedFetch: typeof fetch = async (url, init) => {
    const response = await options.fetch(url, { ...init, signal: options.signal });
    const body = await readCappedText(response, options.limitBytes ?? OLLAMA_RESPONSE_LIMIT_BYTES);
    const text = body.text;
    raw = text;
    status = response.status;
    if (body.kind === 'too_large') throw new BodyTooLargeError(body.limitBytes);
    if (!response.ok) throw new HttpStatusError(response.status);
    return new Response(text, { status: response.status, headers: { 'content-type': response.headers.get('content-type') ?? '' } });
  };
  const client = new Ollama({ host: options.host, fetch: wrappedFetch });
  try {
    const body: unknown = await client.chat({ ...options.request, messages: [...options.request.messages] });
    return { kind: 'answer', raw: raw ?? '', body };
  } catch (error) {
    if (raw === undefined) return { kind: 'transport', error };
    if (error instanceof BodyTooLargeError) return { kind: 'too_large', status, limitBytes: error.limitBytes, raw };
    if (error instanceof HttpStatusError) return { kind: 'http_error', status, message: errorMessageOf(raw), raw };
    return { kind: 'not_json', raw };
  }
}
