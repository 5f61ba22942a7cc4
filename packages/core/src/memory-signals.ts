import { TradepipeError } from './errors.js';
import { canonicalJson } from './ids.js';
import { SIGNAL_ROW, SignalColumns, type SignalRow } from './memory-signal-columns.js';
import { DerivedIdGuard } from './memory-signal-guard.js';
import type { IdHandles, ItemPlace } from './memory-settled.js';
import type { Signal, SignalAction } from './records/trading.js';
import { partitionKeyOf, type SignalCountQuery } from './store.js';

/**
 * Whether a signal written again repeats the stored one: the same canonical JSON, or the same once reduced to the
 * schema's fields (a stored signal keeps only those, in the columns or parsed one at a time, so a repeat of a
 * write carrying extra fields is no conflict).
 */
function sameContent(stored: Signal, record: Signal): boolean {
  const storedJson = canonicalJson(stored);
  if (storedJson === canonicalJson(record)) return true;
  const reduced = schemaFieldsOf(record);
  return reduced !== undefined && storedJson === canonicalJson(reduced);
}

/**
 * `record` with the fields the columns keep (`SignalSchema`'s), as {@link SignalColumns.record} rebuilds them;
 * undefined for a record without the nested objects to read them from (it is compared as it is).
 */
function schemaFieldsOf(record: Signal): Signal | undefined {
  const { features, probabilities } = record;
  if (features === null || typeof features !== 'object' || (probabilities !== undefined && (probabilities === null || typeof probabilities !== 'object'))) return undefined;
  return {
    id: record.id,
    pipelineId: record.pipelineId,
    productId: record.productId,
    granularity: record.granularity,
    candleStartMs: record.candleStartMs,
    action: record.action,
    confidence: record.confidence,
    ...(probabilities === undefined ? {} : { probabilities: { BUY: probabilities.BUY, SELL: probabilities.SELL, HOLD: probabilities.HOLD } }),
    modelId: record.modelId,
    modelVersion: record.modelVersion,
    closePrice: record.closePrice,
    features: { productId: features.productId, granularity: features.granularity, candleStartMs: features.candleStartMs, featureSetVersion: features.featureSetVersion, values: features.values },
    generatedAtMs: record.generatedAtMs,
  };
}


/** A bulk write's signal item that may give itself as a row (see {@link SIGNAL_ROW}). */
type SignalRowItem = { readonly [SIGNAL_ROW]?: () => SignalRow | undefined };

/**
 * The signals a bulk write stored, in input order, as parallel arrays (no object per signal): each one's item and its
 * handle in the columns (-1 when it went to the record map). @internal
 */
export interface StoredSignals<T extends { readonly record: Signal }> {
  readonly items: T[];
  readonly handles: number[];
}

/**
 * The in-memory store's signals: those written one by one (and any a bulk write hands over in a shape the
 * columns do not keep) in a record map, the others in {@link SignalColumns}. Reads see one set of records.
 * @internal
 */
export class MemorySignals implements IdHandles {
  private readonly records = new Map<string, Signal>();
  /** Per record in the map: how many signals the columns held when it was stored (the order of first appearance). */
  private readonly columnsBefore = new Map<string, number>();
  private readonly columns = new SignalColumns();
  /**
   * The first word ({@link SignalColumns.firstWordOf}) of each id in the record map that the columns could hold:
   * a bulk write looks an id up in the map only if its first word is here (or it is not an id the columns hold),
   * not hashing each of its thousands of new ids. Never removed (a stale word costs a lookup, nothing else).
   */
  private readonly recordFirstWords = new Set<number>();
  /** Ids a bulk write in progress put in the record map. */
  private pending: string[] | undefined;
  /** Tells when a bulk write's derived-id row is certainly new (then appended without hashing its id). */
  private readonly guard = new DerivedIdGuard();

  /** The stored signal `id`. */
  get(id: string): Signal | undefined {
    const record = this.records.get(id);
    if (record !== undefined) return record;
    const handle = this.columns.find(id);
    return handle < 0 ? undefined : this.columns.record(handle);
  }

  /**
   * The stored signal with `record`'s id, for a write of `record`: without a lookup by id (which would hash every
   * id kept unhashed) when its id is the one its key derives and no signal of that key can be stored (one hash).
   */
  existingFor(record: Signal): Signal | undefined {
    if (this.columns.unhashedCount > 0 && this.guard.isCertainlyNew(record) && this.guard.isOwnKeyId(record)) return undefined;
    return this.get(record.id);
  }

  /** Where the signal `id` sits in the work queue, if stored. */
  placeOf(id: string): ItemPlace | undefined {
    const record = this.records.get(id);
    if (record !== undefined) return { partitionKey: partitionKeyOf(record), orderKey: record.candleStartMs };
    const handle = this.columns.find(id);
    return handle < 0 ? undefined : this.columns.placeOf(handle);
  }

  handleOf(id: string): number {
    // In the map or in the columns, never both: a map-held id has no handle (and is not looked up among the
    // columns', which would hash every id kept unhashed).
    if (this.records.has(id)) return -1;
    return this.columns.find(id);
  }

  idOf(handle: number): string {
    return this.columns.idOf(handle);
  }

  /** Column-held signals whose ids are not hashed yet (see `SignalColumns.appendDerivedRow`). */
  get unhashedCount(): number {
    return this.columns.unhashedCount;
  }

  /** Makes room in the columns for `count` more bulk-written signals. */
  reserveBulk(count: number): void {
    this.columns.reserveFor(count);
  }

  /** The partition key (`productId/granularity`) of a column-held signal's handle: a string its block shares. */
  partitionKeyOf(handle: number): string {
    return this.columns.partitionKeyOf(handle);
  }

  /** The candle start of a column-held signal's handle. */
  candleStartMsOf(handle: number): number {
    return this.columns.candleStartMsOf(handle);
  }

  /** Stores a signal not stored yet (the per-record path). */
  add(record: Signal): void {
    this.records.set(record.id, record);
    const firstWord = this.columns.firstWordOf(record.id);
    if (firstWord !== undefined) this.recordFirstWords.add(firstWord);
    this.columnsBefore.set(record.id, this.columns.size);
    this.guard.note(record, false);
  }

  /** Signals by action, keys in the order the actions first appear among the stored signals. */
  countByAction(query: SignalCountQuery): Partial<Record<SignalAction, number>> {
    const fromMs = query.fromCandleStartMs ?? Number.NEGATIVE_INFINITY;
    const toMs = query.toCandleStartMs ?? Number.POSITIVE_INFINITY;
    const counts = new Map<SignalAction, { count: number; columnsBefore: number; mapIndex: number }>();
    let mapIndex = 0;
    for (const signal of this.records.values()) {
      mapIndex += 1;
      if (query.productId !== undefined && signal.productId !== query.productId) continue;
      if (signal.candleStartMs < fromMs || signal.candleStartMs > toMs) continue;
      const count = counts.get(signal.action);
      if (count === undefined) counts.set(signal.action, { count: 1, columnsBefore: this.columnsBefore.get(signal.id)!, mapIndex });
      else count.count += 1;
    }
    // A column signal of handle h came after a map record stored when the columns held h or fewer.
    this.columns.countByAction({ productId: query.productId, fromMs, toMs }, (action, handle) => {
      const count = counts.get(action);
      if (count === undefined) counts.set(action, { count: 1, columnsBefore: handle + 0.5, mapIndex: 0 });
      else {
        count.count += 1;
        if (handle + 0.5 < count.columnsBefore) {
          count.columnsBefore = handle + 0.5;
          count.mapIndex = 0;
        }
      }
    });
    const ordered = [...counts].sort(([, a], [, b]) => a.columnsBefore - b.columnsBefore || a.mapIndex - b.mapIndex);
    const result: Partial<Record<SignalAction, number>> = {};
    for (const [action, { count }] of ordered) result[action] = count;
    return result;
  }

  /**
   * Stores a bulk write's signals not stored yet (first of each id) and returns them with their handles; throws
   * `record_conflict` on a conflict with a stored or an earlier batch signal, having taken back what it stored.
   * What it stores stays provisional until {@link commitBulk} (or {@link rollbackBulk}).
   */
  storeBulk<T extends { readonly record: Signal }>(items: readonly T[]): StoredSignals<T> {
    const fresh: StoredSignals<T> = { items: [], handles: [] };
    const columns = this.columns;
    const records = this.records;
    const guard = this.guard;
    columns.begin(items.length);
    guard.begin();
    this.pending = [];
    /** The row appended last without its id hashed, while the next may follow it (see `SignalRow.follows`). */
    let previous: SignalRow | undefined;
    try {
      for (let index = 0; index < items.length; index += 1) {
        const item = items[index]!;
        // An item given as a row (the batched replay's quiet signals) is copied in without its record being built.
        const row = (item as SignalRowItem)[SIGNAL_ROW]?.();
        const derived = row !== undefined && row.idDerived?.() === true;
        if (derived) {
          // A row following the last one (its series, after it) is certainly new as that one was: its numbers only.
          // Else a row whose id is derived from its key and certainly new goes in without its id being hashed.
          const follows = previous !== undefined && row.follows?.(previous) === true;
          let handle = follows ? columns.appendFollowingRow(row) : -1;
          if (handle >= 0) guard.noteFollowing(row.candleStartMs);
          else if (guard.isCertainlyNew(row)) {
            handle = columns.appendDerivedRow(row, items.length - index);
            if (handle >= 0) guard.note(row, true);
          }
          if (handle >= 0) {
            fresh.items.push(item);
            fresh.handles.push(handle);
            previous = row;
            continue;
          }
        }
        previous = undefined;
        let record = row === undefined ? item.record : undefined;
        // In the columns or in the map, never both. A row's id is read as text only to look among the map's.
        const found = row === undefined ? columns.find(record!.id) : columns.findRow(row);
        let stored = found >= 0 ? columns.record(found) : undefined;
        if (stored === undefined && records.size > 0) {
          const firstWord = row === undefined ? columns.firstWordOf(record!.id) : columns.firstWordOfRow(row);
          if (firstWord === undefined || this.recordFirstWords.has(firstWord)) stored = records.get(row === undefined ? record!.id : row.id);
        }
        if (stored === undefined) {
          let handle = row === undefined ? -1 : columns.appendRow(row, items.length - index);
          if (handle < 0) {
            record ??= item.record;
            handle = columns.append(record, items.length - index);
          }
          if (handle < 0) {
            this.add(record!);
            this.pending.push(record!.id);
          } else guard.note(record ?? row!, derived);
          fresh.items.push(item);
          fresh.handles.push(handle);
        } else {
          record ??= item.record;
          if (stored !== record && !sameContent(stored, record)) {
            throw new TradepipeError('record_conflict', 'A record with this id exists with other content; the first write stands', { details: { type: 'signal', id: record.id } });
          }
        }
      }
    } catch (error) {
      this.rollbackBulk();
      throw error;
    }
    return fresh;
  }

  /** Keeps what {@link storeBulk} stored. */
  commitBulk(): void {
    this.columns.commit();
    this.guard.commit();
    this.pending = undefined;
  }

  /** Takes back what {@link storeBulk} stored. */
  rollbackBulk(): void {
    this.columns.rollback();
    this.guard.rollback();
    for (const id of this.pending ?? []) {
      this.records.delete(id);
      this.columnsBefore.delete(id);
    }
    this.pending = undefined;
  }
}
