import {
  CandleSchema,
  GRANULARITIES,
  GranularitySchema,
  TradepipeError,
  canonicalJson,
  checkCandle,
  checkCandlesClosed,
  parseWith,
  type Candle,
  type CandleQuery,
  type CandleState,
  type Granularity,
  type PutCandlesResult,
} from '@tradepipe/core';
import { currentMs, nowParam, nowSql, type StoreContext } from './context.js';
import { errorCodeOf } from './db-errors.js';
import { analyzeIfGrownLive } from './planner-stats.js';
import { int8, numberColumn, numericText, parseStored } from './rows.js';
import type { SqlExecutor, SqlRow } from './sql-driver.js';

const CANDLE_COLUMNS = 'product_id, granularity, start_ms, open, high, low, close, volume, gap_filled';

/**
 * Batches at least this large go through COPY (on a PostgreSQL server, and on PGlite whose role may read server files).
 * On PGlite a batched replay's 365 daily candles took 3.0–3.5 ms by COPY, 4.2–9 ms by the unnest INSERT (busy machine).
 */
const COPY_THRESHOLD = 256;

const UNIQUE_VIOLATION = '23505';

/** Batches up to this size (the live path stores one candle at a time) are inserted and compared in one statement. */
const ONE_STATEMENT_MAX = 500;

type Conflict = PutCandlesResult['conflicts'][number];

/** A candle row back to a parsed {@link Candle}. @internal */
export function candleFromRow(row: SqlRow): Candle {
  return storedCandle(row.product_id, row.granularity, row.start_ms, row.open, row.high, row.low, row.close, row.volume, row.gap_filled);
}

/** A candle's stored columns, in their order, to a parsed {@link Candle} (a row's, or a JSON row's without an object between). */
function storedCandle(
  productId: unknown,
  granularity: unknown,
  startMs: unknown,
  open: unknown,
  high: unknown,
  low: unknown,
  close: unknown,
  volume: unknown,
  gapFilled: unknown,
): Candle {
  return parseStored(
    CandleSchema,
    {
      productId,
      granularity,
      startMs: int8(startMs, 'start_ms'),
      open: numberColumn(open, 'open'),
      high: numberColumn(high, 'high'),
      low: numberColumn(low, 'low'),
      close: numberColumn(close, 'close'),
      volume: numberColumn(volume, 'volume'),
      gapFilled: gapFilled === true,
    },
    'candle',
  );
}

function keyOf(candle: Pick<Candle, 'productId' | 'granularity' | 'startMs'>): string {
  return `${candle.productId}/${candle.granularity}/${candle.startMs}`;
}

/** Splits a batch into first occurrences, same-content repeats and other-content repeats. @internal */
export function dedupeBatch(candles: readonly Candle[]): { unique: Candle[]; duplicates: number; conflicts: Conflict[] } {
  const seen = new Map<string, Candle>();
  const unique: Candle[] = [];
  const conflicts: Conflict[] = [];
  let duplicates = 0;
  for (const candle of candles) {
    const key = keyOf(candle);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, candle);
      unique.push(candle);
    } else if (canonicalJson(first) === canonicalJson(candle)) duplicates += 1;
    else conflicts.push({ productId: candle.productId, granularity: candle.granularity, startMs: candle.startMs });
  }
  return { unique, duplicates, conflicts };
}

/**
 * Inserts candles deduplicated on (product, granularity, start): every candle is validated first, and a batch
 * holding a candle that has not closed at the store's now (its clock, or the database's) is refused; repeats
 * inside the batch are settled in memory, then the rest are inserted in one transaction and the ones that
 * already existed are compared with what is stored (same values: duplicate; other values: conflict, not
 * written). Large batches are streamed with COPY (a server; PGlite through a file of its in-memory file system).
 * @internal
 */
export async function putCandles(context: StoreContext, candles: readonly Candle[], state: CandleState): Promise<PutCandlesResult> {
  const parsed = candles.map((candle) => checkCandle(candle));
  if (parsed.length > 0) checkCandlesClosed(parsed, await currentMs(context));
  const batch = dedupeBatch(parsed);
  if (batch.unique.length === 0) return { inserted: 0, duplicates: batch.duplicates, conflicts: batch.conflicts };
  const outcome =
    batch.unique.length <= ONE_STATEMENT_MAX
      ? await insertInOneStatement(context, batch.unique, state)
      : await context.driver.transaction((executor) => insertCandleBatch(context, executor, batch.unique, state));
  await analyzeIfGrownLive(context, 'crypto_prices', outcome.inserted);
  return {
    inserted: outcome.inserted,
    duplicates: batch.duplicates + outcome.duplicates,
    conflicts: [...batch.conflicts, ...outcome.conflicts],
  };
}

/** What inserting a deduplicated batch found. @internal */
export interface InsertOutcome {
  readonly inserted: number;
  /** Candles stored before with the same values. */
  readonly duplicates: number;
  /** Candles stored before with other values (not written). */
  readonly conflicts: readonly Conflict[];
}

const NOTHING_EXISTED = { duplicates: 0, conflicts: [] };

function columnsOf(candles: readonly Candle[]): unknown[] {
  return [
    candles.map((candle) => candle.productId),
    candles.map((candle) => candle.granularity),
    candles.map((candle) => candle.startMs),
    candles.map((candle) => numericText(candle.open)),
    candles.map((candle) => numericText(candle.high)),
    candles.map((candle) => numericText(candle.low)),
    candles.map((candle) => numericText(candle.close)),
    candles.map((candle) => numericText(candle.volume)),
    candles.map((candle) => candle.gapFilled),
  ];
}

// Inserts from `source` (a relation with the candle columns), skipping keys that exist.
async function insertFrom(context: StoreContext, executor: SqlExecutor, source: string, params: unknown[], state: CandleState): Promise<number> {
  const base = params.length;
  const [counted] = await executor.query<{ inserted: string }>(
    `WITH inserted AS (
       INSERT INTO ${context.s}.crypto_prices (${CANDLE_COLUMNS}, state, available_at_ms, updated_at_ms)
       SELECT ${CANDLE_COLUMNS}, $${base + 1}, now_ms.ms, now_ms.ms
       FROM ${source}, (SELECT ${nowSql(base + 2)} AS ms) now_ms
       ON CONFLICT DO NOTHING
       RETURNING 1)
     SELECT count(*) AS inserted FROM inserted`,
    [...params, state, nowParam(context)],
  );
  return int8(counted?.inserted ?? '0', 'inserted');
}

/**
 * Inserts a deduplicated batch inside the caller's transaction (COPY for large batches where the driver has it, unnest
 * otherwise) and compares the keys that existed.
 * @internal
 */
export function insertCandleBatch(context: StoreContext, executor: SqlExecutor, candles: readonly Candle[], state: CandleState): Promise<InsertOutcome> {
  const useCopy = context.driver.copyFrom !== undefined && candles.length >= COPY_THRESHOLD;
  return useCopy ? insertByCopy(context, executor, candles, state) : insertByUnnest(context, executor, candles, state);
}

// Unnest path. As with COPY, when no stored candle lies in the batch's ranges the rows go in with a plain
// INSERT (no speculative insertion per row); a concurrent writer's unique violation rolls back to the
// savepoint and takes the ON CONFLICT path.
async function insertByUnnest(context: StoreContext, executor: SqlExecutor, candles: readonly Candle[], state: CandleState): Promise<InsertOutcome> {
  const source = UNNEST_SOURCE;
  const params = columnsOf(candles);
  if (!(await overlapsStored(context, executor, candles))) {
    await executor.query('SAVEPOINT tradepipe_unnest');
    try {
      await executor.query(
        `INSERT INTO ${context.s}.crypto_prices (${CANDLE_COLUMNS}, state, available_at_ms, updated_at_ms)
         SELECT ${CANDLE_COLUMNS}, $10, now_ms.ms, now_ms.ms FROM ${source}, (SELECT ${nowSql(11)} AS ms) now_ms`,
        [...params, state, nowParam(context)],
      );
      await executor.query('RELEASE SAVEPOINT tradepipe_unnest');
      return { inserted: candles.length, ...NOTHING_EXISTED };
    } catch (error) {
      if (errorCodeOf(error) !== UNIQUE_VIOLATION) throw error;
      await executor.query('ROLLBACK TO SAVEPOINT tradepipe_unnest');
      await executor.query('RELEASE SAVEPOINT tradepipe_unnest');
    }
  }
  const inserted = await insertFrom(context, executor, source, params, state);
  return { inserted, ...(inserted === candles.length ? NOTHING_EXISTED : await compareExisting(context, executor, source, params)) };
}

const UNNEST_SOURCE = `unnest($1::text[], $2::text[], $3::bigint[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[], $9::boolean[])
    AS input(${CANDLE_COLUMNS})`;

const SAME_VALUES = ['open', 'high', 'low', 'close', 'volume', 'gap_filled'].map((column) => `c.${column} = input.${column}`).join(' AND ');

/**
 * One candle (the live path's put) as the one-statement insert's input: a row of scalar parameters. With the
 * arrays of {@link UNNEST_SOURCE}, the generic plan counts 10 input rows where a custom plan sees the one, so once
 * the table had statistics PostgreSQL's plan cache chose a custom plan for every put, planning the whole statement
 * anew each time (on PGlite a put took 0.7–1.0 ms inside the backend, 0.2 ms with its generic plan); a row of
 * scalars is one row to both, and the generic plan is kept.
 */
const ONE_CANDLE_SOURCE = `(SELECT $1::text, $2::text, $3::bigint, $4::numeric, $5::numeric, $6::numeric, $7::numeric, $8::numeric, $9::boolean)
    AS input(${CANDLE_COLUMNS})`;

/** The parameters of {@link ONE_CANDLE_SOURCE}, as {@link columnsOf} gives them for a batch. */
function oneCandleParams(candle: Candle): unknown[] {
  return [
    candle.productId,
    candle.granularity,
    candle.startMs,
    numericText(candle.open),
    numericText(candle.high),
    numericText(candle.low),
    numericText(candle.close),
    numericText(candle.volume),
    candle.gapFilled,
  ];
}

// One statement: insert what is new, and compare the rest with the rows stored before it (its snapshot). A
// key neither inserted nor visible (a concurrent writer's, committed meanwhile) is compared once more after.
async function insertInOneStatement(context: StoreContext, candles: readonly Candle[], state: CandleState): Promise<InsertOutcome> {
  const one = candles.length === 1 ? candles[0] : undefined;
  const [row] = await context.driver.query<{ inserted: string; existing: [string, string, number | string, boolean | null][] }>(
    `WITH input AS (SELECT * FROM ${one === undefined ? UNNEST_SOURCE : ONE_CANDLE_SOURCE}),
     inserted AS (
       INSERT INTO ${context.s}.crypto_prices (${CANDLE_COLUMNS}, state, available_at_ms, updated_at_ms)
       SELECT ${CANDLE_COLUMNS}, $10, now_ms.ms, now_ms.ms FROM input, (SELECT ${nowSql(11)} AS ms) now_ms
       ON CONFLICT DO NOTHING
       RETURNING product_id, granularity, start_ms)
     SELECT (SELECT count(*) FROM inserted) AS inserted,
       coalesce((SELECT json_agg(json_build_array(input.product_id, input.granularity, input.start_ms, ${SAME_VALUES}))
                 FROM input LEFT JOIN ${context.s}.crypto_prices c
                   ON c.product_id = input.product_id AND c.granularity = input.granularity AND c.start_ms = input.start_ms
                 WHERE NOT EXISTS (SELECT 1 FROM inserted i
                                   WHERE i.product_id = input.product_id AND i.granularity = input.granularity AND i.start_ms = input.start_ms)),
                '[]'::json) AS existing`,
    [...(one === undefined ? columnsOf(candles) : oneCandleParams(one)), state, nowParam(context)],
  );
  const existing = row?.existing ?? [];
  const unseen = existing.filter((entry) => entry[3] === null).map(([productId, granularity, startMs]) => ({ productId, granularity, startMs: int8(startMs, 'start_ms') }));
  const later = unseen.length === 0 ? { duplicates: 0, conflicts: [] } : await compareLater(context, candles, unseen);
  return {
    inserted: int8(row?.inserted ?? '0', 'inserted'),
    duplicates: existing.filter((entry) => entry[3] === true).length + later.duplicates,
    conflicts: [...existing.filter((entry) => entry[3] === false).map(conflictOf), ...later.conflicts],
  };
}

function conflictOf([productId, granularity, startMs]: readonly [string, string, number | string, ...unknown[]]): Conflict {
  return { productId, granularity: parseWith(GranularitySchema, granularity, 'stored granularity'), startMs: int8(startMs, 'start_ms') };
}

// Compares the given keys of the batch with what is stored now (a fresh snapshot): a concurrent writer's rows.
async function compareLater(
  context: StoreContext,
  candles: readonly Candle[],
  keys: readonly { productId: string; granularity: string; startMs: number }[],
): Promise<{ duplicates: number; conflicts: Conflict[] }> {
  const wanted = new Set(keys.map((key) => `${key.productId}/${key.granularity}/${key.startMs}`));
  return compareExisting(context, context.driver, UNNEST_SOURCE, columnsOf(candles.filter((candle) => wanted.has(keyOf(candle)))), { ownRowsToo: true });
}

function copyLine(candle: Candle, suffix: string): string {
  const { open, high, low, close, volume } = candle;
  return `${candle.productId}\t${candle.granularity}\t${candle.startMs}\t${open}\t${high}\t${low}\t${close}\t${volume}\t${candle.gapFilled ? 't' : 'f'}${suffix}\n`;
}

const COPY_CHUNK_ROWS = 5_000;

function* copyChunks(candles: readonly Candle[], suffix: string): Generator<string> {
  for (let start = 0; start < candles.length; start += COPY_CHUNK_ROWS) {
    let chunk = '';
    const end = Math.min(candles.length, start + COPY_CHUNK_ROWS);
    for (let index = start; index < end; index += 1) chunk += copyLine(candles[index]!, suffix);
    yield chunk;
  }
}

// COPY path. When no stored candle falls inside the batch's ranges, the rows are copied straight into the
// table (a unique violation from a concurrent writer rolls back to the savepoint and takes the slow path);
// otherwise they are copied into a staging table and inserted from it with ON CONFLICT DO NOTHING.
async function insertByCopy(context: StoreContext, executor: SqlExecutor, candles: readonly Candle[], state: CandleState): Promise<InsertOutcome> {
  const copy = context.driver.copyFrom!;
  if (!(await overlapsStored(context, executor, candles))) {
    const nowMs = await currentMs(context, executor);
    const suffix = `\t${state}\t${nowMs}\t${nowMs}`;
    await executor.query('SAVEPOINT tradepipe_copy');
    try {
      const copied = await copy(executor, `${context.s}.crypto_prices (${CANDLE_COLUMNS}, state, available_at_ms, updated_at_ms)`, copyChunks(candles, suffix));
      await executor.query('RELEASE SAVEPOINT tradepipe_copy');
      return { inserted: copied, ...NOTHING_EXISTED };
    } catch (error) {
      if (errorCodeOf(error) !== UNIQUE_VIOLATION) throw error;
      // Back in the top-level transaction, so rows written next carry its id (see existingRows).
      await executor.query('ROLLBACK TO SAVEPOINT tradepipe_copy');
      await executor.query('RELEASE SAVEPOINT tradepipe_copy');
    }
  }
  await executor.query(
    `CREATE TEMPORARY TABLE IF NOT EXISTS candle_staging (product_id text, granularity text, start_ms bigint, open numeric, high numeric,
       low numeric, close numeric, volume numeric, gap_filled boolean) ON COMMIT DROP`,
  );
  await copy(executor, `candle_staging (${CANDLE_COLUMNS})`, copyChunks(candles, ''));
  const inserted = await insertFrom(context, executor, 'candle_staging', [], state);
  return { inserted, ...(inserted === candles.length ? NOTHING_EXISTED : await compareExisting(context, executor, 'candle_staging input', [])) };
}

// Whether any stored candle lies within the [first, last] start of one of the batch's series.
async function overlapsStored(context: StoreContext, executor: SqlExecutor, candles: readonly Candle[]): Promise<boolean> {
  const ranges = new Map<string, { productId: string; granularity: string; fromMs: number; toMs: number }>();
  for (const candle of candles) {
    const key = `${candle.productId}/${candle.granularity}`;
    const range = ranges.get(key);
    if (range === undefined) ranges.set(key, { productId: candle.productId, granularity: candle.granularity, fromMs: candle.startMs, toMs: candle.startMs });
    else {
      range.fromMs = Math.min(range.fromMs, candle.startMs);
      range.toMs = Math.max(range.toMs, candle.startMs);
    }
  }
  const list = [...ranges.values()];
  const [row] = await executor.query<{ overlaps: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS r(product_id, granularity, from_ms, to_ms)
       WHERE EXISTS (SELECT 1 FROM ${context.s}.crypto_prices c
                     WHERE c.product_id = r.product_id AND c.granularity = r.granularity AND c.start_ms BETWEEN r.from_ms AND r.to_ms)
     ) AS overlaps`,
    [list.map((range) => range.productId), list.map((range) => range.granularity), list.map((range) => range.fromMs), list.map((range) => range.toMs)],
  );
  return row?.overlaps === true;
}

// Compares the batch with the rows of its keys that this transaction did not write (stored before, or
// committed by a concurrent writer meanwhile): equal values are duplicates, other values conflicts.
async function compareExisting(
  context: StoreContext,
  executor: SqlExecutor,
  source: string,
  params: unknown[],
  options: { readonly ownRowsToo?: boolean } = {},
): Promise<{ duplicates: number; conflicts: Conflict[] }> {
  const same = SAME_VALUES;
  const [row] = await executor.query<{ duplicates: string; conflicts: [string, string, number | string][] }>(
    `SELECT count(*) FILTER (WHERE same) AS duplicates,
            coalesce(json_agg(json_build_array(product_id, granularity, start_ms)) FILTER (WHERE NOT same), '[]'::json) AS conflicts
     FROM (SELECT c.product_id, c.granularity, c.start_ms, (${same}) AS same
           FROM ${source} JOIN ${context.s}.crypto_prices c
             ON c.product_id = input.product_id AND c.granularity = input.granularity AND c.start_ms = input.start_ms
           ${options.ownRowsToo === true ? '' : 'WHERE c.xmin <> pg_current_xact_id()::xid'}) compared`,
    params,
  );
  const conflicts = (row?.conflicts ?? []).map(conflictOf);
  return { duplicates: int8(row?.duplicates ?? '0', 'duplicates'), conflicts };
}

// A series' candles as one JSON array of [product, granularity, start, open, high, low, close, volume, gap]
// rows: one value for the driver to decode instead of a row of nine text fields per candle (several times
// cheaper on PGlite for hundreds of candles). Numerics travel as their exact text, so they parse to the
// same doubles as the columns would.
const CANDLE_JSON = 'json_build_array(product_id, granularity, start_ms, open, high, low, close, volume, gap_filled)';

/** A candle read back as a JSON row (see {@link getCandles}), parsed with its schema. */
function candleFromJson(row: unknown): Candle {
  if (!Array.isArray(row) || row.length !== 9) throw new TradepipeError('validation_failed', 'A stored candle row is malformed', { details: { column: 'candle' } });
  // Indexed: no row object between (and no destructuring iterator): the live path reads a window of candles per candle.
  const values = row as unknown[];
  return storedCandle(values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7], values[8]);
}

/**
 * Candles per statement of {@link getCandles}: one JSON value of about 50 MB, far below V8's longest string
 * (2^29 characters ≈ 5 million candles), so a series of any length is read in pages.
 */
const CANDLE_PAGE = 500_000;

/** Candles of a series closed by `asOfMs`, oldest first, read in pages of `pageCandles` (default {@link CANDLE_PAGE}). @internal */
export async function getCandles(context: StoreContext, query: CandleQuery, pageCandles = CANDLE_PAGE): Promise<Candle[]> {
  const lastStartMs = query.asOfMs - GRANULARITIES[query.granularity];
  const series = `product_id = $1 AND granularity = $2 AND start_ms <= $3::bigint`;
  if (query.limit !== undefined && query.limit <= pageCandles) {
    // The live path's read (a window of candles per candle): its text built once per schema.
    let text = LAST_CANDLES_SQL.get(context.s);
    if (text === undefined) {
      text = pageSql(`SELECT * FROM ${context.s}.crypto_prices WHERE ${series} AND ($4::bigint IS NULL OR start_ms >= $4::bigint) ORDER BY start_ms DESC LIMIT $5`);
      if (LAST_CANDLES_SQL.size < 1_000) LAST_CANDLES_SQL.set(context.s, text);
    }
    return candlePage(context, text, [query.productId, query.granularity, lastStartMs, query.fromStartMs ?? null, Math.max(0, query.limit)]);
  }
  let fromStartMs = query.fromStartMs;
  if (query.limit !== undefined) {
    // The first of the last `limit` candles, then everything from there, page by page.
    const [first] = await context.driver.query<{ start_ms: string }>(
      `SELECT start_ms FROM ${context.s}.crypto_prices WHERE ${series} AND ($4::bigint IS NULL OR start_ms >= $4::bigint) ORDER BY start_ms DESC OFFSET $5 LIMIT 1`,
      [query.productId, query.granularity, lastStartMs, query.fromStartMs ?? null, query.limit - 1],
    );
    if (first !== undefined) fromStartMs = Math.max(fromStartMs ?? Number.NEGATIVE_INFINITY, Number(first.start_ms));
  }
  const candles: Candle[] = [];
  for (;;) {
    const after = candles.at(-1)?.startMs;
    const page = await candlePage(
      context,
      pageSql(
        `SELECT * FROM ${context.s}.crypto_prices WHERE ${series} AND ($4::bigint IS NULL OR start_ms >= $4::bigint) AND ($5::bigint IS NULL OR start_ms > $5::bigint) ORDER BY start_ms LIMIT ${pageCandles}`,
      ),
      [query.productId, query.granularity, lastStartMs, fromStartMs ?? null, after ?? null],
    );
    for (const candle of page) candles.push(candle);
    if (page.length < pageCandles) return candles;
  }
}

/** {@link getCandles}'s last-candles statement (see {@link pageSql}) by schema. */
const LAST_CANDLES_SQL = new Map<string, string>();

/** The statement that reads the rows `source` selects as one JSON array, oldest first. */
function pageSql(source: string): string {
  return `SELECT coalesce(json_agg(${CANDLE_JSON} ORDER BY start_ms), '[]'::json) AS candles FROM (${source}) series`;
}

/** One page of candles: `text` ({@link pageSql}) run with `params`. */
async function candlePage(context: StoreContext, text: string, params: readonly unknown[]): Promise<Candle[]> {
  const [row] = await context.driver.query<{ candles: unknown }>(text, params);
  const rows = typeof row?.candles === 'string' ? (JSON.parse(row.candles) as unknown) : row?.candles;
  if (!Array.isArray(rows)) throw new TradepipeError('validation_failed', 'Stored candles came back malformed', { details: { column: 'candles' } });
  return rows.map(candleFromJson);
}

/** The newest candle of a series. @internal */
export async function getLatestCandle(context: StoreContext, productId: string, granularity: Granularity): Promise<Candle | undefined> {
  const rows = await context.driver.query(
    `SELECT ${CANDLE_COLUMNS} FROM ${context.s}.crypto_prices WHERE product_id = $1 AND granularity = $2 ORDER BY start_ms DESC LIMIT 1`,
    [productId, granularity],
  );
  return rows[0] === undefined ? undefined : candleFromRow(rows[0]);
}

/** One candle by its bucket. @internal */
export async function getCandle(context: StoreContext, productId: string, granularity: Granularity, startMs: number): Promise<Candle | undefined> {
  const rows = await context.driver.query(
    `SELECT ${CANDLE_COLUMNS} FROM ${context.s}.crypto_prices WHERE product_id = $1 AND granularity = $2 AND start_ms = $3`,
    [productId, granularity, startMs],
  );
  return rows[0] === undefined ? undefined : candleFromRow(rows[0]);
}
