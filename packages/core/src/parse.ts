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
  const issues = result.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new TradepipeError('validation_failed', `Invalid ${what}: ${issues.join('; ')}`, {
    details: { what, issueCount: result.error.issues.length, firstPath: result.error.issues[0]?.path.join('.') ?? '' },
  });
}
