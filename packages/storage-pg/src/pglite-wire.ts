import { MemoryFS, protocol, type PGlite } from '@electric-sql/pglite';
import { decodeExchange, type DecodedExchange, type ResultField } from './pglite-decode.js';
import type { PgliteSession } from './pglite-session.js';
import type { SqlRow, WorkArrivals } from './sql-driver.js';

const { serialize } = protocol;

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const keepText = (value: string): string => value;

// PGlite returns int8 as number (BigInt past 2^53) by default; keep int8 and numeric as text, as with pg.
const KEEP_TEXT_PARSERS = { [INT8_OID]: keepText, [NUMERIC_OID]: keepText };

type Parsers = PGlite['parsers'];

/** Per instance: its parsers, with int8 and numeric kept as text. */
const PARSERS = new WeakMap<PGlite, Parsers>();

/**
 * The parsers to read a result with: int8 and numeric as text, every other type by the instance's own table,
 * looked up through the prototype (so types the instance adds later, e.g. array types, are seen). PGlite's
 * `parseResults` given parsers of its own copies the whole table (over 300 entries keyed by type OID) on every
 * call, about a quarter of a millisecond per statement; this is built once per instance.
 * @internal
 */
export function parsersOf(database: PGlite): Parsers {
  let parsers = PARSERS.get(database);
  if (parsers === undefined) {
    parsers = Object.assign(Object.create(database.parsers) as Parsers, KEEP_TEXT_PARSERS);
    PARSERS.set(database, parsers);
  }
  return parsers;
}

/** A prepared statement of the session: its name and, once it ran, its result columns (it then runs without Describe). */
interface PreparedStatement {
  readonly name: string;
  readonly fields: readonly ResultField[];
}

/** Prepared statements per PGlite instance (one session, shared by every driver on it): SQL text → statement. */
const PREPARED = new WeakMap<PGlite, Map<string, PreparedStatement>>();

/** Past this many, further statements run unnamed (parsed each time) rather than grow the session's cache. */
const MAX_PREPARED = 1_000;

/**
 * A parameter as PostgreSQL's text format, as `pg` sends it (the server infers the types from the SQL); bytes
 * (a Buffer, as `pg` takes for binary parameters) stay bytes, sent in binary format.
 */
function wireParam(value: unknown): string | null | Uint8Array {
  if (value instanceof Uint8Array) return value;
  return textParam(value);
}

function textParam(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return arrayLiteral(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

function arrayLiteral(values: readonly unknown[]): string {
  const elements = values.map((element) => {
    if (Array.isArray(element)) return arrayLiteral(element);
    const text = textParam(element);
    return text === null ? 'NULL' : `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  });
  return `{${elements.join(',')}}`;
}

/** A parameter as sent: text, NULL, or bytes in PostgreSQL's binary format (e.g. a `bytea`). */
type WireParam = string | null | Uint8Array;

/**
 * A Bind message (text results) for a prepared statement, written into one buffer sized up front; bytes
 * parameters go in binary format, the others as text. PGlite's own serializer counts each string's UTF-8
 * length in a JavaScript loop and grows and copies its buffer as it goes: about 30 ms per megabyte of
 * parameters, most of a bulk write's parameter cost (the JSON records of 20,000 signals are 30 MB); this is
 * about a tenth of that.
 * @internal
 */
export function bindMessage(statement: string, values: readonly WireParam[]): Uint8Array {
  const sizes = values.map((value) => (value === null ? -1 : typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength));
  const binary = values.some((value) => value instanceof Uint8Array);
  // length, portal "", statement, format codes (none: all text), count, the values, no result format codes (all text)
  let length = 4 + 1 + Buffer.byteLength(statement) + 1 + 2 + (binary ? 2 * values.length : 0) + 2 + 2;
  for (const size of sizes) length += 4 + Math.max(0, size);
  const message = Buffer.allocUnsafe(1 + length);
  let offset = message.writeUInt8(0x42, 0);
  offset = message.writeInt32BE(length, offset);
  offset = message.writeUInt8(0, offset);
  offset += message.write(statement, offset);
  offset = message.writeUInt8(0, offset);
  offset = message.writeUInt16BE(binary ? values.length : 0, offset);
  if (binary) for (const value of values) offset = message.writeInt16BE(value instanceof Uint8Array ? 1 : 0, offset);
  offset = message.writeUInt16BE(values.length, offset);
  values.forEach((value, index) => {
    offset = message.writeInt32BE(sizes[index]!, offset);
    if (typeof value === 'string') offset += message.write(value, offset);
    else if (value !== null) {
      message.set(value, offset);
      offset += value.byteLength;
    }
  });
  message.writeInt16BE(0, offset);
  return message;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const message = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    message.set(part, offset);
    offset += part.length;
  }
  return message;
}

/** Bytes of the request and answer buffers each instance keeps (a larger request or answer gets a buffer of its own). */
const SCRATCH_BYTES = 64 * 1024;

/**
 * An instance's wire buffers, reused by every exchange with it: requests are written into `request` (PGlite reads
 * a request while the exchange runs, synchronously inside `execProtocolRawSync`, and keeps no reference to it),
 * answers copied into `answer` (the bytes PGlite hands over are a view of the WebAssembly memory, valid only
 * during the callback) and read once the exchange resolved. The instance's exchanges run one at a time, each
 * inside a unit of its session (see {@link PgliteSession}), so no two use the buffers at once; buffers per
 * instance, since exchanges with different instances may interleave while one awaits.
 */
interface WireBuffers {
  readonly request: Buffer;
  readonly answerScratch: Buffer;
  /** The answer of the exchange running now: `answerScratch`, or a larger buffer of its own. */
  answer: Buffer;
  answerLength: number;
  /** Copies a chunk of the answer (PGlite's `onRawData`). */
  readonly collect: (bytes: Uint8Array) => void;
  /** The options of `execProtocolRawStream`, with and without `syncToFs`: made once, not per exchange. */
  readonly streamOptions: { readonly syncToFs: false; readonly onRawData: (bytes: Uint8Array) => void };
  readonly syncingStreamOptions: { readonly syncToFs: true; readonly onRawData: (bytes: Uint8Array) => void };
  /** The writer of requests into `request` (one, reused). */
  readonly writer: RequestWriter;
  /** The answer of {@link statementRequest} for a request `writer` wrote (one, reused: valid until the next request). */
  readonly written: { request: Uint8Array; knownFields: readonly ResultField[] | undefined; readonly prepared?: undefined };
}

const BUFFERS = new WeakMap<PGlite, WireBuffers>();

function buffersOf(database: PGlite): WireBuffers {
  let buffers = BUFFERS.get(database);
  if (buffers === undefined) {
    const answerScratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
    const request = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
    const collect = (bytes: Uint8Array): void => {
      const needed = created.answerLength + bytes.length;
      if (needed > created.answer.length) {
        const larger = Buffer.allocUnsafe(Math.max(needed, 2 * created.answer.length));
        created.answer.copy(larger, 0, 0, created.answerLength);
        created.answer = larger;
      }
      created.answer.set(bytes, created.answerLength);
      created.answerLength = needed;
    };
    const created: WireBuffers = {
      request,
      answerScratch,
      answer: answerScratch,
      answerLength: 0,
      collect,
      streamOptions: { syncToFs: false, onRawData: collect },
      syncingStreamOptions: { syncToFs: true, onRawData: collect },
      writer: new RequestWriter(request),
      written: { request, knownFields: undefined },
    };
    buffers = created;
    BUFFERS.set(database, buffers);
  }
  return buffers;
}

/** Writes a request into an instance's request buffer (see {@link WireBuffers}); each step says whether it fitted. */
class RequestWriter {
  offset = 0;
  constructor(readonly bytes: Buffer) {}
  /** Room for `size` more bytes. */
  fits(size: number): boolean {
    return this.offset + size <= this.bytes.length;
  }
  byte(value: number): void {
    this.bytes[this.offset] = value;
    this.offset += 1;
  }
  int16(value: number): void {
    this.offset = this.bytes.writeInt16BE(value, this.offset);
  }
  int32(value: number): void {
    this.offset = this.bytes.writeInt32BE(value, this.offset);
  }
  /**
   * A parameter's length and text for a safe integer: its decimal digits as `String(value)` gives them (`-` for a
   * negative, `0` for -0); at most 4 + 17 bytes, which the caller checked fit.
   */
  integerParam(value: number): void {
    const negative = value < 0;
    const rest = negative ? -value : value;
    let digits = 1;
    for (let bound = 10; rest >= bound; bound *= 10) digits += 1;
    const size = digits + (negative ? 1 : 0);
    this.int32(size);
    if (negative) this.byte(0x2d); // -
    // From the last digit back: two halves below 2^31 (a safe integer is below 10^16), integer division on small integers.
    let low = rest % 1e8;
    const high = (rest - low) / 1e8;
    const end = this.offset + digits;
    for (let at = end - 1; at >= this.offset; at -= 1) {
      if (at === end - 9) low = high;
      const quotient = (low / 10) | 0;
      this.bytes[at] = 0x30 + low - 10 * quotient;
      low = quotient;
    }
    this.offset = end;
  }
  /** A NUL-terminated string; false if it may not fit (UTF-8 takes at most 3 bytes per UTF-16 unit). */
  cstring(value: string): boolean {
    if (!this.fits(3 * value.length + 1)) return false;
    this.offset += this.bytes.write(value, this.offset);
    this.byte(0);
    return true;
  }
  /** A message's length field, written once the message is: its code at `start`. */
  endMessage(start: number): void {
    this.bytes.writeInt32BE(this.offset - start - 1, start + 1);
  }
}

/** A simple-protocol Query message (`prefix`, e.g. `BEGIN`). */
function writeQuery(writer: RequestWriter, text: string): boolean {
  const start = writer.offset;
  if (!writer.fits(5)) return false;
  writer.byte(0x51); // Q
  writer.int32(0);
  if (!writer.cstring(text)) return false;
  writer.endMessage(start);
  return true;
}

/**
 * A Bind message (text results) for prepared statement `name`: parameters as {@link wireParam} gives them,
 * bytes in binary format, the rest as text; false if it does not fit.
 */
function writeBind(writer: RequestWriter, name: string, params: readonly unknown[]): boolean {
  const start = writer.offset;
  if (!writer.fits(5)) return false;
  writer.byte(0x42); // B
  writer.int32(0);
  writer.byte(0); // portal ""
  if (!writer.cstring(name)) return false;
  // Indexed loops: a hot path, where for…of allocated an iterator result per parameter before V8 optimised it.
  let binary = false;
  for (let index = 0; index < params.length; index += 1) if (params[index] instanceof Uint8Array) binary = true;
  if (!writer.fits(4 + 2 * params.length + 2)) return false;
  writer.int16(binary ? params.length : 0);
  if (binary) for (let index = 0; index < params.length; index += 1) writer.int16(params[index] instanceof Uint8Array ? 1 : 0);
  writer.int16(params.length);
  for (let index = 0; index < params.length; index += 1) {
    const param = params[index];
    // An integer as its decimal digits, as `String` writes it, without the string (most parameters are integers).
    if (typeof param === 'number' && Number.isSafeInteger(param)) {
      if (!writer.fits(4 + 17)) return false;
      writer.integerParam(param);
      continue;
    }
    const value = wireParam(param);
    if (value === null) {
      if (!writer.fits(4)) return false;
      writer.int32(-1);
    } else if (typeof value === 'string') {
      if (!writer.fits(4 + 3 * value.length)) return false;
      const at = writer.offset;
      writer.offset += 4;
      const size = writer.bytes.write(value, writer.offset);
      writer.bytes.writeInt32BE(size, at);
      writer.offset += size;
    } else {
      if (!writer.fits(4 + value.byteLength)) return false;
      writer.int32(value.byteLength);
      writer.bytes.set(value, writer.offset);
      writer.offset += value.byteLength;
    }
  }
  if (!writer.fits(2)) return false;
  writer.int16(0); // no result format codes: all text
  writer.endMessage(start);
  return true;
}

/** Execute of the unnamed portal (all rows), then Sync. */
const EXECUTE_SYNC = Buffer.concat([serialize.execute(), serialize.sync()]);

const COMMIT_QUERY = serialize.query('COMMIT');

/** {@link EXECUTE_SYNC}, then a simple-protocol COMMIT. */
const EXECUTE_SYNC_COMMIT = Buffer.concat([EXECUTE_SYNC, COMMIT_QUERY]);

/** What {@link statementRequest} answers: the request, the columns to read its rows with, the name to remember once it succeeded. */
interface StatementRequest {
  readonly request: Uint8Array;
  readonly knownFields?: readonly ResultField[];
  readonly prepared?: string;
}

/**
 * The request of one parameterised statement, in one buffer: the optional simple-protocol `prefix`, then
 * Bind/Execute of its named prepared statement, preceded on first use by Close (a no-op unless an earlier
 * exchange failed after preparing it) and Parse, with Describe on first use only (later runs read their rows
 * with the columns the first one described: a statement whose result columns would change is refused by the
 * server, `cached plan must not change result type`), then Sync, then with `commit` a simple-protocol COMMIT.
 * Written into the instance's request buffer when it fits (a view of it, answered in an object the instance reuses: both
 * valid until its next request), otherwise built apart.
 * @returns the request, the columns to read the rows with, and the name to remember once the exchange succeeded
 */
function statementRequest(database: PGlite, text: string, params: readonly unknown[], prefix: Prefix, commit: boolean): StatementRequest {
  let statements = PREPARED.get(database);
  if (statements === undefined) {
    statements = new Map();
    PREPARED.set(database, statements);
  }
  const known = statements.get(text);
  if (known !== undefined) {
    // The instance's writer and answer object, reused: the exchange reads them before the next request is written.
    const buffers = buffersOf(database);
    const writer = buffers.writer;
    writer.offset = 0;
    const tail = commit ? EXECUTE_SYNC_COMMIT : EXECUTE_SYNC;
    if ((prefix === undefined || writeQuery(writer, prefix)) && writeBind(writer, known.name, params) && writer.fits(tail.length)) {
      writer.bytes.set(tail, writer.offset);
      const written = buffers.written;
      written.request = writer.bytes.subarray(0, writer.offset + tail.length);
      written.knownFields = known.fields;
      return written;
    }
  }
  const bind = (statement: string): Uint8Array => bindMessage(statement, params.map(wireParam));
  const head = prefix === undefined ? [] : [serialize.query(prefix)];
  const tail = commit ? [EXECUTE_SYNC, COMMIT_QUERY] : [EXECUTE_SYNC];
  if (known !== undefined) return { request: concat([...head, bind(known.name), ...tail]), knownFields: known.fields };
  if (statements.size >= MAX_PREPARED) return { request: concat([...head, serialize.parse({ text }), bind(''), DESCRIBE_PORTAL, ...tail]) };
  const name = `tradepipe_${statements.size + 1}`;
  return {
    request: concat([...head, serialize.close({ type: 'S', name }), serialize.parse({ name, text }), bind(name), DESCRIBE_PORTAL, ...tail]),
    prepared: name,
  };
}

const DESCRIBE_PORTAL = serialize.describe({ type: 'P' });

/** Listeners of the instance's notifications, by channel as PostgreSQL spells it, fed by this driver's exchanges. */
type NotificationListener = (payload: string, arrivals?: WorkArrivals) => void;
const LISTENERS = new WeakMap<PGlite, Map<string, Set<NotificationListener>>>();

/** A channel name as PostgreSQL spells it in a notification (PGlite's own rule: quoted kept, otherwise lower case). */
function postgresName(channel: string): string {
  return channel.startsWith('"') && channel.endsWith('"') ? channel.slice(1, -1) : channel.toLowerCase();
}

/**
 * Hands `listener` the notifications on `channel` that this module's exchanges with `database` deliver (they
 * bypass PGlite's own dispatch, which sees only the exchanges PGlite parses itself); the caller still runs
 * `LISTEN` (PGlite's `listen`). Listeners run as microtasks, as PGlite runs its own: after the exchange, before
 * its caller resumes.
 * @returns a function that removes the listener
 * @internal
 */
export function addNotificationListener(database: PGlite, channel: string, listener: NotificationListener): () => void {
  let channels = LISTENERS.get(database);
  if (channels === undefined) {
    channels = new Map();
    LISTENERS.set(database, channels);
  }
  const name = postgresName(channel);
  const listeners = channels.get(name) ?? new Set();
  channels.set(name, listeners);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && channels.get(name) === listeners) channels.delete(name);
  };
}

/** The instance's file system's `syncToFs`, when it does something (not the in-memory or Node file system's no-op). */
const SYNCS = new WeakMap<PGlite, boolean>();

/**
 * Whether exchanges must be followed by PGlite's `syncToFs`: false when the instance's file system keeps it a
 * no-op (in memory, and a Node directory: Emscripten's built-in file systems write through), true otherwise
 * (e.g. IndexedDB, OPFS in a browser). PGlite's `syncToFs` takes a lock and allocates even when it does nothing.
 */
function needsSync(database: PGlite): boolean {
  let needed = SYNCS.get(database);
  if (needed === undefined) {
    const syncToFs = (database.fs as { syncToFs?: unknown } | undefined)?.syncToFs;
    needed = syncToFs === undefined || syncToFs !== BUILTIN_SYNC_TO_FS;
    SYNCS.set(database, needed);
  }
  return needed;
}

/** The no-op `syncToFs` of Emscripten's built-in file systems (PGlite's `MemoryFS` and `NodeFS` inherit it). */
const BUILTIN_SYNC_TO_FS: unknown = (MemoryFS.prototype as { syncToFs?: unknown }).syncToFs;

/**
 * The options to hand PGlite's `execProtocolRawStream` for an exchange with the instance (see {@link WireBuffers});
 * readies the instance's answer buffer for it. The caller runs in a unit of the instance's session, so no other
 * exchange uses the instance's buffers until this one's answer is read ({@link readAnswer}).
 */
function startExchange(database: PGlite, syncToFs: boolean): WireBuffers['streamOptions'] | WireBuffers['syncingStreamOptions'] {
  const buffers = buffersOf(database);
  buffers.answer = buffers.answerScratch;
  buffers.answerLength = 0;
  return syncToFs && needsSync(database) ? buffers.syncingStreamOptions : buffers.streamOptions;
}

/**
 * Reads the answer of the instance's exchange that just ended in one pass ({@link decodeExchange}); delivers its
 * notifications to the instance's listeners and throws its first error, as PGlite's `execProtocolStream` does.
 * @param endsTransaction the exchange ended with a COMMIT of its own (see {@link decodeExchange})
 * @param arrivals handed to the listeners with each notification the exchange delivers
 */
function readAnswer(
  database: PGlite,
  knownFields: readonly ResultField[] | undefined,
  endsTransaction: boolean,
  arrivals: WorkArrivals | undefined,
): DecodedExchange {
  const buffers = buffersOf(database);
  const decoded = decodeExchange(buffers.answer, parsersOf(database), knownFields, endsTransaction, buffers.answerLength);
  if (decoded.notifications.length > 0) {
    const channels = LISTENERS.get(database);
    for (const { channel, payload } of decoded.notifications) {
      for (const listener of channels?.get(channel) ?? []) queueMicrotask(() => listener(payload, arrivals));
    }
  }
  if (decoded.error !== undefined) throw decoded.error;
  return decoded;
}

/** Drops a larger answer's buffer once its exchange ended (it is not kept). */
function endExchange(database: PGlite): void {
  const buffers = buffersOf(database);
  buffers.answer = buffers.answerScratch;
}

/** A simple-protocol statement run ahead of the next exchange's own (e.g. `BEGIN`). */
export type Prefix = string | undefined;

/**
 * Runs one statement in a single exchange with the WebAssembly backend (PGlite's own `query` makes six):
 * the optional `prefix` (simple protocol, e.g. `BEGIN`), then the statement through a named prepared
 * statement, then Sync, then with `commit` a simple-protocol COMMIT (after a failed statement it rolls the
 * transaction back). The caller has the instance's session. `arrivals` goes to the listeners of the
 * notifications the exchange delivers (see {@link addNotificationListener}). One async function with one
 * await: every layer of them allocated its promise, frame and reactions per statement (the live path's
 * allocation sets how often the young generation is collected, and so its p99).
 * @returns the exchange as read: the statement's rows (`rows`, int8 and numeric as text) and the exchange's last
 *   command tag (`command`: `COMMIT`, or `ROLLBACK` when a commit found the transaction aborted)
 * @throws the backend's error (a `DatabaseError` with its SQLSTATE `code`)
 * @internal
 */
export async function runStatementResult(
  database: PGlite,
  text: string,
  params: readonly unknown[],
  prefix: Prefix,
  syncToFs: boolean,
  arrivals: WorkArrivals | undefined,
  commit: boolean,
): Promise<DecodedExchange> {
  const statement = statementRequest(database, text, params, prefix, commit);
  let decoded: DecodedExchange;
  try {
    await database.execProtocolRawStream(statement.request, startExchange(database, syncToFs));
    decoded = readAnswer(database, statement.knownFields, commit, arrivals);
  } finally {
    endExchange(database);
  }
  if (statement.prepared !== undefined) PREPARED.get(database)?.set(text, { name: statement.prepared, fields: decoded.fields ?? [] });
  return decoded;
}

/** {@link runStatementResult}'s rows. @internal */
export async function runStatement<Row extends SqlRow>(
  database: PGlite,
  text: string,
  params: readonly unknown[],
  prefix: Prefix,
  syncToFs: boolean,
  arrivals?: WorkArrivals,
): Promise<Row[]> {
  return (await runStatementResult(database, text, params, prefix, syncToFs, arrivals, false)).rows as Row[];
}

/**
 * The transaction-ending scripts, serialized once: every transaction on the live path ends with one of them in an
 * exchange of its own unless its last statement carried it, and PGlite's serializer allocated and grew a writer
 * for each (about 1 % of the live path's CPU time for two COMMITs per trading candle).
 */
const SCRIPT_MESSAGES: ReadonlyMap<string, Uint8Array> = new Map(['COMMIT', 'ROLLBACK'].map((script) => [script, serialize.query(script)]));

/**
 * Runs a script through the simple protocol in one exchange (several statements, no parameters).
 * @returns the command tag of the last statement (e.g. `COMMIT`, or `ROLLBACK` when a commit rolled back)
 * @internal
 */
export async function runScript(database: PGlite, script: string, options: { readonly prefix?: Prefix; readonly syncToFs: boolean }): Promise<string | undefined> {
  return (await runScriptResult(database, script, options))?.command;
}

/** {@link runScript}, answering the last statement's command tag and the rows the script affected (PGlite counts over the whole script: a COPY run alone, after at most BEGIN, gives its own rows). @internal */
export async function runScriptResult(
  database: PGlite,
  script: string,
  options: { readonly prefix?: Prefix; readonly syncToFs: boolean },
): Promise<{ readonly command: string | undefined; readonly affectedRows: number } | undefined> {
  const message = SCRIPT_MESSAGES.get(script) ?? serialize.query(script);
  const request = options.prefix === undefined ? message : concat([serialize.query(options.prefix), message]);
  let decoded: DecodedExchange;
  try {
    await database.execProtocolRawStream(request, startExchange(database, options.syncToFs));
    decoded = readAnswer(database, undefined, false, undefined);
  } finally {
    endExchange(database);
  }
  return { command: decoded.command, affectedRows: decoded.affectedRows };
}
