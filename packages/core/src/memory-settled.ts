import type { WorkKind, WorkStatus } from './store.js';

/** Where an item would sit in the queue: its partition and its order key. @internal */
export interface ItemPlace {
  readonly partitionKey: string;
  readonly orderKey: number;
}

/** Finds an item's place from its id (a candle's id names it; a record's place comes from the stored record). @internal */
export type PlaceOf = (id: string) => ItemPlace | undefined;

/**
 * Numbers standing for a kind's ids (a store that keeps the records in columns has one per record): a column
 * then keeps the number, not the id string. @internal
 */
export interface IdHandles {
  /** The handle of an id, or -1 if it has none. */
  handleOf(id: string): number;
  /** The id of a handle. */
  idOf(handle: number): string;
}

/** Items per segment of a column: a column grows by a segment, never by copying what it holds. */
const SEGMENT_ITEMS = 8192;
const SEGMENT_SHIFT = 13;

/**
 * One partition's settled items in one state, as parallel columns ordered by order key (ties in any order), in
 * fixed-size typed segments (a year of minutes is half a million items per column: grown by copying, each
 * growth would be fresh memory and garbage the size of the column). `ids` is absent for candles (a candle's work
 * id is `partitionKey/startMs`); a kind with {@link IdHandles} keeps handles in `handleSegments`. A status is
 * kept as its index in `statuses` (a bulk write's items share a few).
 */
class Column {
  length = 0;
  readonly keySegments: Float64Array[] = [];
  readonly statusSegments: Uint32Array[] = [];
  readonly handleSegments: Int32Array[] | undefined;
  readonly ids: string[] | undefined;
  /** The distinct statuses of the column's items, and each one's index there. */
  readonly statuses: WorkStatus[] = [];
  private readonly statusIndex = new Map<WorkStatus, number>();

  constructor(keyedBy: 'place' | 'handle' | 'id') {
    this.handleSegments = keyedBy === 'handle' ? [] : undefined;
    this.ids = keyedBy === 'id' ? [] : undefined;
  }

  orderKeyAt(index: number): number {
    return this.keySegments[index >>> SEGMENT_SHIFT]![index & (SEGMENT_ITEMS - 1)]!;
  }

  statusAt(index: number): WorkStatus {
    return this.statuses[this.statusSegments[index >>> SEGMENT_SHIFT]![index & (SEGMENT_ITEMS - 1)]!]!;
  }

  /** The id or handle at an index (`undefined` for candles). */
  keyAt(index: number): string | number | undefined {
    if (this.handleSegments !== undefined) return this.handleSegments[index >>> SEGMENT_SHIFT]![index & (SEGMENT_ITEMS - 1)]!;
    return this.ids?.[index];
  }

  /**
   * Appends items in order: `orderKeys[i]` with `keys?.[i]` and `statusAt(i)`. One loop (not a call per item): an order key
   * read from the caller's array is written to its segment unboxed.
   */
  pushAll(orderKeys: readonly number[], keys: readonly string[] | readonly number[] | undefined, statusAt: (index: number) => WorkStatus): void {
    let lastStatus: WorkStatus | undefined;
    let lastStatusIndex = 0;
    for (let at = 0; at < orderKeys.length; at += 1) {
      const index = this.length;
      const segment = index >>> SEGMENT_SHIFT;
      const offset = index & (SEGMENT_ITEMS - 1);
      if (offset === 0) {
        this.keySegments.push(new Float64Array(SEGMENT_ITEMS));
        this.statusSegments.push(new Uint32Array(SEGMENT_ITEMS));
        this.handleSegments?.push(new Int32Array(SEGMENT_ITEMS));
      }
      this.keySegments[segment]![offset] = orderKeys[at]!;
      // A bulk write's items share a few statuses, mostly one: the last one's index is reused without a map lookup.
      const status = statusAt(at);
      if (status !== lastStatus) {
        lastStatus = status;
        lastStatusIndex = this.statusIndexOf(status);
      }
      this.statusSegments[segment]![offset] = lastStatusIndex;
      if (this.handleSegments !== undefined) this.handleSegments[segment]![offset] = keys![at] as number;
      else this.ids?.push(keys![at] as string);
      this.length = index + 1;
    }
  }

  /** The index of a status in {@link statuses}, added if new. */
  private statusIndexOf(status: WorkStatus): number {
    let statusIndex = this.statusIndex.get(status);
    if (statusIndex === undefined) {
      statusIndex = this.statuses.length;
      this.statuses.push(status);
      this.statusIndex.set(status, statusIndex);
    }
    return statusIndex;
  }

  /** The first index whose order key is at least `key`. */
  lowerBound(key: number): number {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.orderKeyAt(middle) < key) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  lastOrderKey(): number {
    return this.length === 0 ? Number.NEGATIVE_INFINITY : this.orderKeyAt(this.length - 1);
  }
}

/** An item held in a settled column, as {@link SettledColumns.drain} hands it back. @internal */
export interface SettledItem {
  readonly id: string;
  readonly partitionKey: string;
  readonly orderKey: number;
  readonly status: WorkStatus;
}

/** The place a candle's work id (`productId/granularity/startMs`) names, if it is one. @internal */
export function candlePlaceOf(id: string): ItemPlace | undefined {
  const slash = id.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const text = id.slice(slash + 1);
  const orderKey = Number(text);
  return text !== '' && String(orderKey) === text ? { partitionKey: id.slice(0, slash), orderKey } : undefined;
}

/**
 * Work items a bulk write stored already settled, kept as columns per (kind, state, partition) instead of an
 * entry object and a map slot each: a year of replayed minutes is a million items nobody claims. An item is
 * found from its id through its kind's {@link PlaceOf}; anything that needs an item as an entry (a claim or a
 * listing of its state, a dead-letter action on it) first takes the whole (kind, state) out with
 * {@link drain}, so the queue then holds it exactly as if it had been added one by one.
 * @internal
 */
export class SettledColumns {
  private readonly columns: Record<WorkKind, Map<string, Map<string, Column>>> = { candle: new Map(), signal: new Map(), recommendation: new Map() };
  private readonly sizes: Record<WorkKind, Map<string, number>> = { candle: new Map(), signal: new Map(), recommendation: new Map() };

  /**
   * @param placeOf how to find an item's place from its id, per kind
   * @param handles per kind, the handles its ids are kept as (its items are then appended by handle)
   */
  constructor(
    private readonly placeOf: Partial<Record<WorkKind, PlaceOf>>,
    private readonly handles: Partial<Record<WorkKind, IdHandles>> = {},
  ) {}

  /** The id an appended id or handle stands for. */
  idOf(kind: WorkKind, key: string | number): string {
    return typeof key === 'string' ? key : this.handles[kind]!.idOf(key);
  }

  /** Whether items of `kind` can be held here (their place can be found from their id). */
  accepts(kind: WorkKind): boolean {
    return this.placeOf[kind] !== undefined;
  }

  /** Items of `kind` held in `state`. */
  count(kind: WorkKind, state: string): number {
    return this.sizes[kind].get(state) ?? 0;
  }

  /** Whether nothing of `kind` is held. */
  isEmpty(kind: WorkKind): boolean {
    return this.columns[kind].size === 0;
  }

  /**
   * Appends items of one partition in one state, not stored anywhere yet, order keys non-decreasing and none
   * before the column's last; returns false (taking nothing) when they are not in that order or the kind has no
   * {@link PlaceOf}.
   * @param ids the items' ids, or their handles for a kind with {@link IdHandles} (returns false otherwise); omitted for candles (`partitionKey/orderKey`)
   * @param statusAt the status of the item at an index
   */
  append(kind: WorkKind, state: string, partitionKey: string, orderKeys: readonly number[], ids: readonly string[] | readonly number[] | undefined, statusAt: (index: number) => WorkStatus): boolean {
    if (!this.accepts(kind) || (kind === 'candle') !== (ids === undefined) || orderKeys.length === 0) return false;
    if (ids !== undefined && (typeof ids[0] === 'number') !== (this.handles[kind] !== undefined)) return false;
    let partitions = this.columns[kind].get(state);
    let column = partitions?.get(partitionKey);
    let previous = column === undefined ? Number.NEGATIVE_INFINITY : column.lastOrderKey();
    for (const orderKey of orderKeys) {
      if (!(orderKey >= previous)) return false;
      previous = orderKey;
    }
    if (partitions === undefined) this.columns[kind].set(state, (partitions = new Map()));
    if (column === undefined) partitions.set(partitionKey, (column = new Column(ids === undefined ? 'place' : this.handles[kind] === undefined ? 'id' : 'handle')));
    column.pushAll(orderKeys, ids, statusAt);
    this.sizes[kind].set(state, this.count(kind, state) + orderKeys.length);
    return true;
  }

  /** The state and status of a held item, if it is held here. */
  find(kind: WorkKind, id: string): { readonly state: string; readonly status: WorkStatus } | undefined {
    if (this.isEmpty(kind)) return undefined;
    const place = this.placeOf[kind]?.(id);
    if (place === undefined) return undefined;
    const handles = this.handles[kind];
    const key = handles === undefined ? id : handles.handleOf(id);
    for (const [state, partitions] of this.columns[kind]) {
      const column = partitions.get(place.partitionKey);
      if (column === undefined) continue;
      for (let index = column.lowerBound(place.orderKey); index < column.length && column.orderKeyAt(index) === place.orderKey; index += 1) {
        const held = column.keyAt(index);
        if (held === undefined || held === key) return { state, status: column.statusAt(index) };
      }
    }
    return undefined;
  }

  /** Takes out every held item of `kind` in `state` (to be added to the queue as entries). */
  drain(kind: WorkKind, state: string): SettledItem[] {
    const partitions = this.columns[kind].get(state);
    if (partitions === undefined) return [];
    this.columns[kind].delete(state);
    this.sizes[kind].delete(state);
    const items: SettledItem[] = [];
    for (const [partitionKey, column] of partitions) {
      for (let index = 0; index < column.length; index += 1) {
        const orderKey = column.orderKeyAt(index);
        const key = column.keyAt(index);
        items.push({ id: key === undefined ? `${partitionKey}/${orderKey}` : this.idOf(kind, key), partitionKey, orderKey, status: column.statusAt(index) });
      }
    }
    return items;
  }
}
