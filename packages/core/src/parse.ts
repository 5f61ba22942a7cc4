import type { z } from 'zod';
import { TradepipeError } from './errors.js';
import { RECORD_GUARDS } from './record-guards.js';

/**
 * Parses outside data with a zod schema. On failure, throws `validation_failed` naming the issue
 * paths and messages, never echoing the input itself. The records the live path writes on every candle
 * (signal, recommendation, validation, risk decision, order, fill) first get a plain check
 * (record-guards.ts) that returns what the schema would for an input it takes unchanged, without the schema's
 * allocations; anything else goes through the schema.
 * @param what names the data in the message (`'candle'`, `'Coinbase order response'`)
 * @throws TradepipeError `validation_failed`
 * @example
 * const candle = parseWith(CandleSchema, row, 'candle');
 */
export function parseWith<Schema extends z.ZodType>(schema: Schema, input: unknown, what: string): z.output<Schema> {
  const guarded = RECORD_GUARDS.get(schema)?.(input);
  if (guarded !== undefined) return guarded as z.output<Schema>;
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new TradepipeError('validation_failed', `Invalid ${what}: ${describeIssues(result.error.issues)}`, {
    details: { what, issueCount: result.error.issues.length, firstPath: result.error.issues[0]?.path.join('.') ?? '' },
  });
}

/**
 * Describes up to five schema issues as `message (at path)`, joined by `; `: the message first and the path in
 * parentheses, so that a path ending in a secret's name (`approval.secret`, `privateKey`) is never followed by
 * `: ` and read by `redactText` as a `secret: value` pair, which would redact the message's first word.
 * @example
 * describeIssues(result.error.issues); // 'live mode needs RISK_APPROVAL_SECRET (at approval.secret)'
 */
export function describeIssues(issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => (issue.path.length === 0 ? issue.message : `${issue.message} (at ${issue.path.map(String).join('.')})`))
    .join('; ');
}
