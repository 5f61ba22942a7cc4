import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REDACTED, isTradepipeError } from './errors.js';
import { describeIssues, parseWith } from './parse.js';

const CredentialsSchema = z.object({ keyName: z.string().min(1), privateKey: z.string().min(20, 'the key must be a PEM block') });

describe('parseWith', () => {
  it('names the path of each issue after its message, so a secret-named field does not redact the message', () => {
    let error: unknown;
    try {
      parseWith(CredentialsSchema, { keyName: 'organizations/x', privateKey: 'hunter2' }, 'Coinbase credentials');
    } catch (thrown) {
      error = thrown;
    }
    expect(isTradepipeError(error, 'validation_failed')).toBe(true);
    const message = (error as Error).message;
    expect(message).toBe('Invalid Coinbase credentials: the key must be a PEM block (at privateKey)');
    expect(message).not.toContain(REDACTED);
    expect(message).not.toContain('hunter2');
    expect((error as { details: unknown }).details).toMatchObject({ what: 'Coinbase credentials', issueCount: 1, firstPath: 'privateKey' });
  });

  it('describes root issues without a path and at most five issues', () => {
    expect(describeIssues([{ path: [], message: 'expected an object' }])).toBe('expected an object');
    const many = Array.from({ length: 7 }, (_, index) => ({ path: ['rows', index, 'secret'], message: `bad ${index}` }));
    expect(describeIssues(many)).toBe([0, 1, 2, 3, 4].map((index) => `bad ${index} (at rows.${index}.secret)`).join('; '));
  });
});
