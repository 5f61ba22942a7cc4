// Small indexes of the in-memory store: what it reads per trade without reading every record.
/**
 * Records grouped by a key, in the order added: a key's one record is kept as it is, an array only from the second
 * (most keys have one: an order's fill, a recommendation's validation).
 * @internal
 */
export class GroupedRecords<T extends object> {
  private readonly groups = new Map<string, T | T[]>();

  /** Adds a record to the group of `key`. */
  add(key: string, record: T): void {
    const group = this.groups.get(key);
    if (group === undefined) this.groups.set(key, record);
    else if (Array.isArray(group)) group.push(record);
    else this.groups.set(key, [group, record]);
  }

  /** The records of `key`, in the order added (a fresh array). */
  list(key: string): T[] {
    const group = this.groups.get(key);
    return group === undefined ? [] : Array.isArray(group) ? [...group] : [group];
  }
}

/**
 * Times (epoch ms) kept ascending in a typed array: inserting is an append when time moves forward, counting the
 * times of a window is a binary search (no record read).
 * @internal
 */
export class SortedTimes {
  private times: Float64Array = new Float64Array(64);
  private length = 0;

  /** Adds a time. */
  insert(timeMs: number): void {
    if (this.length === this.times.length) {
      const grown = new Float64Array(2 * this.times.length);
      grown.set(this.times);
      this.times = grown;
    }
    const at = this.length === 0 || this.times[this.length - 1]! <= timeMs ? this.length : this.firstAtLeast(timeMs);
    this.times.copyWithin(at + 1, at, this.length);
    this.times[at] = timeMs;
    this.length += 1;
  }

  /** How many times are at or after `sinceMs`. */
  countAtLeast(sinceMs: number): number {
    return this.length - this.firstAtLeast(sinceMs);
  }

  private firstAtLeast(timeMs: number): number {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.times[middle]! < timeMs) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
