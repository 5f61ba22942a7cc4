import { canonicalJson } from './ids.js';
import type { Candle } from './records/market.js';
import type { CandleQuery, PutCandlesResult } from './store.js';
import { GRANULARITIES, type Granularity } from './time.js';

/**
 * Candles by series, each kept sorted by start, for the in-memory store: binary-search inserts and range
 * reads, first write wins.
 * @internal
 */
export class CandleSeries {
  private readonly series = new Map<string, Candle[]>();

  /** Inserts parsed candles; returns the added ones, the duplicate count and the conflicts (not written). */
  insert(candles: readonly Candle[]): { added: Candle[]; duplicates: number; conflicts: PutCandlesResult['conflicts'][number][] } {
    const added: Candle[] = [];
    const conflicts: PutCandlesResult['conflicts'][number][] = [];
    let duplicates = 0;
    for (const candle of candles) {
      const list = this.listOf(candle.productId, candle.granularity, true);
      const last = list[list.length - 1];
      if (last === undefined || last.startMs < candle.startMs) {
        list.push(candle);
        added.push(candle);
        continue;
      }
      const index = lowerBound(list, candle.startMs);
      const existing = list[index];
      if (existing !== undefined && existing.startMs === candle.startMs) {
        if (canonicalJson(existing) === canonicalJson(candle)) duplicates += 1;
        else conflicts.push({ productId: candle.productId, granularity: candle.granularity, startMs: candle.startMs });
        continue;
      }
      list.splice(index, 0, candle);
      added.push(candle);
    }
    return { added, duplicates, conflicts };
  }

  /**
   * Appends candles of one series, strictly increasing, all after its latest stored candle (a fresh run the
   * caller has checked): one series lookup for the lot.
   */
  appendFresh(candles: readonly Candle[]): void {
    const first = candles[0];
    if (first === undefined) return;
    const list = this.listOf(first.productId, first.granularity, true);
    for (const candle of candles) list.push(candle);
  }

  /** Candles closed at or before `asOfMs`, oldest first, from `fromStartMs`, the last `limit` of them. */
  range(query: CandleQuery): Candle[] {
    const list = this.listOf(query.productId, query.granularity, false);
    const end = lowerBound(list, query.asOfMs - GRANULARITIES[query.granularity] + 1);
    let start = query.fromStartMs === undefined ? 0 : lowerBound(list, query.fromStartMs);
    if (query.limit !== undefined) start = Math.max(start, end - query.limit);
    return list.slice(start, Math.max(start, end));
  }

  latest(productId: string, granularity: Granularity): Candle | undefined {
    return this.listOf(productId, granularity, false).at(-1);
  }

  at(productId: string, granularity: Granularity, startMs: number): Candle | undefined {
    const list = this.listOf(productId, granularity, false);
    const candle = list[lowerBound(list, startMs)];
    return candle?.startMs === startMs ? candle : undefined;
  }

  /** The candle of a series (`productId/granularity`, as `partitionKeyOf` names it) starting at `startMs`. */
  atKey(seriesKey: string, startMs: number): Candle | undefined {
    const list = this.series.get(seriesKey);
    if (list === undefined) return undefined;
    const candle = list[lowerBound(list, startMs)];
    return candle?.startMs === startMs ? candle : undefined;
  }

  private listOf(productId: string, granularity: Granularity, create: boolean): Candle[] {
    const key = `${productId}/${granularity}`;
    let list = this.series.get(key);
    if (list === undefined) {
      list = [];
      if (create) this.series.set(key, list);
    }
    return list;
  }
}

function lowerBound(list: readonly Candle[], startMs: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (list[middle]!.startMs < startMs) low = middle + 1;
    else high = middle;
  }
  return low;
}
