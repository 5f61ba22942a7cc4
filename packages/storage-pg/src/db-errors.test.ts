import { TradepipeError } from '@tradepipe/core';
import { describe, expect, it } from 'vitest';
import { guarded, isTransientDatabaseError, toStorageError } from './db-errors.js';

const withCode = (code: string, message = 'failed'): Error => Object.assign(new Error(message), { code });

describe('database error mapping', () => {
  it('treats lost connections, serialization failures and deadlocks as retryable', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', '08006', '57P01', '40001', '40P01', '53300']) {
      expect(isTransientDatabaseError(withCode(code))).toBe(true);
      expect(toStorageError(withCode(code), 'claim')).toMatchObject({ code: 'storage_unavailable', retryable: true, details: { operation: 'claim' } });
    }
    expect(isTransientDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('treats constraint and syntax errors as permanent', () => {
    for (const code of ['23505', '42601', '42P01', '22P02']) {
      expect(toStorageError(withCode(code), 'putCandles')).toMatchObject({ code: 'storage_failed', retryable: false, details: { sqlState: code } });
    }
  });

  it('passes TradepipeErrors through and redacts causes', async () => {
    const original = new TradepipeError('lease_lost', 'gone');
    await expect(guarded('complete', async () => Promise.reject(original))).rejects.toBe(original);
    const error = toStorageError(withCode('28P01', 'password authentication failed for postgres://app:hunter2@db/x'), 'migrate');
    expect(JSON.stringify(error.cause)).not.toContain('hunter2');
  });
});
