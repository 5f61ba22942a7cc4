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

/**
 * One partition's settled items in one state, as parallel columns ordered by order key (ties in any order).
 * `ids` is absent for candles: a candle's work id is `partitionKey/startMs`; it holds handles for a kind with
 * {@link IdHandles}.
 */
interface Column {
  readonly orderKeys: number[];
  readonly ids: (string | number)[] | undefined;
  readonly statuses: WorkStatus[];
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

function lowerBound(keys: readonly number[], key: number): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! < key) low = middle + 1;
    else high = middle;
  }
  return low;
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
    let previous = column === undefined ? Number.NEGATIVE_INFINITY : column.orderKeys[column.orderKeys.length - 1]!;
    for (const orderKey of orderKeys) {
      if (!(orderKey >= previous)) return false;
      previous = orderKey;
    }
    if (partitions === undefined) this.columns[kind].set(state, (partitions = new Map()));
    if (column === undefined) partitions.set(partitionKey, (column = { orderKeys: [], ids: ids === undefined ? undefined : [], statuses: [] }));
    for (let index = 0; index < orderKeys.length; index += 1) {
      column.orderKeys.push(orderKeys[index]!);
      column.ids?.push(ids![index]!);
      column.statuses.push(statusAt(index));
    }
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
      const { orderKeys, ids, statuses } = column;
      for (let index = lowerBound(orderKeys, place.orderKey); index < orderKeys.length && orderKeys[index] === place.orderKey; index += 1) {
        if (ids === undefined || ids[index] === key) return { state, status: statuses[index]! };
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
    for (const [partitionKey, { orderKeys, ids, statuses }] of partitions) {
      for (let index = 0; index < orderKeys.length; index += 1) {
        const orderKey = orderKeys[index]!;
        items.push({ id: ids === undefined ? `${partitionKey}/${orderKey}` : this.idOf(kind, ids[index]!), partitionKey, orderKey, status: statuses[index]! });
      }
    }
    return items;
  }
}
