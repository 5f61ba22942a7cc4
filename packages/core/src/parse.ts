import type { z } from 'zod';
import { TradepipeError } from './errors.js';

/**
 * Parses outside data with a zod schema. On failure, throws `validation_failed` naming the issue
 * paths and messages, never echoing the input itself.
 * @param what names the data in the message (`'candle'`, `'Coinbase order response'`)
 * @throws TradepipeError `validation_failed`
 * @example
 * const candle = parseWith(CandleSchema, row, 'candle');
 */
export function parseWith<Schema extends z.ZodType>(schema: Schema, input: unknown, what: string): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new TradepipeError('validation_failed', `Invalid ${what}: ${issues.join('; ')}`, {
    details: { what, issueCount: result.error.issues.length, firstPath: result.error.issues[0]?.path.join('.') ?? '' },
  });
}
