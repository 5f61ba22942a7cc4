import { RECORD_ID_PREFIXES, recordIdOfWords } from './ids.js';
import type { ItemPlace } from './memory-settled.js';
import { TradepipeError } from './errors.js';
import { SignalBlock as Block, type FeatureValuesSource } from './memory-signal-block.js';
import type { Signal, SignalAction } from './records/trading.js';

const ACTIONS: readonly SignalAction[] = ['BUY', 'SELL', 'HOLD'];
/** Flag bit in a row's action byte: the signal has `probabilities`. */
const WITH_PROBABILITIES = 4;
const ID_PREFIX = `${RECORD_ID_PREFIXES.signal}_`;
/** An id the columns can hold: the prefix and 32 lowercase hex digits (what `recordId` gives). */
const ID_LENGTH = ID_PREFIX.length + 32;
/** Rows a block is made for at least (later bulk writes of the same series fill it). */
const MIN_BLOCK_ROWS = 64;
/** Rows a block made larger than the write that makes it holds at most (see `blockFor`): what a series' last block can leave unused. */
const MAX_GROWN_BLOCK_ROWS = 16_384;
/** Feature values a block holds at most (2^22 doubles, 32 MB): its rows are capped at this over the vector's width. */
const MAX_BLOCK_VALUES = 2 ** 22;

/** The value of each ASCII code as a lowercase hex digit, -1 for any other. */
const HEX_DIGIT_VALUES = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 16; digit += 1) HEX_DIGIT_VALUES[digit.toString(16).charCodeAt(0)] = digit;

/**
 * A 32-bit word of an id's hex digits from `start` (as a signed integer: a typed column takes it modulo 2^32),
 * or `undefined` if one of the 8 is not a lowercase hex digit.
 */
function hexWord(id: string, start: number): number | undefined {
  let word = 0;
  // Any digit not a hex digit makes `invalid` negative: one test at the end, not a branch per character.
  let invalid = 0;
  for (let index = start; index < start + 8; index += 1) {
    const code = id.charCodeAt(index);
    const digit = code < 128 ? HEX_DIGIT_VALUES[code]! : -1;
    invalid |= digit;
    word = (word << 4) | (digit & 15);
  }
  return invalid < 0 ? undefined : word;
}

/** The fields of a signal the columns check and keep (a record's, or a {@link SignalRow}'s). */
type SignalFields = Pick<Signal, 'pipelineId' | 'productId' | 'granularity' | 'candleStartMs' | 'action' | 'confidence' | 'probabilities' | 'modelId' | 'modelVersion' | 'closePrice' | 'generatedAtMs'>;

/**
 * A signal the columns take without its record (the batched replay's quiet signals, whose feature values sit in
 * its chunk's matrix): the record's fields but its features, of which it gives the feature-set version and the
 * width and copies the values in; the features are of the signal's own series and candle start. The columns
 * rebuild the record it stands for.
 * @internal
 */
export interface SignalRow extends SignalFields {
  /** The signal's id: read only when the columns need its text (when {@link SignalRow.idWords} gives none, or to compare with a signal held elsewhere). */
  readonly id: string;
  /**
   * Writes the id's 32 hex digits after `sig_` as four 32-bit words (the first eight digits in the first) into
   * `target` from 0, as `recordIdsAfter(...).words` gives them; false (nothing written) when the row has no words,
   * and then {@link SignalRow.id} is read.
   */
  idWords(target: Uint32Array): boolean;
  /**
   * True when the id is the one `recordId('signal', [pipelineId, productId, granularity, candleStartMs])` gives for
   * the row's own fields (a signal the pipeline made): the columns may then keep the row without its id, hashed only
   * when needed (see {@link SignalColumns.appendDerivedRow}). Absent or false: the id is read.
   */
  idDerived?(): boolean;
  /**
   * Optional, for a row whose id is derived: true when `previous` (the row given just before it in the same write)
   * has the same pipeline, series, model, feature set, width and values source, and an earlier candle start. The
   * columns then append this row to `previous`'s block reading only its own numbers (see
   * {@link SignalColumns.appendFollowingRow}).
   */
  follows?(previous: SignalRow): boolean;
  readonly featureSetVersion: string;
  readonly width: number;
  /** Copies the `width` feature values into `target` from `offset`; false if one is not a number. */
  copyValues(target: number[], offset: number): boolean;
  /**
   * What recomputes the row's feature values on read, when the columns are not to keep them (then
   * {@link SignalRow.copyValues} is not called); `undefined` (or no such method) to have them copied in.
   */
  valuesSource?(): FeatureValuesSource | undefined;
}

/** A bulk write's signal item with this method gives itself as a {@link SignalRow}: the memory store then reads its `record` only on a conflict. @internal */
export const SIGNAL_ROW: unique symbol = Symbol('tradepipe.signalRow');

/** The action's index in {@link ACTIONS} when every field the columns keep has the type they keep, else -1. */
function actionIndexOf(signal: SignalFields): number {
  if (typeof signal.pipelineId !== 'string' || typeof signal.modelId !== 'string' || typeof signal.modelVersion !== 'string' || typeof signal.productId !== 'string' || typeof signal.granularity !== 'string') return -1;
  return numbersActionIndexOf(signal);
}

/** {@link actionIndexOf} for the fields a row has of its own (its numbers and action), the shared ones checked already. */
function numbersActionIndexOf(signal: SignalFields): number {
  if (typeof signal.candleStartMs !== 'number' || typeof signal.confidence !== 'number' || typeof signal.closePrice !== 'number' || typeof signal.generatedAtMs !== 'number') return -1;
  const { probabilities } = signal;
  if (probabilities !== undefined && !isProbabilities(probabilities)) return -1;
  return ACTIONS.indexOf(signal.action);
}

/** Whether `value` holds only numbers in BUY, SELL and HOLD (the shape the columns keep). */
function isProbabilities(value: unknown): value is NonNullable<Signal['probabilities']> {
  if (value === null || typeof value !== 'object') return false;
  const { BUY, SELL, HOLD } = value as Record<string, unknown>;
  return typeof BUY === 'number' && typeof SELL === 'number' && typeof HOLD === 'number';
}

/**
 * The memory store's bulk-written signals, kept as columns instead of a record object and a map slot each: a
 * replayed year of minutes is half a million signals whose records, id strings and probability objects would
 * otherwise survive into the old generation (copied by the scavenger, traced by every full collection), and so
 * would their feature values arrays, copied into one plain array of doubles per block (or, for the batched replay's
 * quiet signals, not kept at all but recomputed on read by the row's source: see {@link SignalRow.valuesSource}).
 * Ids are held as their 128 hashed bits and found through an open-addressing table over them, but for rows appended
 * with {@link SignalColumns.appendDerivedRow}: those ids are what their natural key hashes to, and are hashed only
 * when a lookup could need them (a replayed year of minutes would otherwise hash half a million ids nobody looks up:
 * ≈ 0.3 s). A signal is a number
 * (its handle, in write order) until it is read, when its record is rebuilt with {@link SignalColumns.record}: the
 * fields of `SignalSchema` in its order, with a new array of the values written or recomputed (the same numbers, bit
 * for bit).
 *
 * A record is taken only when it has the shape the columns rebuild (an id as `recordId` makes it, the
 * schema's field types, a feature vector of the signal's own series and candle with an array of numbers); any
 * other is left to the caller ({@link SignalColumns.append} returns -1). Fields outside the schema are not
 * kept, as the per-record path (which parses) and the SQL stores do not keep them.
 * @internal
 */
export class SignalColumns {
  private readonly blocks: Block[] = [];
  /** The block each series (and model and feature set) last appended to. */
  private readonly openBlocks = new Map<string, Block>();
  /** The block last appended to. */
  private current: Block | undefined;
  /** Per handle: the id's four 32-bit words. */
  private words = new Uint32Array(4 * 16);
  /**
   * Per handle: 1 when its id's words are in {@link words} and in the table, 0 for a row appended with its id
   * derived and not hashed yet (see {@link hashDerived}).
   */
  private hashed = new Uint8Array(16);
  /** Handles not hashed yet (see {@link unhashedCount}), and the lowest of them (or {@link count}). */
  private unhashed = 0;
  private firstUnhashed = 0;
  /** Per handle: its block's index in {@link blocks} and its row there. */
  private handleBlock = new Int32Array(16);
  private handleRow = new Int32Array(16);
  /**
   * Open addressing on the id's first word (hashed bits already), at most half full: per slot two integers, 0 for
   * empty or handle + 1, then that first word. A probe past another id is told apart by the first word in the
   * same slot, without reading that id's words (a cache miss each in a table of a million signals), and the table
   * grows without reading them either.
   */
  private table = new Int32Array(2 * 32);
  /** The empty slot where the last {@link find} of {@link parsedId} ended (-1 when unknown): {@link append} takes it. */
  private freeSlot = -1;
  private count = 0;
  private writeNumber = 0;
  /** What the write in progress may have to take back. */
  private mark: { readonly count: number; readonly blocks: number; readonly lengths: Map<Block, number>; readonly firstUnhashed: number } | undefined;
  /** The words of the id last parsed, and that id (or the row whose id it is). */
  private readonly scratch = new Uint32Array(4);
  private parsedId: string | undefined;
  private parsedRow: SignalRow | undefined;

  /** Signals held. */
  get size(): number {
    return this.count;
  }

  /** Signals held whose ids are not hashed yet (appended with {@link appendDerivedRow}, not looked up since). */
  get unhashedCount(): number {
    return this.unhashed;
  }

  /** The handle of the signal `id`, or -1 when it is not held here. */
  find(id: string): number {
    if (this.count === 0 || !this.parse(id)) return -1;
    return this.probe();
  }

  /**
   * The handle of the signal a row stands for, or -1 when it is not held here (or its id is not one the columns can
   * hold); its first word is then {@link firstWordOfRow}'s.
   */
  findRow(row: SignalRow): number {
    if (!this.parseRow(row) || this.count === 0) return -1;
    return this.probe();
  }

  /** The first 32 bits (as a signed integer) of a row's id just looked up by {@link findRow}, `undefined` when it is not an id the columns can hold. */
  firstWordOfRow(row: SignalRow): number | undefined {
    return row === this.parsedRow ? this.scratch[0]! | 0 : undefined;
  }

  /** Looks the parsed id up: its handle, or -1 (the empty slot where the probe ended kept for {@link place}). */
  private probe(): number {
    if (this.unhashed > 0) this.hashDerived();
    const { table, words, scratch } = this;
    const mask = (table.length >>> 1) - 1;
    const first = scratch[0]! | 0;
    for (let slot = first & mask; ; slot = (slot + 1) & mask) {
      const entry = table[2 * slot]!;
      if (entry === 0) {
        this.freeSlot = slot;
        return -1;
      }
      if (table[2 * slot + 1] !== first) continue;
      const base = 4 * (entry - 1);
      if (words[base + 1] === scratch[1] && words[base + 2] === scratch[2] && words[base + 3] === scratch[3]) return entry - 1;
    }
  }

  /**
   * The id's first 32 bits (as a signed integer) when it is an id the columns can hold, else `undefined`; an id
   * just found or appended is not parsed again.
   */
  firstWordOf(id: string): number | undefined {
    if (id !== this.parsedId && !this.parse(id)) return undefined;
    return this.scratch[0]! | 0;
  }

  /** The id of a handle. */
  idOf(handle: number): string {
    if (this.hashed[handle] === 0) {
      const block = this.blocks[this.handleBlock[handle]!]!;
      return block.idsAfter()(block.candleStartMs[this.handleRow[handle]!]!);
    }
    return recordIdOfWords('signal', this.words, 4 * handle);
  }

  /**
   * Hashes the ids of the rows appended with their ids derived (see {@link appendDerivedRow}) into {@link words} and
   * the table: before any lookup by id, which must see them.
   */
  private hashDerived(): void {
    this.reserveHashed(this.count, this.count);
    const { hashed, words, table } = this;
    const mask = (table.length >>> 1) - 1;
    for (let handle = this.firstUnhashed; handle < this.count; handle += 1) {
      if (hashed[handle] !== 0) continue;
      const block = this.blocks[this.handleBlock[handle]!]!;
      // Appended only with a candle start `words` takes (a non-negative safe integer).
      block.idsAfter().words(block.candleStartMs[this.handleRow[handle]!]!, words, 4 * handle);
      insertEntry(table, mask, handle + 1, words[4 * handle]! | 0);
      hashed[handle] = 1;
    }
    this.unhashed = 0;
    this.firstUnhashed = this.count;
    this.freeSlot = -1;
  }

  /** Where the signal of a handle sits in the work queue. */
  placeOf(handle: number): ItemPlace {
    const block = this.blocks[this.handleBlock[handle]!]!;
    return { partitionKey: block.partitionKey, orderKey: block.candleStartMs[this.handleRow[handle]!]! };
  }

  /** The partition key of a handle's signal (its block's string). */
  partitionKeyOf(handle: number): string {
    return this.blocks[this.handleBlock[handle]!]!.partitionKey;
  }

  /** The candle start of a handle's signal. */
  candleStartMsOf(handle: number): number {
    return this.blocks[this.handleBlock[handle]!]!.candleStartMs[this.handleRow[handle]!]!;
  }

  /** Makes room for `count` more signals than held (outside a write: it would take back none of it). */
  reserveFor(count: number): void {
    if (this.mark === undefined) this.reserve(this.count + Math.max(0, count));
  }

  /** The record of a handle, rebuilt: `SignalSchema`'s fields in its order. */
  record(handle: number): Signal {
    const block = this.blocks[this.handleBlock[handle]!]!;
    return this.rowRecord(block, this.handleRow[handle]!, this.idOf(handle));
  }

  private rowRecord(block: Block, row: number, id: string): Signal {
    const width = block.width;
    const offset = block.valueOffsets[row]!;
    let values: number[];
    if (offset >= 0) {
      values = new Array<number>(width);
      for (let index = 0, at = offset; index < width; index += 1, at += 1) values[index] = block.values[at]!;
    } else {
      const computed = block.source?.valuesAt(block.candleStartMs[row]!);
      if (computed === undefined || computed.length !== width) {
        throw new TradepipeError('internal', 'A stored signal\'s feature values could not be recomputed', { details: { type: 'signal', id } });
      }
      values = computed;
    }
    const candleStartMs = block.candleStartMs[row]!;
    const features = { productId: block.productId, granularity: block.granularity, candleStartMs, featureSetVersion: block.featureSetVersion, values };
    const flags = block.actions[row]!;
    const action = ACTIONS[flags & 3]!;
    const common = { id, pipelineId: block.pipelineId, productId: block.productId, granularity: block.granularity, candleStartMs, action, confidence: block.confidence[row]! };
    const tail = { modelId: block.modelId, modelVersion: block.modelVersion, closePrice: block.closePrice[row]!, features, generatedAtMs: block.generatedAtMs[row]! };
    if ((flags & WITH_PROBABILITIES) === 0) return { ...common, ...tail };
    const probabilities = { BUY: block.probabilities[3 * row]!, SELL: block.probabilities[3 * row + 1]!, HOLD: block.probabilities[3 * row + 2]! };
    return { ...common, probabilities, ...tail };
  }

  /**
   * Counts the held signals by action, keeping each action's first handle (the order a record map would list
   * them in).
   */
  countByAction(filter: { readonly productId?: string; readonly fromMs: number; readonly toMs: number }, add: (action: SignalAction, handle: number) => void): void {
    for (const block of this.blocks) {
      if (filter.productId !== undefined && block.productId !== filter.productId) continue;
      for (let row = 0; row < block.length; row += 1) {
        const startMs = block.candleStartMs[row]!;
        if (startMs < filter.fromMs || startMs > filter.toMs) continue;
        add(ACTIONS[block.actions[row]! & 3]!, block.handles[row]!);
      }
    }
  }

  /**
   * Starts a bulk write: what {@link append} adds until {@link commit} is taken back by {@link rollback}.
   * @param rows how many signals the write may append: room is made for them at once
   */
  begin(rows = 0): void {
    this.reserve(this.count + rows);
    this.parsedRow = undefined;
    this.writeNumber += 1;
    this.mark = { count: this.count, blocks: this.blocks.length, lengths: new Map(), firstUnhashed: this.firstUnhashed };
  }

  /** Keeps what the write appended. */
  commit(): void {
    this.mark = undefined;
  }

  /**
   * Takes back everything appended since {@link begin}: the columns hold what they held before it (ids of earlier rows
   * the write's lookups hashed stay hashed, and grown arrays stay grown).
   */
  rollback(): void {
    const mark = this.mark;
    if (mark === undefined) return;
    // Each slot is found by probing past any other. The signals held before the write were placed when the
    // write's slots were empty, so clearing those breaks no earlier probe chain. That holds for the ids written
    // before it unhashed too: the write's first lookup hashes them (see `probe`), and it places an id of its own
    // only after a lookup.
    const mask = (this.table.length >>> 1) - 1;
    for (let handle = this.count - 1; handle >= mark.count; handle -= 1) {
      if (this.hashed[handle] === 0) continue;
      for (let slot = this.words[4 * handle]! & mask; ; slot = (slot + 1) & mask) {
        if (this.table[2 * slot] === handle + 1) {
          this.table[2 * slot] = 0;
          this.table[2 * slot + 1] = 0;
          break;
        }
      }
    }
    this.freeSlot = -1;
    this.count = mark.count;
    this.firstUnhashed = Math.min(mark.firstUnhashed, this.count);
    this.unhashed = 0;
    for (let handle = this.firstUnhashed; handle < this.count; handle += 1) if (this.hashed[handle] === 0) this.unhashed += 1;
    for (const [block, length] of mark.lengths) block.truncate(length);
    for (const block of this.blocks.splice(mark.blocks)) {
      const key = blockKey(block.pipelineId, block.productId, block.granularity, block.modelId, block.modelVersion, block.featureSetVersion, String(block.width));
      if (this.openBlocks.get(key) === block) this.openBlocks.delete(key);
    }
    if (this.current !== undefined && !this.blocks.includes(this.current)) this.current = undefined;
    this.mark = undefined;
  }

  /**
   * Appends a signal not held yet (the caller checked with {@link find}) inside a write ({@link begin}); returns
   * its handle, or -1 (taking nothing) when the record is not of the shape the columns keep.
   * @param rowsHint how many more signals the write holds (the size of a new block)
   */
  append(record: Signal, rowsHint: number): number {
    const { id, features } = record;
    if (id !== this.parsedId && !this.parse(id)) return -1;
    const actionIndex = actionIndexOf(record);
    if (actionIndex < 0) return -1;
    if (features === null || typeof features !== 'object' || features.productId !== record.productId || features.granularity !== record.granularity || features.candleStartMs !== record.candleStartMs) return -1;
    if (typeof features.featureSetVersion !== 'string' || !Array.isArray(features.values)) return -1;
    const block = this.blockFor(record, features.featureSetVersion, features.values.length, rowsHint, undefined);
    const offset = block.values.length;
    if (!copyValues(features.values, block.values, offset)) {
      block.values.length = offset;
      return -1;
    }
    return this.place(block, record, actionIndex, offset, false);
  }

  /**
   * Appends a signal not held yet given as a {@link SignalRow}, as {@link append} appends the record it stands for
   * (the same checks, the same row); -1 (taking nothing) when it is not of the shape the columns keep.
   */
  appendRow(row: SignalRow, rowsHint: number): number {
    if (row !== this.parsedRow && !this.parseRow(row)) return -1;
    return this.appendRowFields(row, rowsHint, false);
  }

  /**
   * Appends a row whose id is derived from its natural key ({@link SignalRow.idDerived}) without hashing it: the
   * caller knows no signal with that id is held (see `MemorySignals`). The id is hashed when a lookup by id could
   * need it, or built when read. -1 (taking nothing) as {@link appendRow}, and for a candle start that is not a
   * non-negative safe integer.
   */
  appendDerivedRow(row: SignalRow, rowsHint: number): number {
    const startMs = row.candleStartMs;
    if (!Number.isSafeInteger(startMs) || startMs < 0) return -1;
    this.parsedId = undefined;
    this.parsedRow = undefined;
    this.freeSlot = -1;
    return this.appendRowFields(row, rowsHint, true);
  }

  /**
   * Appends a row that follows ({@link SignalRow.follows}) the last row this write appended with
   * {@link appendDerivedRow} or this method: into that row's block, its id derived and unhashed, its values
   * recomputed by the block's source, reading only its own numbers. -1 (taking nothing) when the block is full, the
   * row's source is not the block's, or one of its numbers is not of the type the columns keep.
   */
  appendFollowingRow(row: SignalRow): number {
    const block = this.current;
    if (block === undefined || block.length === block.capacity || block.source === undefined || row.valuesSource?.() !== block.source) return -1;
    const startMs = row.candleStartMs;
    if (!Number.isSafeInteger(startMs) || startMs < 0) return -1;
    const actionIndex = numbersActionIndexOf(row);
    if (actionIndex < 0) return -1;
    this.parsedId = undefined;
    this.parsedRow = undefined;
    this.freeSlot = -1;
    return this.place(block, row, actionIndex, -1, true);
  }

  /** {@link appendRow} after its id is parsed (or, `derived`, left to hash later). */
  private appendRowFields(row: SignalRow, rowsHint: number, derived: boolean): number {
    const actionIndex = actionIndexOf(row);
    if (actionIndex < 0 || typeof row.featureSetVersion !== 'string') return -1;
    const source = row.valuesSource?.();
    const block = this.blockFor(row, row.featureSetVersion, row.width, rowsHint, source);
    if (source !== undefined) {
      block.source = source;
      return this.place(block, row, actionIndex, -1, derived);
    }
    const offset = block.values.length;
    if (!row.copyValues(block.values, offset)) {
      block.values.length = offset;
      return -1;
    }
    return this.place(block, row, actionIndex, offset, derived);
  }

  /**
   * Takes the next row of `block` for the signal just parsed.
   * @param valuesOffset where its feature values (copied in already) start in the block's values, -1 when its source recomputes them
   * @param derived whether the id is left to hash later (see {@link appendDerivedRow}): then it is not in the table
   */
  private place(block: Block, signal: SignalFields, actionIndex: number, valuesOffset: number, derived: boolean): number {
    const row = block.length;
    const handle = this.count;
    this.reserve(handle + 1);
    block.handles[row] = handle;
    block.valueOffsets[row] = valuesOffset;
    block.candleStartMs[row] = signal.candleStartMs;
    block.generatedAtMs[row] = signal.generatedAtMs;
    block.closePrice[row] = signal.closePrice;
    block.confidence[row] = signal.confidence;
    const { probabilities } = signal;
    if (probabilities === undefined) block.actions[row] = actionIndex;
    else {
      block.actions[row] = actionIndex | WITH_PROBABILITIES;
      block.probabilities[3 * row] = probabilities.BUY;
      block.probabilities[3 * row + 1] = probabilities.SELL;
      block.probabilities[3 * row + 2] = probabilities.HOLD;
    }
    block.length = row + 1;
    this.handleBlock[handle] = block.index;
    this.handleRow[handle] = row;
    this.count = handle + 1;
    // Unhashed until placed below (a rolled-back write may have left this slot set).
    this.hashed[handle] = 0;
    if (derived) {
      if (this.unhashed === 0) this.firstUnhashed = handle;
      this.unhashed += 1;
      return handle;
    }
    this.reserveHashed(handle + 1, handle + 1 - this.unhashed);
    this.hashed[handle] = 1;
    const base = 4 * handle;
    const { words, scratch } = this;
    // Four stores, not `words.set(scratch, base)`: a builtin call per signal costs more than the copy.
    words[base] = scratch[0]!;
    words[base + 1] = scratch[1]!;
    words[base + 2] = scratch[2]!;
    words[base + 3] = scratch[3]!;
    const table = this.table;
    const slot = this.freeSlot;
    this.freeSlot = -1;
    if (slot < 0) insertEntry(table, (table.length >>> 1) - 1, handle + 1, scratch[0]! | 0);
    else {
      table[2 * slot] = handle + 1;
      table[2 * slot + 1] = scratch[0]! | 0;
    }
    return handle;
  }

  /** A row's id's four words into {@link scratch} (its own words, else its id parsed); false if it is not an id the columns can hold. */
  private parseRow(row: SignalRow): boolean {
    this.parsedRow = undefined;
    if (row.idWords(this.scratch)) {
      this.parsedId = undefined;
      this.freeSlot = -1;
    } else if (!this.parse(row.id)) return false;
    this.parsedRow = row;
    return true;
  }

  /** Parses an id's four words into {@link scratch}; false if it is not an id the columns can hold. */
  private parse(id: unknown): boolean {
    this.parsedId = undefined;
    this.parsedRow = undefined;
    this.freeSlot = -1;
    if (typeof id !== 'string' || id.length !== ID_LENGTH || !id.startsWith(ID_PREFIX)) return false;
    const start = ID_PREFIX.length;
    for (let word = 0; word < 4; word += 1) {
      const value = hexWord(id, start + 8 * word);
      if (value === undefined) return false;
      this.scratch[word] = value;
    }
    this.parsedId = id;
    return true;
  }

  /**
   * A block with room for a row of `signal`'s: the one last appended to, the series' open one, or a new one (also
   * when the open one recomputes its rows' values with another source than the row's).
   * @param source what recomputes the row's values, `undefined` when they are copied in
   */
  private blockFor(signal: SignalFields, featureSetVersion: string, width: number, rowsHint: number, source: FeatureValuesSource | undefined): Block {
    const { pipelineId, productId, granularity, modelId, modelVersion } = signal;
    let block = this.current;
    if (block === undefined || !block.fits(pipelineId, productId, granularity, modelId, modelVersion, featureSetVersion, width, source) || block.length === block.capacity) {
      const key = blockKey(pipelineId, productId, granularity, modelId, modelVersion, featureSetVersion, String(width));
      block = this.openBlocks.get(key);
      if (block === undefined || block.length === block.capacity || (source !== undefined && block.source !== undefined && block.source !== source)) {
        // Sized for the rest of the write, but never past MAX_BLOCK_VALUES feature values: a write of several
        // interleaved series would size each series' block for the whole write, and a plain array past 2^25
        // elements starts as a slow dictionary array.
        // At least twice the full block it follows: a replay writing a series a chunk at a time makes a few blocks, not
        // one per write (each with eight typed arrays to allocate).
        const grown = block !== undefined && block.length === block.capacity ? Math.min(2 * block.capacity, MAX_GROWN_BLOCK_ROWS) : 0;
        const rows = Math.min(Math.max(MIN_BLOCK_ROWS, rowsHint, grown), Math.max(MIN_BLOCK_ROWS, Math.floor(MAX_BLOCK_VALUES / Math.max(1, width))));
        block = new Block(this.blocks.length, pipelineId, productId, granularity, modelId, modelVersion, featureSetVersion, width, rows);
        this.blocks.push(block);
        this.openBlocks.set(key, block);
      }
      this.current = block;
    }
    if (block.writeNumber !== this.writeNumber) {
      block.writeNumber = this.writeNumber;
      if (this.mark !== undefined && !this.mark.lengths.has(block)) this.mark.lengths.set(block, block.length);
    }
    return block;
  }

  /** Grows the per-handle arrays for `handles` handles (the ids' words and the table grow as ids are hashed: {@link reserveHashed}). */
  private reserve(handles: number): void {
    if (handles > this.handleBlock.length) {
      let capacity = 2 * this.handleBlock.length;
      while (handles > capacity) capacity *= 2;
      const handleBlock = new Int32Array(capacity);
      handleBlock.set(this.handleBlock);
      this.handleBlock = handleBlock;
      const handleRow = new Int32Array(capacity);
      handleRow.set(this.handleRow);
      this.handleRow = handleRow;
      const hashed = new Uint8Array(capacity);
      hashed.set(this.hashed);
      this.hashed = hashed;
    }
  }

  /**
   * Grows the ids' words for `handles` handles and the table (kept at most half full) for `entries` hashed ids: a
   * replay's rows kept unhashed take neither (32 bytes a signal, 34 MB of a replayed year, most replays never use).
   */
  private reserveHashed(handles: number, entries: number): void {
    if (4 * handles > this.words.length) {
      let capacity = this.words.length / 2;
      while (4 * handles > capacity) capacity *= 2;
      const words = new Uint32Array(capacity);
      words.set(this.words);
      this.words = words;
    }
    if (4 * entries > this.table.length) {
      const old = this.table;
      let length = 2 * old.length;
      while (4 * entries > length) length *= 2;
      const table = new Int32Array(length);
      const mask = (length >>> 1) - 1;
      // The signals held before the write in progress in the old table's slot order: their new slots follow almost
      // in order (one pass over memory, not a cache miss per signal). Then the write's own in handle order, after all
      // the others: the reverse-order rollback stays exact.
      const firstOfWrite = this.mark?.count ?? this.count;
      for (let slot = 0; slot < old.length; slot += 2) {
        const entry = old[slot]!;
        if (entry !== 0 && entry - 1 < firstOfWrite) insertEntry(table, mask, entry, old[slot + 1]!);
      }
      for (let handle = firstOfWrite; handle < this.count; handle += 1) if (this.hashed[handle] !== 0) insertEntry(table, mask, handle + 1, this.words[4 * handle]! | 0);
      this.table = table;
      this.freeSlot = -1;
    }
  }
}

/** Puts `entry` (handle + 1) of an id whose first word is `first` into the first empty slot of its probe in `table` (kept at most half full). */
function insertEntry(table: Int32Array, mask: number, entry: number, first: number): void {
  let slot = first & mask;
  while (table[2 * slot] !== 0) slot = (slot + 1) & mask;
  table[2 * slot] = entry;
  table[2 * slot + 1] = first;
}

/**
 * Copies feature values into `target` from `offset`; false (the row left to be overwritten) if one is not a number:
 * such a record is not of the shape the columns keep.
 */
function copyValues(values: readonly number[], target: number[], offset: number): boolean {
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index];
    if (typeof value !== 'number') return false;
    target[offset + index] = value;
  }
  return true;
}

/** The key of the open block for signals sharing these fields. */
function blockKey(...shared: readonly string[]): string {
  return shared.join('\u0000');
}
