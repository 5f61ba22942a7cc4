import { describe, expect, it } from 'vitest';
import { removeFromList } from './small-list.js';

describe('removeFromList', () => {
  it('removes one item, keeps the others in order, and says whether it was there', () => {
    const [a, b, c] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    const list = [a, b, c];
    expect(removeFromList(list, b)).toBe(true);
    expect(list).toEqual([a, c]);
    expect(removeFromList(list, b)).toBe(false);
    expect(removeFromList(list, a)).toBe(true);
    expect(removeFromList(list, c)).toBe(true);
    expect(list).toEqual([]);
    list.push(b);
    expect(list).toEqual([b]);
  });
});
