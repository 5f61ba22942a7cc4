import {
  SignalSchema,
  TradeRecommendationSchema,
  checkCandle,
  checkCandlesClosed,
  parseWith,
  type PipelineStore,
  type Signal,
  type TradeRecommendation,
} from '@tradepipe/core';
import { CHUNK_ROWS, chunkedRows, conflict, prepareRow, type BulkChunk, type BulkKind, type BulkRow, type ChunkedRows } from './bulk-chunks.js';
import { signalCopyTarget } from './bulk-signal-copy.js';
import { dedupeBatch, insertCandleBatch } from './candles-sql.js';
import { currentMs, nowParam, nowSql, type StoreContext } from './context.js';
import { errorCodeOf } from './db-errors.js';
import { featureValuesParam } from './feature-values.js';
import { analyzeIfGrown } from './planner-stats.js';
import { int8 } from './rows.js';
import type { SqlExecutor } from './sql-driver.js';

/** The batch of {@link PipelineStore.writeBulk}. */
type BulkWrite = Parameters<PipelineStore['writeBulk']>[0];

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

function chunks<T>(items: readonly T[]): T[][] {
  const list: T[][] = [];
  for (let start = 0; start < items.length; start += CHUNK_ROWS) list.push(items.slice(start, start + CHUNK_ROWS));
  return list;
}

// Inserts one chunk (first write wins); if some ids existed, any with another content hash is a conflict.
// When none of the chunk's ids is stored (a replay writing new records: the usual case) the rows go in with
// a plain write (COPY for signals where the driver can, else an INSERT without the speculative insertion ON
// CONFLICT makes per row); a row stored before, or a concurrent writer's row appearing meanwhile, makes it fail
// with a unique violation, undone to the savepoint, and the chunk then takes the first-write-wins path (its
// rows prepared again from its entries). With COPY the ids are not looked up first: the failed COPY is the
// look-up, costing only where ids existed.
async function insertRecords<R extends { readonly id: string }>(context: StoreContext, executor: SqlExecutor, spec: BulkTable, kind: BulkKind<R>, chunk: BulkChunk<R>): Promise<void> {
  const copy = context.driver.copyFrom;
  if (chunk.copyData !== undefined && copy !== undefined) {
    const data = chunk.copyData;
    if (await withSavepoint(executor, () => copy(executor, signalCopyTarget(context.s), [data], { binary: true }))) return;
  }
  const rows = chunk.rows ?? chunk.entries.map((entry) => prepareRow(kind, entry));
  if (chunk.copyData === undefined) {
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
  const prepared = await prepareBulk(context, batch);
  if (prepared === undefined) return;
  await context.driver.transaction((executor) => writePreparedBulk(context, executor, prepared));
}

/** A bulk write checked and its first chunks prepared, ready for {@link writePreparedBulk} (once: later chunks are prepared as they are reached). @internal */
export interface PreparedBulk {
  readonly candles: ReturnType<typeof dedupeBatch>['unique'];
  readonly candleState: NonNullable<BulkWrite['candleState']>;
  readonly signalKind: BulkKind<Signal>;
  readonly signals: ChunkedRows<Signal>;
  readonly recommendationKind: BulkKind<TradeRecommendation>;
  readonly recommendations: ChunkedRows<TradeRecommendation>;
}

/**
 * Checks a bulk write before any SQL runs, as {@link writeBulk} does (candles valid, closed at the store's now and
 * deduplicated; the first chunk of each record kind parsed and hashed).
 * @returns undefined when there is nothing to write
 * @throws TradepipeError `validation_failed`, `candle_not_closed`, `record_conflict`
 * @internal
 */
export async function prepareBulk(context: StoreContext, batch: BulkWrite): Promise<PreparedBulk | undefined> {
  const parsed = (batch.candles ?? []).map((candle) => checkCandle(candle));
  // The lists as they are at the call (chunks past the first are prepared later: a caller emptying its list meanwhile
  // must not shrink the write). The records themselves must not change until the write has resolved.
  const signalEntries = batch.signals === undefined ? [] : batch.signals.slice();
  const recommendationEntries = batch.recommendations === undefined ? [] : batch.recommendations.slice();
  const copySignals = context.driver.copyFrom !== undefined && signalEntries.length > 0;
  const nowMs = parsed.length > 0 || copySignals ? await currentMs(context) : undefined;
  // As putCandles: no candle is stored before its bucket has closed at the store's now.
  if (parsed.length > 0) checkCandlesClosed(parsed, nowMs!);
  const candles = dedupeBatch(parsed);
  const [firstConflict] = candles.conflicts;
  if (firstConflict !== undefined) throw conflict('candle', `${firstConflict.productId}/${firstConflict.granularity}/${firstConflict.startMs}`);
  const signalKind: BulkKind<Signal> = { type: 'signal', parse: (record) => parseWith(SignalSchema, record, 'signal'), ...(copySignals ? { copyAtMs: nowMs! } : {}) };
  const recommendationKind: BulkKind<TradeRecommendation> = { type: 'recommendation', parse: (record) => parseWith(TradeRecommendationSchema, record, 'trade recommendation') };
  const signals = chunkedRows(signalKind, signalEntries);
  const recommendations = chunkedRows(recommendationKind, recommendationEntries);
  if (candles.unique.length === 0 && signals.first === undefined && recommendations.first === undefined) return undefined;
  return { candles: candles.unique, candleState: batch.candleState ?? 'DONE', signalKind, signals, recommendationKind, recommendations };
}

/**
 * Writes a prepared bulk write inside the caller's transaction (see {@link writeBulk}); a prepared write is written once.
 * @throws TradepipeError `validation_failed`, `record_conflict` (from a later chunk: the caller's transaction rolls back)
 * @internal
 */
export async function writePreparedBulk(context: StoreContext, executor: SqlExecutor, prepared: PreparedBulk): Promise<void> {
  for (const chunk of chunks(prepared.candles)) {
    const outcome = await insertCandleBatch(context, executor, chunk, prepared.candleState);
    const [stored] = outcome.conflicts;
    if (stored !== undefined) throw conflict('candle', `${stored.productId}/${stored.granularity}/${stored.startMs}`);
  }
  const signalRows = await insertChunks(context, executor, SIGNALS, prepared.signalKind, prepared.signals);
  const recommendationRows = await insertChunks(context, executor, RECOMMENDATIONS, prepared.recommendationKind, prepared.recommendations);
  await analyzeIfGrown(context, executor, 'crypto_prices', prepared.candles.length);
  await analyzeIfGrown(context, executor, SIGNALS.table, signalRows);
  await analyzeIfGrown(context, executor, RECOMMENDATIONS.table, recommendationRows);
}

/** Inserts every chunk of one kind, each prepared as it is reached; returns the rows written. */
async function insertChunks<R extends { readonly id: string }>(
  context: StoreContext,
  executor: SqlExecutor,
  spec: BulkTable,
  kind: BulkKind<R>,
  chunked: ChunkedRows<R>,
): Promise<number> {
  let rows = 0;
  for (let chunk = chunked.first; chunk !== undefined; ) {
    await insertRecords(context, executor, spec, kind, chunk);
    rows += chunk.entries.length;
    const next = chunked.rest.next();
    chunk = next.done === true ? undefined : next.value;
  }
  return rows;
}
