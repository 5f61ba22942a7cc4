import { messages, types, type PGlite } from '@electric-sql/pglite';
import type { SqlRow } from './sql-driver.js';

/** A result column as a RowDescription gives it: its name and type OID. @internal */
export interface ResultField {
  readonly name: string;
  readonly dataTypeID: number;
}

/** A notification the exchange delivered (LISTEN/NOTIFY). @internal */
export interface ExchangeNotification {
  readonly channel: string;
  readonly payload: string;
}

/**
 * What one exchange with the backend answered, read as PGlite's `parse.parseResults` reads its messages: the
 * last completed statement's rows and command tag, and the rows changed over the whole exchange.
 * @internal
 */
export interface DecodedExchange {
  /** The rows of the last statement that completed (CommandComplete); `[]` if none did. */
  readonly rows: SqlRow[];
  /** The last command tag's first word (`SELECT`, `COMMIT`, `ROLLBACK`, …); `undefined` if none completed. */
  readonly command: string | undefined;
  /** Rows inserted, updated, deleted, copied or merged over the whole exchange. */
  readonly affectedRows: number;
  /** The columns of the first RowDescription of the exchange, if it had one. */
  readonly fields: readonly ResultField[] | undefined;
  /** The first error; nothing after it is read (as PGlite does). */
  readonly error: messages.DatabaseError | undefined;
  /** The notifications delivered before any error, in order. */
  readonly notifications: readonly ExchangeNotification[];
}

const DATA_ROW = 0x44; // D
const ROW_DESCRIPTION = 0x54; // T
const COMMAND_COMPLETE = 0x43; // C
const ERROR_RESPONSE = 0x45; // E
const NOTIFICATION_RESPONSE = 0x41; // A
const AFFECTING_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'COPY', 'MERGE']);
const NO_NOTIFICATIONS: readonly ExchangeNotification[] = Object.freeze([]);

/** The NUL-terminated UTF-8 string at `offset`. */
function cstringAt(bytes: Buffer, offset: number): string {
  return bytes.toString('utf8', offset, bytes.indexOf(0, offset));
}

function rowDescription(bytes: Buffer, start: number): ResultField[] {
  const count = bytes.readInt16BE(start);
  const fields: ResultField[] = new Array<ResultField>(count);
  let offset = start + 2;
  for (let index = 0; index < count; index += 1) {
    const end = bytes.indexOf(0, offset);
    // table OID (4), column number (2), then the type OID (4), size (2), modifier (4), format (2)
    fields[index] = { name: bytes.toString('utf8', offset, end), dataTypeID: bytes.readInt32BE(end + 7) };
    offset = end + 19;
  }
  return fields;
}

function dataRow(bytes: Buffer, start: number, fields: readonly ResultField[], parsers: PGlite['parsers']): SqlRow {
  const count = bytes.readInt16BE(start);
  const row: Record<string, unknown> = {};
  let offset = start + 2;
  for (let index = 0; index < count; index += 1) {
    const length = bytes.readInt32BE(offset);
    offset += 4;
    const field = fields[index]!;
    let value: unknown = null;
    if (length !== -1) {
      const text = bytes.toString('utf8', offset, offset + length);
      const parser = parsers[field.dataTypeID];
      value = parser === undefined ? types.parseType(text, field.dataTypeID, parsers) : parser(text, field.dataTypeID); // as `parseType` reads it
      offset += length;
    }
    // As Object.fromEntries: a column named `__proto__` is an own property, not the prototype.
    if (field.name === '__proto__') Object.defineProperty(row, field.name, { value, enumerable: true, writable: true, configurable: true });
    else row[field.name] = value;
  }
  return row;
}

// An ErrorResponse as PGlite's protocol parser builds it: the same class, message, length and fields.
function errorResponse(bytes: Buffer, start: number, length: number): messages.DatabaseError {
  const fields: Record<string, string> = {};
  let offset = start;
  while (bytes[offset] !== 0) {
    const end = bytes.indexOf(0, offset + 1);
    fields[String.fromCharCode(bytes[offset]!)] = bytes.toString('utf8', offset + 1, end);
    offset = end + 1;
  }
  const error = new messages.DatabaseError(fields.M!, length, 'error');
  error.severity = fields.S;
  error.code = fields.C;
  error.detail = fields.D;
  error.hint = fields.H;
  error.position = fields.P;
  error.internalPosition = fields.p;
  error.internalQuery = fields.q;
  error.where = fields.W;
  error.schema = fields.s;
  error.table = fields.t;
  error.column = fields.c;
  error.dataType = fields.d;
  error.constraint = fields.n;
  error.file = fields.F;
  error.line = fields.L;
  error.routine = fields.R;
  return error;
}

/**
 * Reads the backend's answer to one exchange in a single pass over its bytes (PGlite's `execProtocolStream`
 * builds a message object per backend message, then `parse.parseResults` walks them again): RowDescription,
 * DataRow, CommandComplete, ErrorResponse and NotificationResponse; every other message (ParseComplete,
 * BindComplete, NoData, ParameterStatus, NoticeResponse, ReadyForQuery, …) is skipped. Values are parsed as
 * `parseResults` parses them (`types.parseType` with `parsers`).
 * @param knownFields the columns of a statement run without Describe (its RowDescription from an earlier run)
 * @param endsTransaction the exchange ends with a COMMIT of its own after the statement: `rows` stay the
 *   statement's (a COMMIT or ROLLBACK completion does not replace them); `command` is the COMMIT's tag
 * @param answerLength how many of `data`'s bytes are the answer (all by default; the driver reads its reused
 *   buffer's first bytes without a view of them)
 * @internal
 */
export function decodeExchange(
  data: Uint8Array,
  parsers: PGlite['parsers'],
  knownFields?: readonly ResultField[],
  endsTransaction = false,
  answerLength = data.byteLength,
): DecodedExchange {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // Row arrays made only for statements that return rows: most exchanges' statements return none.
  let rows: SqlRow[] | undefined;
  let fields: readonly ResultField[] | undefined = knownFields;
  let firstFields: readonly ResultField[] | undefined;
  let lastRows: SqlRow[] | undefined;
  let command: string | undefined;
  let affectedRows = 0;
  let error: messages.DatabaseError | undefined;
  let notifications: ExchangeNotification[] | undefined;
  let offset = 0;
  while (offset + 5 <= answerLength && error === undefined) {
    const code = bytes[offset]!;
    const length = bytes.readInt32BE(offset + 1);
    const start = offset + 5;
    offset += 1 + length;
    if (code === DATA_ROW) {
      if (fields === undefined) throw new Error('PGlite wire: a DataRow without its RowDescription');
      (rows ??= []).push(dataRow(bytes, start, fields, parsers));
    } else if (code === ROW_DESCRIPTION) {
      fields = rowDescription(bytes, start);
      firstFields ??= fields;
    } else if (code === COMMAND_COMPLETE) {
      // A tag: the command, then for some commands counts (`INSERT 0 1`, `UPDATE 3`).
      const end = bytes.indexOf(0, start);
      const space = bytes.indexOf(0x20, start);
      command = bytes.toString('latin1', start, space === -1 || space > end ? end : space);
      if (AFFECTING_COMMANDS.has(command)) affectedRows += parseInt(bytes.toString('latin1', bytes.lastIndexOf(0x20, end) + 1, end), 10);
      if (!endsTransaction || (command !== 'COMMIT' && command !== 'ROLLBACK')) lastRows = rows;
      rows = undefined;
      fields = knownFields;
    } else if (code === ERROR_RESPONSE) {
      error = errorResponse(bytes, start, length);
    } else if (code === NOTIFICATION_RESPONSE) {
      const channelEnd = bytes.indexOf(0, start + 4);
      (notifications ??= []).push({ channel: bytes.toString('utf8', start + 4, channelEnd), payload: cstringAt(bytes, channelEnd + 1) });
    }
  }
  return { rows: lastRows ?? [], command, affectedRows, fields: firstFields, error, notifications: notifications ?? NO_NOTIFICATIONS };
}
