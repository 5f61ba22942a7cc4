import { canonicalJson } from './ids.js';
import type { Candle } from './records/market.js';
import type { CandleQuery, PutCandlesResult } from './store.js';
import { GRANULARITIES, type Granularity } from './time.js';

/**
 * Candles per segment of a series when none is given: 4,096 references (32 KB, 64 KB at the 2× split point) keep each
 * segment array a regular young-generation object, well under V8's 128 KB large-object threshold.
 */
const DEFAULT_SEGMENT_CAPACITY = 4_096;

/**
 * Candles by series, each kept sorted by start, for the in-memory store: binary-search inserts and range
 * reads, first write wins.
 * @internal
 */
export class CandleSeries {
  private readonly series = new Map<string, SegmentedCandles>();

  /** @param segmentCapacity candles per segment of a series' list before appends open a new one (small in tests, to split often) */
  constructor(private readonly segmentCapacity: number = DEFAULT_SEGMENT_CAPACITY) {
    if (!Number.isInteger(segmentCapacity) || segmentCapacity < 1) throw new RangeError(`segmentCapacity must be a positive integer, got ${segmentCapacity}`);
  }

  /** Inserts parsed candles; returns the added ones, the duplicate count and the conflicts (not written). */
  insert(candles: readonly Candle[]): { added: Candle[]; duplicates: number; conflicts: PutCandlesResult['conflicts'][number][] } {
    const added: Candle[] = [];
    const conflicts: PutCandlesResult['conflicts'][number][] = [];
    let duplicates = 0;
    for (const candle of candles) {
      const existing = this.listOf(candle.productId, candle.granularity, true)!.insert(candle);
      if (existing === undefined) added.push(candle);
      else if (canonicalJson(existing) === canonicalJson(candle)) duplicates += 1;
      else conflicts.push({ productId: candle.productId, granularity: candle.granularity, startMs: candle.startMs });
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
    const list = this.listOf(first.productId, first.granularity, true)!;
    for (const candle of candles) list.push(candle);
  }

  /** Candles closed at or before `asOfMs`, oldest first, from `fromStartMs`, the last `limit` of them. */
  range(query: CandleQuery): Candle[] {
    const list = this.listOf(query.productId, query.granularity, false);
    if (list === undefined) return [];
    const end = list.lowerBound(query.asOfMs - GRANULARITIES[query.granularity] + 1);
    let start = query.fromStartMs === undefined ? 0 : list.lowerBound(query.fromStartMs);
    if (query.limit !== undefined) start = Math.max(start, end - query.limit);
    return list.slice(start, Math.max(start, end));
  }

  latest(productId: string, granularity: Granularity): Candle | undefined {
    return this.listOf(productId, granularity, false)?.last();
  }

  at(productId: string, granularity: Granularity, startMs: number): Candle | undefined {
    return this.listOf(productId, granularity, false)?.find(startMs);
  }

  /** The candle of a series (`productId/granularity`, as `partitionKeyOf` names it) starting at `startMs`. */
  atKey(seriesKey: string, startMs: number): Candle | undefined {
    return this.series.get(seriesKey)?.find(startMs);
  }

  /** The list of a series; created (and kept) when `create`, else undefined when the series has no candles. */
  private listOf(productId: string, granularity: Granularity, create: boolean): SegmentedCandles | undefined {
    const key = `${productId}/${granularity}`;
    let list = this.series.get(key);
    if (list === undefined && create) {
      list = new SegmentedCandles(this.segmentCapacity);
      this.series.set(key, list);
    }
    return list;
  }
}

/**
 * The candles of one series sorted by start, in fixed-capacity segment arrays: an append fills the last segment
 * or opens a new one, never copying the others (one growing array reallocates ~1.5× each time, in V8's large-object
 * space once past 128 KB). A middle insert splices into one segment and splits it in two past 2× capacity.
 */
class SegmentedCandles {
  /** The segments in start order, none empty. */
  private readonly segments: Candle[][] = [];
  /** Position in the whole list of each segment's first candle. */
  private readonly firstIndexes: number[] = [];
  /** Number of candles in all segments. */
  private length = 0;

  /** @param segmentCapacity candles an append puts in a segment before opening a new one */
  constructor(private readonly segmentCapacity: number) {}

  /** The latest candle, undefined when empty. */
  last(): Candle | undefined {
    const segment = this.segments[this.segments.length - 1];
    return segment?.[segment.length - 1];
  }

  /** Appends a candle starting after the latest one (the caller's promise). */
  push(candle: Candle): void {
    const segment = this.segments[this.segments.length - 1];
    if (segment !== undefined && segment.length < this.segmentCapacity) {
      segment.push(candle);
    } else {
      this.segments.push([candle]);
      this.firstIndexes.push(this.length);
    }
    this.length += 1;
  }

  /** Inserts a candle in start order unless one with its start is there; returns that one (nothing written). */
  insert(candle: Candle): Candle | undefined {
    const latest = this.last();
    if (latest === undefined || latest.startMs < candle.startMs) {
      this.push(candle);
      return undefined;
    }
    const segmentIndex = this.segmentOf(candle.startMs);
    const segment = this.segments[segmentIndex]!;
    const offset = lowerBound(segment, candle.startMs);
    const existing = segment[offset];
    if (existing !== undefined && existing.startMs === candle.startMs) return existing;
    segment.splice(offset, 0, candle);
    this.length += 1;
    for (let index = segmentIndex + 1; index < this.firstIndexes.length; index += 1) this.firstIndexes[index]! += 1;
    if (segment.length > 2 * this.segmentCapacity) {
      const upper = segment.splice(segment.length >>> 1);
      this.segments.splice(segmentIndex + 1, 0, upper);
      this.firstIndexes.splice(segmentIndex + 1, 0, this.firstIndexes[segmentIndex]! + segment.length);
    }
    return undefined;
  }

  /** Position of the first candle starting at or after `startMs` (the length when none does). */
  lowerBound(startMs: number): number {
    const segmentIndex = this.segmentOf(startMs);
    const segment = this.segments[segmentIndex];
    return segment === undefined ? this.length : this.firstIndexes[segmentIndex]! + lowerBound(segment, startMs);
  }

  /** The candle starting at `startMs`, undefined when none does. */
  find(startMs: number): Candle | undefined {
    const segment = this.segments[this.segmentOf(startMs)];
    const candle = segment?.[lowerBound(segment, startMs)];
    return candle?.startMs === startMs ? candle : undefined;
  }

  /**
   * The candles from position `start` up to (not including) `end`, as a new array the caller owns. Positions are
   * read as `Array.prototype.slice` reads non-negative ones: fractions truncated, NaN as 0, clamped to the length.
   */
  slice(start: number, end: number): Candle[] {
    const from = Math.min(Math.trunc(start) || 0, this.length);
    const to = Math.min(Math.trunc(end) || 0, this.length);
    if (from >= to) return [];
    let segmentIndex = this.segmentAt(from);
    const first = this.segments[segmentIndex]!;
    const firstOffset = from - this.firstIndexes[segmentIndex]!;
    if (to - this.firstIndexes[segmentIndex]! <= first.length) return first.slice(firstOffset, to - this.firstIndexes[segmentIndex]!);
    // Whole middle segments go to `concat` as they are: one copy of each candle reference, into an exact-size array.
    const parts = [firstOffset === 0 ? first : first.slice(firstOffset)];
    for (segmentIndex += 1; this.firstIndexes[segmentIndex]! + this.segments[segmentIndex]!.length < to; segmentIndex += 1) {
      parts.push(this.segments[segmentIndex]!);
    }
    parts.push(this.segments[segmentIndex]!.slice(0, to - this.firstIndexes[segmentIndex]!));
    return ([] as Candle[]).concat(...parts);
  }

  /** Index of the first segment whose latest candle starts at or after `startMs` (the segment count when none does). */
  private segmentOf(startMs: number): number {
    let low = 0;
    let high = this.segments.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const segment = this.segments[middle]!;
      if (segment[segment.length - 1]!.startMs < startMs) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Index of the segment holding position `index` (0 ≤ index < length). */
  private segmentAt(index: number): number {
    let low = 0;
    let high = this.firstIndexes.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.firstIndexes[middle]! <= index) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}

/** Index of the first candle of `list` starting at or after `startMs` (its length when none does). */
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
