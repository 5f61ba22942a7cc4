import { TradepipeError, decimal, parseWith, type DecimalString } from '@tradepipe/core';
import type { z } from 'zod';

/**
 * Reads an int8 column (text from pg, text from PGlite with the store's parsers, a number or BigInt
 * otherwise) as a safe integer.
 * @throws TradepipeError `validation_failed` if it is not a safe integer.
 * @internal
 */
export function int8(value: unknown, column: string): number {
  const number = typeof value === 'string' ? Number(value) : typeof value === 'bigint' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
    throw new TradepipeError('validation_failed', 'A stored integer is not a safe integer', { details: { column } });
  }
  return number;
}

/** An optional int8 column: NULL becomes `undefined`. @internal */
export function optionalInt8(value: unknown, column: string): number | undefined {
  return value === null || value === undefined ? undefined : int8(value, column);
}

/** A numeric column as a canonical DecimalString. @throws TradepipeError `validation_failed` @internal */
export function decimalColumn(value: unknown, column: string): DecimalString {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new TradepipeError('validation_failed', 'A stored decimal is missing', { details: { column } });
  }
  return decimal(String(value));
}

/** An optional numeric column: NULL becomes `undefined`. @internal */
export function optionalDecimal(value: unknown, column: string): DecimalString | undefined {
  return value === null || value === undefined ? undefined : decimalColumn(value, column);
}

/** A numeric column holding market data or an estimate, as a number. @internal */
export function numberColumn(value: unknown, column: string): number {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new TradepipeError('validation_failed', 'A stored number is not finite', { details: { column } });
  }
  return number;
}

/** An optional text column: NULL becomes `undefined`. @internal */
export function optionalText(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

/** Drops keys whose value is `undefined`, so optional fields stay absent as in the records. @internal */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined)) as T;
}

/** Parses a record read back from the database with its schema. @throws TradepipeError `validation_failed` @internal */
export function parseStored<Schema extends z.ZodType>(schema: Schema, value: unknown, what: string): z.output<Schema> {
  return parseWith(schema, value, `stored ${what}`);
}

/** A number as text for a numeric parameter: exact for any finite double. @internal */
export function numericText(value: number): string {
  return String(value);
}

/**
 * A JSON array of rows that a statement built with `json_agg(json_build_array(…))` (a driver hands json parsed,
 * or as text): each row an array of `width` values.
 * @throws TradepipeError `validation_failed` if it is not such an array
 * @internal
 */
export function jsonRows(value: unknown, width: number, column: string): unknown[][] {
  const rows = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (!Array.isArray(rows)) throw new TradepipeError('validation_failed', 'Stored rows came back malformed', { details: { column } });
  for (const row of rows) {
    if (!Array.isArray(row) || row.length !== width) throw new TradepipeError('validation_failed', 'A stored row came back malformed', { details: { column } });
  }
  return rows as unknown[][];
}
