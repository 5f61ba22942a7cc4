import {
  SignalSchema,
  TradeRecommendationSchema,
  TradepipeError,
  canonicalJson,
  checkCandle,
  checkCandlesClosed,
  parseWith,
  type PipelineStore,
  type Signal,
} from '@tradepipe/core';
import * as crypto from 'node:crypto';
import { dedupeBatch, insertCandleBatch } from './candles-sql.js';
import { BinaryCopyWriter } from './copy-binary.js';
import { currentMs, nowParam, nowSql, type StoreContext } from './context.js';
import { errorCodeOf } from './db-errors.js';
import { featureValuesParam } from './feature-values.js';
import { signalJson } from './signal-json.js';
import { analyzeIfGrown } from './planner-stats.js';
import { int8 } from './rows.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

/** The batch of {@link PipelineStore.writeBulk}. */
type BulkWrite = Parameters<PipelineStore['writeBulk']>[0];

/** Rows per statement: large enough that a statement's cost is the rows', small enough for modest parameters. */
const CHUNK_ROWS = 20_000;

const UNIQUE_VIOLATION = '23505';

/**
 * A record kind written in bulk: its table and key columns, each as SQL reading it from the record (`r.record`,
 * jsonb). The records travel as one JSON array: PostgreSQL reads that far faster than an array of JSON texts.
 */
interface BulkTable {
  readonly type: 'signal' | 'recommendation';
  readonly table: string;
  readonly columns: readonly (readonly [name: string, sql: string])[];
  /** Signals: the feature values go to `feature_values` as bytes, and the record is sent without them. */
  readonly featureValues?: true;
}

const field = (name: string, cast = ''): string => (cast === '' ? `r.record->>'${name}'` : `(r.record->>'${name}')::${cast}`);

const SIGNALS: BulkTable = {
  type: 'signal',
  table: 'trading_signals',
  columns: [
    ['id', field('id')],
    ['pipeline_id', field('pipelineId')],
    ['product_id', field('productId')],
    ['granularity', field('granularity')],
    ['candle_start_ms', field('candleStartMs', 'bigint')],
    ['action', field('action')],
    ['confidence', field('confidence', 'double precision')],
    ['model_id', field('modelId')],
    ['model_version', field('modelVersion')],
  ],
  featureValues: true,
};

const RECOMMENDATIONS: BulkTable = {
  type: 'recommendation',
  table: 'trade_recommendations',
  columns: [
    ['id', field('id')],
    ['pipeline_id', field('pipelineId')],
    ['product_id', field('productId')],
    ['granularity', field('granularity')],
    ['candle_start_ms', field('candleStartMs', 'bigint')],
    ['side', field('side')],
    ['intent', field('intent')],
    ['quote_amount', field('quoteAmount', 'numeric')],
    ['base_size', field('baseSize', 'numeric')],
    ['created_at_ms', field('createdAtMs', 'bigint')],
    ['expires_at_ms', field('expiresAtMs', 'bigint')],
  ],
};

/** A parsed record ready for its table. */
interface BulkRow<R> {
  readonly record: R & { readonly id: string };
  /** What is sent as the record: its canonical JSON (hashed for `hash`), or for a signal that less the feature values. */
  readonly json: string;
  readonly hash: string;
  /** A signal's feature values, sent apart from its record. */
  readonly featureValues?: readonly number[];
  readonly state: string;
  readonly reason: string | null;
}

/** What core's `contentHash` computes, from the canonical JSON already made: Node's one-shot `crypto.hash` where it exists (≥ 20.12). */
const sha256Hex: (json: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (json) => (crypto as unknown as { hash(algorithm: string, data: string, encoding: 'hex'): string }).hash('sha256', json, 'hex')
    : (json) => crypto.createHash('sha256').update(json).digest('hex');

function conflict(type: string, id: string): TradepipeError {
  return new TradepipeError('record_conflict', 'A record with this id exists with other content; the first write stands', { details: { type, id } });
}

/** One entry of a batch, parsed and hashed. */
function prepareRow<R extends { readonly id: string }>(
  type: 'signal' | 'recommendation',
  entry: { readonly record: R; readonly state: string; readonly reason?: string },
  parse: (record: R) => R,
): BulkRow<R> {
  const record = parse(entry.record);
  if (type === 'signal') {
    const signal = record as unknown as Signal;
    const json = signalJson(signal);
    return { record, json: json.withoutValues, hash: sha256Hex(json.canonical), featureValues: signal.features.values, state: entry.state, reason: entry.reason ?? null };
  }
  const json = canonicalJson(record);
  return { record, json, hash: sha256Hex(json), state: entry.state, reason: entry.reason ?? null };
}

/**
 * A batch's entries of one kind, parsed and hashed one chunk at a time ({@link CHUNK_ROWS} first occurrences per
 * chunk), so that a large batch is never held prepared all at once (a year of minutes in one call held 525,600
 * signals' JSON and hashes, and garbage collection grew with it). A repeated id with the content hash of its
 * first occurrence, in this chunk or an earlier one, is dropped; with another hash it is a conflict.
 * @throws TradepipeError `validation_failed` (an invalid record), `record_conflict` (a repeat with other content), from the chunk holding it
 */
function* preparedChunks<R extends { readonly id: string }>(
  type: 'signal' | 'recommendation',
  entries: readonly { readonly record: R; readonly state: string; readonly reason?: string }[],
  parse: (record: R) => R,
): Generator<BulkRow<R>[], void, undefined> {
  const hashes = new Map<string, string>();
  let rows: BulkRow<R>[] = [];
  for (const entry of entries) {
    const row = prepareRow(type, entry, parse);
    const first = hashes.get(row.record.id);
    if (first !== undefined) {
      if (first !== row.hash) throw conflict(type, row.record.id);
      continue;
    }
    hashes.set(row.record.id, row.hash);
    rows.push(row);
    if (rows.length === CHUNK_ROWS) {
      yield rows;
      rows = [];
    }
  }
  if (rows.length > 0) yield rows;
}

/** The chunks of {@link preparedChunks}, the first one prepared now (before any SQL) and the rest as they are taken. */
function chunkedRows<R extends { readonly id: string }>(
  type: 'signal' | 'recommendation',
  entries: readonly { readonly record: R; readonly state: string; readonly reason?: string }[],
  parse: (record: R) => R,
): { readonly first: BulkRow<R>[] | undefined; readonly rest: Generator<BulkRow<R>[], void, undefined> } {
  const rest = preparedChunks(type, entries, parse);
  const first = rest.next();
  return { first: first.done === true ? undefined : first.value, rest };
}

function chunks<T>(items: readonly T[]): T[][] {
  const list: T[][] = [];
  for (let start = 0; start < items.length; start += CHUNK_ROWS) list.push(items.slice(start, start + CHUNK_ROWS));
  return list;
}

// Inserts one chunk (first write wins); if some ids existed, any with another content hash is a conflict.
// When none of the chunk's ids is stored (a replay writing new records: the usual case) the rows go in with
// a plain write (COPY for signals where the driver can, else an INSERT without the speculative insertion ON
// CONFLICT makes per row); a row stored before, or a concurrent writer's row appearing meanwhile, makes it fail
// with a unique violation, undone to the savepoint, and the chunk then takes the first-write-wins path. With
// COPY the ids are not looked up first: the failed COPY is the look-up, costing only where ids existed.
async function insertRecords<R>(context: StoreContext, executor: SqlExecutor, spec: BulkTable, rows: readonly BulkRow<R>[]): Promise<void> {
  const copy = context.driver.copyFrom;
  if (spec.featureValues === true && copy !== undefined) {
    if (await copyNewSignals(context, executor, copy, rows)) return;
  } else {
    const [found] = await executor.query<{ stored: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${context.s}.${spec.table} WHERE id = ANY($1::text[])) AS stored`, [
      rows.map((row) => row.record.id),
    ]);
    if (found?.stored !== true && (await withSavepoint(executor, () => executor.query(insertSql(context, spec), insertParams(context, spec, rows))))) return;
  }
  await insertFirstWriteWins(context, executor, spec, rows);
}

/** Inserts the rows whose ids are not stored (ON CONFLICT DO NOTHING); a stored one with another content hash is a conflict. */
async function insertFirstWriteWins<R>(context: StoreContext, executor: SqlExecutor, spec: BulkTable, rows: readonly BulkRow<R>[]): Promise<void> {
  const [counted] = await executor.query<{ inserted: string }>(
    `WITH inserted AS (${insertSql(context, spec)} ON CONFLICT (id) DO NOTHING RETURNING 1) SELECT count(*) AS inserted FROM inserted`,
    insertParams(context, spec, rows),
  );
  if (int8(counted?.inserted ?? '0', 'inserted') === rows.length) return;
  const [other] = await executor.query<{ id: string }>(
    `SELECT t.id FROM unnest($1::text[], $2::text[]) AS input(id, content_hash) JOIN ${context.s}.${spec.table} t ON t.id = input.id
     WHERE t.content_hash <> input.content_hash LIMIT 1`,
    [rows.map((row) => row.record.id), rows.map((row) => row.hash)],
  );
  if (other !== undefined) throw conflict(spec.type, other.id);
}

/** The INSERT … SELECT of a chunk: key columns read from the records, sent as one JSON array. */
function insertSql(context: StoreContext, spec: BulkTable): string {
  const names = [...spec.columns.map(([name]) => name), 'record', 'content_hash', 'state', 'state_reason', 'available_at_ms', 'updated_at_ms'];
  const values = [...spec.columns.map(([, sql]) => sql), 'r.record', 'r.content_hash', 'r.state', 'r.state_reason', 'now_ms.ms', 'now_ms.ms'];
  const featureValues = spec.featureValues === true;
  if (featureValues) {
    names.push('feature_values');
    values.push('r.feature_values');
  }
  return `INSERT INTO ${context.s}.${spec.table} (${names.join(', ')})
       SELECT ${values.join(', ')}
       FROM ROWS FROM (jsonb_array_elements($1::jsonb), unnest($2::text[]), unnest($3::text[]), unnest($4::text[])${featureValues ? ', unnest($6::bytea[])' : ''})
           AS r(record, content_hash, state, state_reason${featureValues ? ', feature_values' : ''}),
         (SELECT ${nowSql(5)} AS ms) now_ms`;
}

function insertParams<R>(context: StoreContext, spec: BulkTable, rows: readonly BulkRow<R>[]): unknown[] {
  const params: unknown[] = [`[${rows.map((row) => row.json).join(',')}]`, rows.map((row) => row.hash), rows.map((row) => row.state), rows.map((row) => row.reason), nowParam(context)];
  if (spec.featureValues === true) params.push(featureValuesParam(rows.map((row) => row.featureValues ?? [])));
  return params;
}

/** Runs a plain write under a savepoint; false (nothing written) if it met a stored key (a unique violation). */
async function withSavepoint(executor: SqlExecutor, write: () => Promise<unknown>): Promise<boolean> {
  await executor.query('SAVEPOINT tradepipe_bulk');
  try {
    await write();
  } catch (error) {
    if (errorCodeOf(error) !== UNIQUE_VIOLATION) throw error;
    await executor.query('ROLLBACK TO SAVEPOINT tradepipe_bulk');
    await executor.query('RELEASE SAVEPOINT tradepipe_bulk');
    return false;
  }
  await executor.query('RELEASE SAVEPOINT tradepipe_bulk');
  return true;
}

/** The signal columns a COPY fills, in the order {@link copyNewSignals} writes them. */
const SIGNAL_COPY_COLUMNS = [
  'id',
  'pipeline_id',
  'product_id',
  'granularity',
  'candle_start_ms',
  'action',
  'confidence',
  'model_id',
  'model_version',
  'record',
  'content_hash',
  'state',
  'state_reason',
  'available_at_ms',
  'updated_at_ms',
  'feature_values',
];

/** Bytes per signal a COPY's buffer starts with (a signal of 51 feature values takes about 1 kB). */
const SIGNAL_COPY_BYTES = 1_200;

/**
 * Signals none of whose ids is stored, in one binary COPY: every column as the INSERT path computes it (key
 * columns from the record, which binary COPY takes without parsing text; `feature_values` as float64 bytes).
 * @returns false (nothing written) if an id was stored
 */
async function copyNewSignals<R>(context: StoreContext, executor: SqlExecutor, copy: NonNullable<SqlDriver['copyFrom']>, rows: readonly BulkRow<R>[]): Promise<boolean> {
  const nowMs = await currentMs(context, executor);
  const writer = new BinaryCopyWriter(rows.length * SIGNAL_COPY_BYTES);
  for (const row of rows) {
    const signal = row.record as unknown as Signal;
    writer
      .tuple(SIGNAL_COPY_COLUMNS.length)
      .text(signal.id)
      .text(signal.pipelineId)
      .text(signal.productId)
      .text(signal.granularity)
      .int8(signal.candleStartMs)
      .text(signal.action)
      .float8(signal.confidence === 0 ? 0 : signal.confidence) // -0 as 0, as the JSON paths store it
      .text(signal.modelId)
      .text(signal.modelVersion)
      .jsonb(row.json)
      .text(row.hash)
      .text(row.state)
      .optionalText(row.reason)
      .int8(nowMs)
      .int8(nowMs)
      .float64sLittleEndian(signal.features.values);
  }
  const data = writer.finish();
  return withSavepoint(executor, () => copy(executor, `${context.s}.trading_signals (${SIGNAL_COPY_COLUMNS.join(', ')})`, [data], { binary: true }));
}

/**
 * Writes candles, signals and settled recommendations in one transaction, in chunks of {@link CHUNK_ROWS} rows
 * (COPY where the driver has it). Candles are validated, checked closed at the store's now and deduplicated
 * before any SQL, as are the records of a batch of one chunk (a replay's); a larger batch's records are parsed
 * and hashed a chunk at a time, each chunk before it is written. An invalid record, a candle not closed, or a
 * candle or record stored with other content, or repeated in the batch with other content, refuses the whole
 * batch: nothing of it is written (a later chunk's refusal rolls back the earlier ones).
 * @throws TradepipeError `validation_failed`, `candle_not_closed`, `record_conflict` (nothing is written)
 * @internal
 */
export async function writeBulk(context: StoreContext, batch: BulkWrite): Promise<void> {
  const parsed = (batch.candles ?? []).map((candle) => checkCandle(candle));
  // As putCandles: no candle is stored before its bucket has closed at the store's now.
  if (parsed.length > 0) checkCandlesClosed(parsed, await currentMs(context));
  const candles = dedupeBatch(parsed);
  const [firstConflict] = candles.conflicts;
  if (firstConflict !== undefined) throw conflict('candle', `${firstConflict.productId}/${firstConflict.granularity}/${firstConflict.startMs}`);
  const signals = chunkedRows('signal', batch.signals ?? [], (record) => parseWith(SignalSchema, record, 'signal'));
  const recommendations = chunkedRows('recommendation', batch.recommendations ?? [], (record) => parseWith(TradeRecommendationSchema, record, 'trade recommendation'));
  if (candles.unique.length === 0 && signals.first === undefined && recommendations.first === undefined) return;
  await context.driver.transaction(async (executor) => {
    for (const chunk of chunks(candles.unique)) {
      const outcome = await insertCandleBatch(context, executor, chunk, batch.candleState ?? 'DONE');
      const [stored] = outcome.conflicts;
      if (stored !== undefined) throw conflict('candle', `${stored.productId}/${stored.granularity}/${stored.startMs}`);
    }
    const signalRows = await insertChunks(context, executor, SIGNALS, signals);
    const recommendationRows = await insertChunks(context, executor, RECOMMENDATIONS, recommendations);
    await analyzeIfGrown(context, executor, 'crypto_prices', candles.unique.length);
    await analyzeIfGrown(context, executor, SIGNALS.table, signalRows);
    await analyzeIfGrown(context, executor, RECOMMENDATIONS.table, recommendationRows);
  });
}

/** Inserts every chunk of one kind, each prepared as it is reached; returns the rows written. */
async function insertChunks<R extends { readonly id: string }>(
  context: StoreContext,
  executor: SqlExecutor,
  spec: BulkTable,
  chunked: ReturnType<typeof chunkedRows<R>>,
): Promise<number> {
  let rows = 0;
  for (let chunk = chunked.first; chunk !== undefined; ) {
    await insertRecords(context, executor, spec, chunk);
    rows += chunk.length;
    const next = chunked.rest.next();
    chunk = next.done === true ? undefined : next.value;
  }
  return rows;
}
