import { TradepipeError, canonicalJson, type Signal } from '@tradepipe/core';
import * as crypto from 'node:crypto';
import { SignalCopyData } from './bulk-signal-copy.js';
import { signalJson } from './signal-json.js';

/** Rows per statement: large enough that a statement's cost is the rows', small enough for modest parameters. @internal */
export const CHUNK_ROWS = 20_000;

/** An entry of a bulk write: a record with the work state (and reason) it enters in. @internal */
export interface BulkEntry<R> {
  /** The record as given (parsed when its chunk is prepared). */
  readonly record: R;
  /** The work state it enters in. */
  readonly state: string;
  /** Why it is in that state, if said. */
  readonly reason?: string;
}

/** How a kind's entries are parsed and prepared. @internal */
export interface BulkKind<R> {
  /** The record type, as a conflict names it. */
  readonly type: 'signal' | 'recommendation';
  /** Parses a record with its schema (throws `validation_failed`). */
  readonly parse: (record: R) => R;
  /** Signals where the driver has COPY: each chunk's rows go into COPY data with this time (the write's now). */
  readonly copyAtMs?: number;
}

/** A parsed record ready for its table. @internal */
export interface BulkRow<R> {
  /** The parsed record. */
  readonly record: R & { readonly id: string };
  /** What is sent as the record: its canonical JSON (hashed for `hash`), or for a signal that less the feature values. */
  readonly json: string;
  /** The content hash: what core's `contentHash` gives for the record. */
  readonly hash: string;
  /** A signal's feature values, sent apart from its record. */
  readonly featureValues?: readonly number[];
  /** The work state it enters in. */
  readonly state: string;
  /** The state's reason, or null. */
  readonly reason: string | null;
}

/** A chunk ready to write: its entries (first occurrences), and either their rows or (signals on COPY) their COPY data. @internal */
export interface BulkChunk<R> {
  /** The chunk's entries, first occurrences only, as given. */
  readonly entries: readonly BulkEntry<R>[];
  /** The prepared rows (no COPY data). */
  readonly rows?: readonly BulkRow<R>[];
  /** Signals on COPY: the chunk as binary COPY data (rows are prepared again from `entries` only if the COPY meets a stored id). */
  readonly copyData?: Uint8Array;
}

/** What core's `contentHash` computes, from the canonical JSON already made: Node's one-shot `crypto.hash` where it exists (≥ 20.12). */
const sha256Hex: (json: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (json) => (crypto as unknown as { hash(algorithm: string, data: string, encoding: 'hex'): string }).hash('sha256', json, 'hex')
    : (json) => crypto.createHash('sha256').update(json).digest('hex');

/** The refusal of a record stored, or repeated in the batch, with other content. @internal */
export function conflict(type: string, id: string): TradepipeError {
  return new TradepipeError('record_conflict', 'A record with this id exists with other content; the first write stands', { details: { type, id } });
}

/** An entry's row from its parsed record. */
function rowOf<R extends { readonly id: string }>(type: BulkKind<R>['type'], record: R, entry: BulkEntry<R>): BulkRow<R> {
  if (type === 'signal') {
    const signal = record as unknown as Signal;
    const json = signalJson(signal);
    return { record, json: json.withoutValues, hash: sha256Hex(json.canonical), featureValues: signal.features.values, state: entry.state, reason: entry.reason ?? null };
  }
  const json = canonicalJson(record);
  return { record, json, hash: sha256Hex(json), state: entry.state, reason: entry.reason ?? null };
}

/** One entry, parsed and hashed. @throws TradepipeError `validation_failed` @internal */
export function prepareRow<R extends { readonly id: string }>(kind: BulkKind<R>, entry: BulkEntry<R>): BulkRow<R> {
  return rowOf(kind.type, kind.parse(entry.record), entry);
}

/** A chunk being filled. */
interface OpenChunk<R> {
  readonly entries: BulkEntry<R>[];
  readonly rows: BulkRow<R>[];
  readonly copy?: SignalCopyData;
}

function openChunk<R>(kind: BulkKind<R>, expectedRows: number): OpenChunk<R> {
  return { entries: [], rows: [], ...(kind.copyAtMs === undefined ? {} : { copy: new SignalCopyData(kind.copyAtMs, Math.min(CHUNK_ROWS, expectedRows)) }) };
}

function closeChunk<R>(chunk: OpenChunk<R>): BulkChunk<R> {
  return chunk.copy === undefined ? { entries: chunk.entries, rows: chunk.rows } : { entries: chunk.entries, copyData: chunk.copy.finish() };
}

/**
 * Adds an entry to the chunk unless its id was taken before (the same content hash: dropped; another: a conflict).
 * Signals on COPY go straight into the chunk's COPY data: nothing of the row but its bytes and hash outlives this.
 */
function addEntry<R extends { readonly id: string }>(kind: BulkKind<R>, chunk: OpenChunk<R>, hashes: Map<string, string>, entry: BulkEntry<R>): void {
  const record = kind.parse(entry.record);
  let row: BulkRow<R> | undefined;
  let copied: { readonly recordJson: string; readonly hash: string } | undefined;
  if (chunk.copy === undefined) row = rowOf(kind.type, record, entry);
  else {
    const json = signalJson(record as unknown as Signal);
    copied = { recordJson: json.withoutValues, hash: sha256Hex(json.canonical) };
  }
  const hash = row?.hash ?? copied!.hash;
  const first = hashes.get(record.id);
  if (first !== undefined) {
    if (first !== hash) throw conflict(kind.type, record.id);
    return;
  }
  hashes.set(record.id, hash);
  chunk.entries.push(entry);
  if (row !== undefined) chunk.rows.push(row);
  else chunk.copy!.add(record as unknown as Signal, copied!.recordJson, hash, entry.state, entry.reason ?? null);
}

/**
 * A batch's entries of one kind, parsed and hashed one chunk at a time ({@link CHUNK_ROWS} first occurrences per
 * chunk), so that a large batch is never held prepared all at once (a year of minutes in one call held 525,600
 * signals' JSON and hashes, and garbage collection grew with it). A repeated id with the content hash of its
 * first occurrence, in this chunk or an earlier one, is dropped; with another hash it is a conflict.
 * @throws TradepipeError `validation_failed` (an invalid record), `record_conflict` (a repeat with other content), from the chunk holding it
 */
function* preparedChunks<R extends { readonly id: string }>(kind: BulkKind<R>, entries: readonly BulkEntry<R>[]): Generator<BulkChunk<R>, void, undefined> {
  const hashes = new Map<string, string>();
  let chunk = openChunk(kind, entries.length);
  for (let index = 0; index < entries.length; index += 1) {
    addEntry(kind, chunk, hashes, entries[index]!);
    if (chunk.entries.length === CHUNK_ROWS) {
      yield closeChunk(chunk);
      chunk = openChunk(kind, entries.length - index - 1);
    }
  }
  if (chunk.entries.length > 0) yield closeChunk(chunk);
}

/** A batch's chunks of one kind: the first prepared now (before any SQL), the rest as they are taken. @internal */
export interface ChunkedRows<R> {
  /** The first chunk, or undefined when there is nothing to write. */
  readonly first: BulkChunk<R> | undefined;
  /** The chunks after the first, each prepared when taken. */
  readonly rest: Iterator<BulkChunk<R>, void, undefined>;
}

/** The chunks of a batch's entries of one kind (see {@link ChunkedRows}). @throws TradepipeError `validation_failed`, `record_conflict` (from the first chunk) @internal */
export function chunkedRows<R extends { readonly id: string }>(kind: BulkKind<R>, entries: readonly BulkEntry<R>[]): ChunkedRows<R> {
  const rest = preparedChunks(kind, entries);
  const first = rest.next();
  return { first: first.done === true ? undefined : first.value, rest };
}
