import { parse, protocol, type PGlite } from '@electric-sql/pglite';
import type { SqlRow } from './sql-driver.js';

const { serialize } = protocol;

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const keepText = (value: string): string => value;

// PGlite returns int8 as number (BigInt past 2^53) by default; keep int8 and numeric as text, as with pg.
const KEEP_TEXT = { [INT8_OID]: keepText, [NUMERIC_OID]: keepText };

type Parsers = PGlite['parsers'];

/** Per PGlite instance: its parsers with int8 and numeric kept as text, merged once. */
const MERGED_PARSERS = new WeakMap<PGlite, { readonly source: Parsers; readonly merged: Parsers }>();

/**
 * The instance's type parsers with {@link KEEP_TEXT} over them. Handing PGlite's `parseResults` the override
 * as an option makes it copy the instance's ~320 parsers on every statement (≈ 85 µs, more than a simple
 * query's execution); merged once here, a statement's result is parsed without that copy. Array types a
 * caller registers later on a shared instance (`refreshArrayTypes`) are not seen: the store's tables use only
 * built-in types.
 */
function parsersOf(database: PGlite): Parsers {
  const cached = MERGED_PARSERS.get(database);
  if (cached !== undefined && cached.source === database.parsers) return cached.merged;
  const merged = { ...database.parsers, ...KEEP_TEXT };
  MERGED_PARSERS.set(database, { source: database.parsers, merged });
  return merged;
}

/** Prepared statements per PGlite instance (one session, shared by every driver on it): SQL text → name. */
const PREPARED = new WeakMap<PGlite, Map<string, string>>();

/** Past this many, further statements run unnamed (parsed each time) rather than grow the session's cache. */
const MAX_PREPARED = 1_000;

/** A parameter as PostgreSQL's text format, as `pg` sends it: the server infers the types from the SQL. */
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

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const message = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    message.set(part, offset);
    offset += part.length;
  }
  return message;
}

/**
 * The messages of one parameterised statement: Bind/Describe/Execute of its named prepared statement,
 * preceded on first use by Close (a no-op unless an earlier exchange failed after preparing it) and Parse.
 * @returns the messages, and the name to remember once the exchange succeeded
 */
function statementMessages(database: PGlite, text: string, params: readonly unknown[]): { parts: Uint8Array[]; prepared?: string } {
  let names = PREPARED.get(database);
  if (names === undefined) {
    names = new Map();
    PREPARED.set(database, names);
  }
  const bindAndRun = (statement: string): Uint8Array[] => [
    serialize.bind({ statement, values: params.map(textParam) }),
    serialize.describe({ type: 'P' }),
    serialize.execute(),
  ];
  const known = names.get(text);
  if (known !== undefined) return { parts: bindAndRun(known) };
  if (names.size >= MAX_PREPARED) return { parts: [serialize.parse({ text }), ...bindAndRun('')] };
  const name = `tradepipe_${names.size + 1}`;
  return { parts: [serialize.close({ type: 'S', name }), serialize.parse({ name, text }), ...bindAndRun(name)], prepared: name };
}

/** A simple-protocol statement run ahead of the next exchange's own (e.g. `BEGIN`). */
export type Prefix = string | undefined;

/**
 * Runs one statement in a single exchange with the WebAssembly backend (PGlite's own `query` makes six):
 * the optional `prefix` (simple protocol, e.g. `BEGIN`), then the statement through a named prepared
 * statement, then Sync. The caller holds PGlite's query mutex.
 * @returns the statement's rows, int8 and numeric as text
 * @throws the backend's error (a `DatabaseError` with its SQLSTATE `code`)
 * @internal
 */
export async function runStatement<Row extends SqlRow>(
  database: PGlite,
  text: string,
  params: readonly unknown[],
  options: { readonly prefix?: Prefix; readonly syncToFs: boolean },
): Promise<Row[]> {
  const { parts, prepared } = statementMessages(database, text, params);
  const prefix = options.prefix === undefined ? [] : [serialize.query(options.prefix)];
  const messages = await database.execProtocolStream(concat([...prefix, ...parts, serialize.sync()]), { syncToFs: options.syncToFs });
  if (prepared !== undefined) PREPARED.get(database)?.set(text, prepared);
  const results = parse.parseResults(messages, parsersOf(database));
  return (results.at(-1)?.rows ?? []) as Row[];
}

/**
 * Runs a script through the simple protocol in one exchange (several statements, no parameters).
 * @returns the command tag of the last statement (e.g. `COMMIT`, or `ROLLBACK` when a commit rolled back)
 * @internal
 */
export async function runScript(database: PGlite, script: string, options: { readonly prefix?: Prefix; readonly syncToFs: boolean }): Promise<string | undefined> {
  const prefix = options.prefix === undefined ? [] : [serialize.query(options.prefix)];
  const messages = await database.execProtocolStream(concat([...prefix, serialize.query(script)]), { syncToFs: options.syncToFs });
  return parse.parseResults(messages, parsersOf(database)).at(-1)?.command;
}
