import { TradepipeError, isTradepipeError } from '@tradepipe/core';

// SQLSTATE classes that may pass: connection exceptions, serialization failures and deadlocks,
// insufficient resources, operator intervention (shutdown, cancel), system errors.
const RETRYABLE_SQLSTATE_CLASSES = new Set(['08', '53', '57', '58']);
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '55P03']);
const RETRYABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const CONNECTION_MESSAGES = /(Connection terminated|Client has encountered a connection error|not queryable|timeout exceeded when trying to connect|Cannot use a pool after calling end|PGlite is closed)/i;

/** The SQLSTATE or node error code of a driver error, if it has one. @internal */
export function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether a driver error may pass if the operation is tried again (lost connection, serialization failure). @internal */
export function isTransientDatabaseError(error: unknown): boolean {
  const code = errorCodeOf(error);
  if (code !== undefined) {
    if (RETRYABLE_NODE_CODES.has(code) || RETRYABLE_SQLSTATES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && RETRYABLE_SQLSTATE_CLASSES.has(code.slice(0, 2))) return true;
  }
  return error instanceof Error && CONNECTION_MESSAGES.test(error.message);
}

/**
 * Turns a driver failure into a TradepipeError: `storage_unavailable` (retryable) when the connection was
 * lost or the transaction lost a race, `storage_failed` otherwise. A TradepipeError passes through.
 * The message names the operation only; the cause is reduced to name, code and a redacted message.
 * @internal
 */
export function toStorageError(error: unknown, operation: string): TradepipeError {
  if (isTradepipeError(error)) return error;
  const sqlState = errorCodeOf(error);
  const details = { operation, ...(sqlState === undefined ? {} : { sqlState }) };
  if (isTransientDatabaseError(error)) {
    return new TradepipeError('storage_unavailable', `The database was unavailable during ${operation}`, { cause: error, details });
  }
  return new TradepipeError('storage_failed', `The database refused ${operation}`, { cause: error, details });
}

/** Runs `work`, converting any driver failure with {@link toStorageError}. @internal */
export async function guarded<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toStorageError(error, operation);
  }
}
