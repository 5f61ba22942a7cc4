import {
  CandleSchema,
  SignalSchema,
  TradeRecommendationSchema,
  TradepipeError,
  canonicalJson,
  parseWith,
  type PipelineStore,
  type Signal,
} from '@tradepipe/core';
import { createHash } from 'node:crypto';
import { dedupeBatch, insertCandleBatch } from './candles-sql.js';
import { nowParam, nowSql, type StoreContext } from './context.js';
import { errorCodeOf } from './db-errors.js';
import { featureValuesParam } from './feature-values.js';
import { int8 } from './rows.js';
import type { SqlExecutor } from './sql-driver.js';

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
  /** What is sent as the record: its canonical JSON (hashed for `hash`), or for a signal that without the feature values. */
  readonly json: string;
  readonly hash: string;
  /** A signal's feature values, sent apart from its record. */
  readonly featureValues?: readonly number[];
  readonly state: string;
  readonly reason: string | null;
}

/** What core's `contentHash` computes, from the canonical JSON already made. */
const sha256Hex = (json: string): string => createHash('sha256').update(json).digest('hex');

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
    const json = canonicalJson(record);
    const common = { record, hash: sha256Hex(json), state: entry.state, reason: entry.reason ?? null };
    const row: BulkRow<R> = type === 'signal' ? { ...common, ...withoutFeatureValues(record as unknown as Signal) } : { ...common, json };
    const first = byId.get(record.id);
    if (first === undefined) byId.set(record.id, row);
    else if (first.hash !== row.hash) throw conflict(type, record.id);
  }
  return [...byId.values()];
}

/**
 * A signal's record as sent (its JSON less the feature values: plain, not canonical, as `jsonb` orders keys
 * itself and the hash comes from the whole record's canonical JSON) and the values apart.
 */
function withoutFeatureValues(signal: Signal): { json: string; featureValues: readonly number[] } {
  const { values, ...features } = signal.features;
  return { json: JSON.stringify({ ...signal, features }), featureValues: values };
}

function chunks<T>(items: readonly T[]): T[][] {
  const list: T[][] = [];
  for (let start = 0; start < items.length; start += CHUNK_ROWS) list.push(items.slice(start, start + CHUNK_ROWS));
  return list;
}

// Inserts one chunk (first write wins); if some ids existed, any with another content hash is a conflict.
// When none of the chunk's ids is stored (a replay writing new records: the usual case) the rows go in with
// a plain INSERT, which skips the speculative insertion ON CONFLICT makes per row; a concurrent writer's row
// appearing meanwhile makes it fail with a unique violation, undone to the savepoint, and the chunk then
// takes the first-write-wins path.
async function insertRecords<R>(context: StoreContext, executor: SqlExecutor, spec: BulkTable, rows: readonly BulkRow<R>[]): Promise<void> {
  const ids = rows.map((row) => row.record.id);
  const [found] = await executor.query<{ stored: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${context.s}.${spec.table} WHERE id = ANY($1::text[])) AS stored`, [ids]);
  if (found?.stored !== true && (await insertNew(context, executor, spec, rows))) return;
  const [counted] = await executor.query<{ inserted: string }>(
    `WITH inserted AS (${insertSql(context, spec)} ON CONFLICT (id) DO NOTHING RETURNING 1) SELECT count(*) AS inserted FROM inserted`,
    insertParams(context, spec, rows),
  );
  if (int8(counted?.inserted ?? '0', 'inserted') === rows.length) return;
  const [other] = await executor.query<{ id: string }>(
    `SELECT t.id FROM unnest($1::text[], $2::text[]) AS input(id, content_hash) JOIN ${context.s}.${spec.table} t ON t.id = input.id
     WHERE t.content_hash <> input.content_hash LIMIT 1`,
    [ids, rows.map((row) => row.hash)],
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

/** A plain INSERT of rows none of whose ids was stored; false (nothing written) if a concurrent writer stored one meanwhile. */
async function insertNew<R>(context: StoreContext, executor: SqlExecutor, spec: BulkTable, rows: readonly BulkRow<R>[]): Promise<boolean> {
  await executor.query('SAVEPOINT tradepipe_bulk');
  try {
    await executor.query(insertSql(context, spec), insertParams(context, spec, rows));
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
 * Writes candles, signals and settled recommendations in one transaction, in chunks of unnest arrays (COPY for
 * large candle chunks on a server). Everything is validated and deduplicated before any SQL runs; a record (or
 * candle) stored with other content, or repeated in the batch with other content, refuses the whole batch.
 * @throws TradepipeError `validation_failed`, `record_conflict` (nothing is written)
 * @internal
 */
export async function writeBulk(context: StoreContext, batch: BulkWrite): Promise<void> {
  const candles = dedupeBatch((batch.candles ?? []).map((candle) => parseWith(CandleSchema, candle, 'candle')));
  const [firstConflict] = candles.conflicts;
  if (firstConflict !== undefined) throw conflict('candle', `${firstConflict.productId}/${firstConflict.granularity}/${firstConflict.startMs}`);
  const signals = prepareRows('signal', batch.signals ?? [], (record) => parseWith(SignalSchema, record, 'signal'));
  const recommendations = prepareRows('recommendation', batch.recommendations ?? [], (record) =>
    parseWith(TradeRecommendationSchema, record, 'trade recommendation'),
  );
  if (candles.unique.length + signals.length + recommendations.length === 0) return;
  await context.driver.transaction(async (executor) => {
    for (const chunk of chunks(candles.unique)) {
      const outcome = await insertCandleBatch(context, executor, chunk, batch.candleState ?? 'DONE');
      const [stored] = outcome.conflicts;
      if (stored !== undefined) throw conflict('candle', `${stored.productId}/${stored.granularity}/${stored.startMs}`);
    }
    for (const chunk of chunks(signals)) await insertRecords(context, executor, SIGNALS, chunk);
    for (const chunk of chunks(recommendations)) await insertRecords(context, executor, RECOMMENDATIONS, chunk);
  });
}
