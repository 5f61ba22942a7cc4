/** A verdict the fake answers with (the shape of the validator's `VerdictSchema`, or anything else). */
export interface FakeVerdict {
  /**
   * The decision to answer (default `APPROVE` for an `approve` step, `REJECT` for a `reject` one); any string, to test
   * refusal of others.
   */
  readonly decision?: string;
  /** The reasons to answer (default two canned reasons matching the decision). */
  readonly reasons?: readonly string[];
  /**
   * The confidence to answer (default 0.78 for `approve`, 0.71 for `reject`); any number, to test out-of-range values.
   */
  readonly confidence?: number;
  /** The risk flags to answer (default none). */
  readonly riskFlags?: readonly string[];
}

/**
 * What the fake Ollama does with one `/api/chat` or `/api/generate` request. Every step may carry
 * `delayMs`: the wait before the answer starts (the model "thinking").
 * - `approve` / `reject`: a well-formed verdict (reasons, confidence, flags overridable);
 * - `json`: any JSON value as the model's content (schema-breaking or self-contradicting verdicts);
 * - `text`: free text as the content (garbage, prose);
 * - `schema_breaking`: JSON that breaks the verdict schema;
 * - `truncated`: half a verdict with `done_reason: "length"`;
 * - `slow`: `then` (default approve) after `delayMs`;
 * - `http_error`: a status with `{"error": message}`;
 * - `model_not_found`: 404 `model "x" not found, try pulling it first`;
 * - `drop`: the connection closes with no answer (or after the headers and a partial body);
 * - `stream_error`: streaming only, an `{"error"}` line after the first chunk;
 * - `raw`: these exact bytes as the body, with a status and content type.
 */
export type FakeOllamaStep =
  | ({ readonly kind: 'approve' | 'reject'; readonly delayMs?: number } & FakeVerdict)
  | { readonly kind: 'json'; readonly value: unknown; readonly delayMs?: number }
  | { readonly kind: 'text'; readonly content: string; readonly delayMs?: number }
  | { readonly kind: 'schema_breaking'; readonly delayMs?: number }
  | { readonly kind: 'truncated'; readonly delayMs?: number }
  | { readonly kind: 'slow'; readonly delayMs: number; readonly then?: FakeOllamaStep }
  | { readonly kind: 'http_error'; readonly status: number; readonly message?: string; readonly delayMs?: number }
  | { readonly kind: 'model_not_found'; readonly delayMs?: number }
  | { readonly kind: 'drop'; readonly afterHeaders?: boolean; readonly delayMs?: number }
  | { readonly kind: 'stream_error'; readonly message?: string; readonly delayMs?: number }
  | { readonly kind: 'raw'; readonly body: string | Uint8Array; readonly status?: number; readonly contentType?: string; readonly delayMs?: number };

/** What the server does once a step is resolved against a request. */
export type FakeAction =
  | { readonly type: 'generate'; readonly content: string; readonly doneReason: 'stop' | 'length'; readonly streamError?: string }
  | { readonly type: 'error'; readonly status: number; readonly message: string }
  | { readonly type: 'drop'; readonly afterHeaders: boolean }
  | { readonly type: 'raw'; readonly status: number; readonly contentType: string; readonly body: string | Uint8Array };

const DEFAULT_REASONS = {
  APPROVE: ['Uptrend intact: last close above both moving averages', 'Volatility within normal range'],
  REJECT: ['Trend contradicts the side', 'Volatility elevated'],
} as const;

/** The request's `format`: absent, `"json"`, or a JSON schema object. */
export type RequestFormat = undefined | 'json' | Readonly<Record<string, unknown>>;

/** Keeps only the keys a JSON schema's top-level `properties` allows, as structured outputs would. */
function conform(value: Record<string, unknown>, format: RequestFormat): Record<string, unknown> {
  if (typeof format !== 'object') return value;
  const properties = format.properties;
  if (typeof properties !== 'object' || properties === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key in properties));
}

function verdictContent(step: FakeVerdict & { readonly kind: 'approve' | 'reject' }, format: RequestFormat): string {
  const decision = step.decision ?? (step.kind === 'approve' ? 'APPROVE' : 'REJECT');
  const verdict = {
    decision,
    reasons: [...(step.reasons ?? DEFAULT_REASONS[step.kind === 'approve' ? 'APPROVE' : 'REJECT'])],
    confidence: step.confidence ?? (step.kind === 'approve' ? 0.78 : 0.71),
    riskFlags: [...(step.riskFlags ?? [])],
  };
  if (format === undefined) return `${decision}. ${verdict.reasons.join('. ')}.`;
  return JSON.stringify(conform(verdict, format));
}

/** The model name as the request gave it, for error texts. @internal */
export function modelNotFoundMessage(model: string): string {
  return `model "${model}" not found, try pulling it first`;
}

/**
 * Resolves a scripted step against one request into what the server does.
 * @internal
 */
export function resolveStep(step: FakeOllamaStep, request: { readonly model: string; readonly format: RequestFormat }): FakeAction {
  switch (step.kind) {
    case 'approve':
    case 'reject':
      return { type: 'generate', content: verdictContent(step, request.format), doneReason: 'stop' };
    case 'json':
      return { type: 'generate', content: JSON.stringify(step.value) ?? 'null', doneReason: 'stop' };
    case 'text':
      return { type: 'generate', content: step.content, doneReason: 'stop' };
    case 'schema_breaking':
      return { type: 'generate', content: JSON.stringify({ decision: 'MAYBE', reasons: 'looks fine', confidence: 'high' }), doneReason: 'stop' };
    case 'truncated': {
      const full = verdictContent({ kind: 'approve' }, request.format === undefined ? 'json' : request.format);
      return { type: 'generate', content: full.slice(0, Math.floor(full.length / 2)), doneReason: 'length' };
    }
    case 'slow':
      return resolveStep(step.then ?? { kind: 'approve' }, request);
    case 'http_error':
      return { type: 'error', status: step.status, message: step.message ?? 'internal server error' };
    case 'model_not_found':
      return { type: 'error', status: 404, message: modelNotFoundMessage(request.model) };
    case 'drop':
      return { type: 'drop', afterHeaders: step.afterHeaders ?? false };
    case 'stream_error':
      return { type: 'generate', content: verdictContent({ kind: 'approve' }, request.format), doneReason: 'stop', streamError: step.message ?? 'an error was encountered while running the model' };
    case 'raw':
      return { type: 'raw', status: step.status ?? 200, contentType: step.contentType ?? 'application/json; charset=utf-8', body: step.body };
  }
}

/** The delay of a step before it answers. @internal */
export function delayOf(step: FakeOllamaStep): number {
  return Math.max(0, step.delayMs ?? 0);
}
