import {
  SignalSchema,
  TradeRecommendationSchema,
  TradepipeError,
  canonicalJson,
  checkCandle,
  parseWith,
  type PipelineStore,
  type Signal,
  type TradeRecommendation,
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

/** A parsed record ready for its table. @internal */
export interface BulkRow<R> {
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

/** Parses and hashes entries, dropping same-content repeats; a repeat with other content is a conflict. */
function prepareRows<R extends { readonly id: string }>(
  type: 'signal' | 'recommendation',
  entries: readonly { readonly record: R; readonly state: string; readonly reason?: string }[],
  parse: (record: R) => R,
): BulkRow<R>[] {
  const byId = new Map<string, BulkRow<R>>();
  for (const entry of entries) {
    const record = parse(entry.record);
    let row: BulkRow<R>;
    if (type === 'signal') {
      const signal = record as unknown as Signal;
      const json = signalJson(signal);
      row = { record, json: json.withoutValues, hash: sha256Hex(json.canonical), featureValues: signal.features.values, state: entry.state, reason: entry.reason ?? null };
    } else {
      const json = canonicalJson(record);
      row = { record, json, hash: sha256Hex(json), state: entry.state, reason: entry.reason ?? null };
    }
    const first = byId.get(record.id);
    if (first === undefined) byId.set(record.id, row);
    else if (first.hash !== row.hash) throw conflict(type, record.id);
  }
  return [...byId.values()];
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

/** A bulk write validated and deduplicated, ready for {@link writePreparedBulk}. @internal */
export interface PreparedBulk {
  readonly candles: ReturnType<typeof dedupeBatch>['unique'];
  readonly candleState: NonNullable<BulkWrite['candleState']>;
  readonly signals: readonly BulkRow<Signal>[];
  readonly recommendations: readonly BulkRow<TradeRecommendation>[];
}

/**
 * Validates and deduplicates a bulk write before any SQL runs.
 * @throws TradepipeError `validation_failed`, `record_conflict` (a record repeated with other content)
 * @internal
 */
export function prepareBulk(batch: BulkWrite): PreparedBulk {
  const candles = dedupeBatch((batch.candles ?? []).map((candle) => checkCandle(candle)));
  const [firstConflict] = candles.conflicts;
  if (firstConflict !== undefined) throw conflict('candle', `${firstConflict.productId}/${firstConflict.granularity}/${firstConflict.startMs}`);
  const signals = prepareRows('signal', batch.signals ?? [], (record) => parseWith(SignalSchema, record, 'signal'));
  const recommendations = prepareRows('recommendation', batch.recommendations ?? [], (record) =>
    parseWith(TradeRecommendationSchema, record, 'trade recommendation'),
  );
  return { candles: candles.unique, candleState: batch.candleState ?? 'DONE', signals, recommendations };
}

/**
 * Writes a prepared bulk write inside the caller's transaction (see {@link writeBulk}).
 * @throws TradepipeError `record_conflict`
 * @internal
 */
export async function writePreparedBulk(context: StoreContext, executor: SqlExecutor, prepared: PreparedBulk): Promise<void> {
  const { candles, signals, recommendations } = prepared;
  for (const chunk of chunks(candles)) {
    const outcome = await insertCandleBatch(context, executor, chunk, prepared.candleState);
    const [stored] = outcome.conflicts;
    if (stored !== undefined) throw conflict('candle', `${stored.productId}/${stored.granularity}/${stored.startMs}`);
  }
  for (const chunk of chunks(signals)) await insertRecords(context, executor, SIGNALS, chunk);
  for (const chunk of chunks(recommendations)) await insertRecords(context, executor, RECOMMENDATIONS, chunk);
  await analyzeIfGrown(context, executor, 'crypto_prices', candles.length);
  await analyzeIfGrown(context, executor, SIGNALS.table, signals.length);
  await analyzeIfGrown(context, executor, RECOMMENDATIONS.table, recommendations.length);
}

/**
 * Writes candles, signals and settled recommendations in one transaction, in chunks of unnest arrays (COPY for
 * large candle chunks on a server). Everything is validated and deduplicated before any SQL runs; a record (or
 * candle) stored with other content, or repeated in the batch with other content, refuses the whole batch.
 * @throws TradepipeError `validation_failed`, `record_conflict` (nothing is written)
 * @internal
 */
export async function writeBulk(context: StoreContext, batch: BulkWrite): Promise<void> {
  const prepared = prepareBulk(batch);
  if (prepared.candles.length + prepared.signals.length + prepared.recommendations.length === 0) return;
  await context.driver.transaction((executor) => writePreparedBulk(context, executor, prepared));
}
