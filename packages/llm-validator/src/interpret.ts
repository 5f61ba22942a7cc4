import { z } from 'zod';
import type { ValidationFailureKind } from '@tradepipe/core';
import { findDuplicateKey } from './duplicate-keys.js';
import { VerdictSchema, findContradiction } from './verdict.js';
import type { RiskFlag, Verdict } from './verdict.js';

/** The envelope of a non-streaming `/api/chat` answer (docs/api.md "Chat request (No streaming)"). */
const ChatAnswerSchema = z.object({
  model: z.string().optional(),
  message: z.object({ role: z.string(), content: z.string() }),
  done: z.boolean(),
  done_reason: z.string().optional(),
  prompt_eval_count: z.number().int().nonnegative().optional(),
  eval_count: z.number().int().nonnegative().optional(),
});

/** Token counts reported by the server, when it reported them. */
export interface TokenCounts {
  readonly promptTokens?: number;
  readonly completionTokens?: number;
}

/** What an answer means: a consistent verdict, or a permanent failure of a named kind. */
export type Interpretation =
  | { readonly kind: 'verdict'; readonly verdict: Verdict; readonly tokens: TokenCounts }
  | {
      readonly kind: 'failure';
      readonly failureKind: ValidationFailureKind;
      readonly message: string;
      readonly tokens: TokenCounts;
      readonly verdict?: Verdict;
    };

function issuesOf(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Judges a parsed `/api/chat` body: envelope (with `rawBody`, the text it was parsed from, also its keys),
 * `done_reason`, JSON content, repeated keys in the content, verdict schema, contradiction, in that order; the
 * first failure names the kind. JSON that repeats a key in an object reads two ways (`JSON.parse` keeps the
 * last), so it is `invalid_json`, never the last key's verdict. Never throws.
 * @param rawBody the body's text as received, when there is one: an envelope that repeats a key is refused too
 * @internal
 */
export function interpretChatAnswer(body: unknown, blockingRiskFlags: readonly RiskFlag[], rawBody?: string): Interpretation {
  const repeatedInBody = rawBody === undefined ? undefined : findDuplicateKey(rawBody);
  if (repeatedInBody !== undefined) {
    return { kind: 'failure', failureKind: 'invalid_json', message: `the answer repeats the key ${JSON.stringify(repeatedInBody)}, so it reads two ways`, tokens: {} };
  }
  const envelope = ChatAnswerSchema.safeParse(body);
  if (!envelope.success) {
    return { kind: 'failure', failureKind: 'schema_mismatch', message: `the answer is not an Ollama chat response: ${issuesOf(envelope.error)}`, tokens: {} };
  }
  const answer = envelope.data;
  const tokens: TokenCounts = {
    ...(answer.prompt_eval_count === undefined ? {} : { promptTokens: answer.prompt_eval_count }),
    ...(answer.eval_count === undefined ? {} : { completionTokens: answer.eval_count }),
  };
  if (answer.done_reason === 'length' || !answer.done) {
    return { kind: 'failure', failureKind: 'truncated', message: `the answer was cut off (done_reason ${answer.done_reason ?? 'missing'})`, tokens };
  }
  // `load` and `unload` end a request that loaded or unloaded the model, not one that answered: no verdict in it.
  if (answer.done_reason !== undefined && answer.done_reason !== 'stop') {
    return { kind: 'failure', failureKind: 'schema_mismatch', message: `the answer ended with done_reason ${JSON.stringify(answer.done_reason.slice(0, 40))}, not "stop": it holds no verdict`, tokens };
  }
  let content: unknown;
  try {
    content = JSON.parse(answer.message.content);
  } catch {
    return { kind: 'failure', failureKind: 'invalid_json', message: 'the model answered text that is not JSON', tokens };
  }
  const repeated = findDuplicateKey(answer.message.content);
  if (repeated !== undefined) {
    return { kind: 'failure', failureKind: 'invalid_json', message: `the verdict repeats the key ${JSON.stringify(repeated)}, so it reads two ways`, tokens };
  }
  const verdict = VerdictSchema.safeParse(content);
  if (!verdict.success) {
    return { kind: 'failure', failureKind: 'schema_mismatch', message: `the verdict does not match the schema: ${issuesOf(verdict.error)}`, tokens };
  }
  const contradiction = findContradiction(verdict.data, blockingRiskFlags);
  if (contradiction !== undefined) {
    return { kind: 'failure', failureKind: 'contradiction', message: `the verdict contradicts itself: ${contradiction}`, tokens, verdict: verdict.data };
  }
  return { kind: 'verdict', verdict: verdict.data, tokens };
}
