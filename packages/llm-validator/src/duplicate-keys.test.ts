import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDuplicateKey } from './duplicate-keys.js';

describe('findDuplicateKey', () => {
  it('finds a key an object repeats, at the top level or nested, escaped or not', () => {
    expect(findDuplicateKey('{"decision":"REJECT","riskFlags":["extreme_volatility"],"decision":"APPROVE","riskFlags":[]}')).toBe('decision');
    expect(findDuplicateKey('{"a":{"b":1,"b":2}}')).toBe('b');
    expect(findDuplicateKey('[1,{"x":[{"y":0,"y":1}]}]')).toBe('y');
    expect(findDuplicateKey('{"a":1,"\\u0061":2}')).toBe('a');
    expect(findDuplicateKey(' { "a" : 1 , "a" : 1 } ')).toBe('a');
    expect(findDuplicateKey(`{"${'k'.repeat(100)}":1,"${'k'.repeat(100)}":2}`)).toBe(`${'k'.repeat(59)}…`);
  });

  it('does not confuse values, sibling objects or strings that look like keys with repeats', () => {
    expect(findDuplicateKey('{"a":"a","b":"a"}')).toBeUndefined();
    expect(findDuplicateKey('[{"a":1},{"a":1}]')).toBeUndefined();
    expect(findDuplicateKey('{"a":{"a":1},"b":{"a":2}}')).toBeUndefined();
    expect(findDuplicateKey('{"a":"x,\\"a\\":1}","b":"{\\"b\\":2,\\"b\\":3}"}')).toBeUndefined();
    expect(findDuplicateKey('{"a\\\\":1,"a":2}')).toBeUndefined();
    expect(findDuplicateKey('"plain"')).toBeUndefined();
    expect(findDuplicateKey('{}')).toBeUndefined();
  });

  it('scans deep nesting and long texts in one pass without recursion', () => {
    const depth = 200_000;
    expect(findDuplicateKey(`${'['.repeat(depth)}${']'.repeat(depth)}`)).toBeUndefined();
    expect(findDuplicateKey(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)).toBeUndefined();
    const many = `{${Array.from({ length: 100_000 }, (_, index) => `"k${index}":${index}`).join(',')},"k99999":0}`;
    expect(findDuplicateKey(many)).toBe('k99999');
  });

  it('finds nothing in what JSON.stringify writes, and finds an injected repeat (property, seed 7)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (value, key) => {
        expect(findDuplicateKey(JSON.stringify(value))).toBeUndefined();
        const text = JSON.stringify({ [key]: value, tail: value });
        expect(findDuplicateKey(`${text.slice(0, -1)},${JSON.stringify(key)}:null}`)).toBe(key === 'tail' ? 'tail' : key.length <= 60 ? key : `${key.slice(0, 59)}…`);
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});
