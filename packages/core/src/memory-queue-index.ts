import { removeFromList } from './small-list.js';
import type { WorkKind, WorkStatus } from './store.js';

/**
 * One work item in the in-memory queue. Every field is there from the start (`undefined` when unset, never
 * deleted): the entries share one hidden class and keep their fields in the object, with no property array on the
 * side (entries of settled items live as long as the store).
 * @internal
 */
export interface Entry {
  readonly kind: WorkKind;
  readonly id: string;
  readonly partitionKey: string;
  readonly orderKey: number;
  status: WorkStatus;
  /** The current or last lease; `undefined` when none is held. */
  lease: { readonly workerId: string; readonly fencingToken: number; readonly expiresAtMs: number } | undefined;
  /** The state the item was in when it moved to `DEAD_LETTER` (while it is there). */
  deadLetteredFrom: string | undefined;
}

/** A new entry, every field set (see {@link Entry}). @internal */
export function newEntry(kind: WorkKind, id: string, partitionKey: string, orderKey: number, status: WorkStatus): Entry {
  return { kind, id, partitionKey, orderKey, status, lease: undefined, deadLetteredFrom: undefined };
}

/** The claim order: oldest `orderKey` first, then id. @internal */
export function compareEntries(a: Entry, b: Entry): number {
  return a.orderKey - b.orderKey || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The entries of one partition in one state, oldest first. Inserts and removals are a binary search; the
 * usual removal (the oldest item leaves the state) only moves a head offset, so a queue drained from the
 * front costs O(log n) per step however long it is.
 * @internal
 */
export class PartitionList {
  private items: Entry[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  /** The entry at `index` from the oldest. */
  at(index: number): Entry | undefined {
    return this.items[this.head + index];
  }

  insert(entry: Entry): void {
    const items = this.items;
    const last = items[items.length - 1];
    if (last === undefined || this.size === 0 || compareEntries(last, entry) < 0) {
      items.push(entry);
      return;
    }
    items.splice(this.search(entry), 0, entry);
  }

  remove(entry: Entry): void {
    const index = this.search(entry);
    if (this.items[index] !== entry) return;
    if (index === this.head) {
      this.items[index] = undefined as unknown as Entry;
      this.head += 1;
      if (this.head === this.items.length) {
        // Emptied: start again at the front (the list is kept for the next item, nothing allocated).
        this.items.length = 0;
        this.head = 0;
      } else if (this.head > 64 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
    } else {
      this.items.splice(index, 1);
    }
  }

  *[Symbol.iterator](): IterableIterator<Entry> {
    for (let index = this.head; index < this.items.length; index += 1) yield this.items[index]!;
  }

  private search(entry: Entry): number {
    let low = this.head;
    let high = this.items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareEntries(this.items[middle]!, entry) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/**
 * Entries indexed by (kind, state, partition), oldest first within a partition, and the entries holding a
 * lease by (kind, partition): what a claim reads instead of every stored item.
 * @internal
 */
export class QueueIndex {
  private readonly byState: Record<WorkKind, Map<string, Map<string, PartitionList>>> = { candle: new Map(), signal: new Map(), recommendation: new Map() };
  /**
   * Entries holding a lease object, by kind and partition: unordered lists kept when emptied (a partition's items
   * come and go; a set that empties allocates a new table each time it fills again).
   */
  private readonly leases: Record<WorkKind, Map<string, Entry[]>> = { candle: new Map(), signal: new Map(), recommendation: new Map() };

  /** Partitions with entries of `kind` in `state`, each oldest first. */
  partitions(kind: WorkKind, state: string): ReadonlyMap<string, PartitionList> {
    return this.byState[kind].get(state) ?? new Map<string, PartitionList>();
  }

  /**
   * Counts by state for one kind, states in the order they first appeared.
   * @param heldElsewhere items of a state kept outside the index (settled columns)
   */
  counts(kind: WorkKind, heldElsewhere: (state: string) => number = () => 0): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [state, partitions] of this.byState[kind]) {
      let total = heldElsewhere(state);
      for (const list of partitions.values()) total += list.size;
      if (total > 0) counts[state] = total;
    }
    return counts;
  }

  /** Entries of `kind` in `state` (leased or not). */
  size(kind: WorkKind, state: string): number {
    let total = 0;
    const partitions = this.byState[kind].get(state);
    if (partitions !== undefined) for (const list of partitions.values()) total += list.size;
    return total;
  }

  /** Gives `state` its place among the states of `kind` (where its first entry would), if it has none yet. */
  touch(kind: WorkKind, state: string): void {
    if (!this.byState[kind].has(state)) this.byState[kind].set(state, new Map());
  }

  add(entry: Entry): void {
    const states = this.byState[entry.kind];
    let partitions = states.get(entry.status.state);
    if (partitions === undefined) states.set(entry.status.state, (partitions = new Map()));
    let list = partitions.get(entry.partitionKey);
    if (list === undefined) partitions.set(entry.partitionKey, (list = new PartitionList()));
    list.insert(entry);
  }

  /** Removes an entry from its current state's index (call before its state changes). */
  remove(entry: Entry): void {
    const partitions = this.byState[entry.kind].get(entry.status.state);
    const list = partitions?.get(entry.partitionKey);
    if (list === undefined) return;
    // An emptied list stays indexed (claims skip it): a live pipeline moves one item through a state per
    // candle, and dropping and re-creating the list each time allocated on every transition.
    list.remove(entry);
  }

  /** Records that an entry holds a lease object (expired or not). */
  leased(entry: Entry): void {
    const byPartition = this.leases[entry.kind];
    let list = byPartition.get(entry.partitionKey);
    if (list === undefined) byPartition.set(entry.partitionKey, (list = []));
    // An expired lease claimed again is listed already.
    if (!list.includes(entry)) list.push(entry);
  }

  /** Records that an entry no longer holds a lease. */
  unleased(entry: Entry): void {
    const list = this.leases[entry.kind].get(entry.partitionKey);
    if (list !== undefined) removeFromList(list, entry);
  }

  /** Whether an entry of `kind` in `partitionKey` holds an unexpired lease at `nowMs`. */
  isPartitionBusy(kind: WorkKind, partitionKey: string, nowMs: number): boolean {
    const list = this.leases[kind].get(partitionKey);
    if (list === undefined) return false;
    for (const entry of list) if (entry.lease !== undefined && entry.lease.expiresAtMs > nowMs) return true;
    return false;
  }
}
