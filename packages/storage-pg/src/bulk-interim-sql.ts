import { CandleSchema, TradepipeError, canonicalJson, parseRecordWrite, parseWith, type BulkWrite, type Candle, type RecordWrite } from '@tradepipe/core';
import { candleFromRow } from './candles-sql.js';
import { nowParam, nowSql, type StoreContext } from './context.js';
import { applyRecordWrite } from './records-sql.js';
import { numericText } from './rows.js';
import type { SqlExecutor } from './sql-driver.js';

const CANDLE_COLUMNS = 'product_id, granularity, start_ms, open, high, low, close, volume, gap_filled';
const CANDLE_SOURCE = `unnest($1::text[], $2::text[], $3::bigint[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[], $9::boolean[])
  AS input(${CANDLE_COLUMNS})`;

function candleColumns(candles: readonly Candle[]): unknown[] {
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

/** Inserts the candles that are new; throws `record_conflict` if a stored one has other values. */
async function insertCandles(context: StoreContext, executor: SqlExecutor, candles: readonly Candle[], state: string): Promise<void> {
  if (candles.length === 0) return;
  const params = candleColumns(candles);
  await executor.query(
    `INSERT INTO ${context.s}.crypto_prices (${CANDLE_COLUMNS}, state, available_at_ms, updated_at_ms)
     SELECT ${CANDLE_COLUMNS}, $10, n.ms, n.ms FROM ${CANDLE_SOURCE}, (SELECT ${nowSql(11)} AS ms) n ON CONFLICT DO NOTHING`,
    [...params, state, nowParam(context)],
  );
  const stored = await executor.query(
    `SELECT p.* FROM ${context.s}.crypto_prices p JOIN ${CANDLE_SOURCE} USING (product_id, granularity, start_ms)`,
    params,
  );
  const given = new Map(candles.map((candle) => [`${candle.productId}/${candle.granularity}/${candle.startMs}`, canonicalJson(candle)]));
  for (const row of stored) {
    const candle = candleFromRow(row);
    if (given.get(`${candle.productId}/${candle.granularity}/${candle.startMs}`) !== canonicalJson(candle)) {
      throw new TradepipeError('record_conflict', 'A candle with this key exists with other values; the first write stands', { details: { type: 'candle', startMs: candle.startMs } });
    }
  }
}

/**
 * `writeBulk` on SQL, interim (perf branch): one transaction of the existing statements (candles in one
 * statement, each signal and recommendation as its own insert). The `pg` branch's bulk SQL replaces it.
 * @internal
 */
export async function writeBulkInterim(context: StoreContext, batch: BulkWrite): Promise<void> {
  const candles = (batch.candles ?? []).map((candle) => parseWith(CandleSchema, candle, 'candle'));
  const inBatch = new Map<string, string>();
  for (const candle of candles) {
    const key = `${candle.productId}/${candle.granularity}/${candle.startMs}`;
    const content = canonicalJson(candle);
    if ((inBatch.get(key) ?? content) !== content) throw new TradepipeError('record_conflict', 'Two candles of the batch share a key with other values', { details: { type: 'candle', startMs: candle.startMs } });
    inBatch.set(key, content);
  }
  const unique = candles.filter((candle, index) => candles.findIndex((other) => other.startMs === candle.startMs && other.productId === candle.productId && other.granularity === candle.granularity) === index);
  const writes: { write: RecordWrite; state: string; reason: string | null }[] = [
    ...(batch.signals ?? []).map((item) => ({ write: parseRecordWrite({ type: 'signal', record: item.record }), state: item.state, reason: item.reason ?? null })),
    ...(batch.recommendations ?? []).map((item) => ({ write: parseRecordWrite({ type: 'recommendation', ...item }), state: item.state, reason: item.reason ?? null })),
  ];
  const now = nowParam(context);
  await context.driver.transaction(async (executor) => {
    await insertCandles(context, executor, unique, batch.candleState ?? 'DONE');
    for (const { write, state, reason } of writes) {
      const result = await applyRecordWrite(context, executor, write, now);
      if (result.status === 'inserted' && write.type === 'signal' && (state !== 'PENDING' || reason !== null)) {
        await executor.query(`UPDATE ${context.s}.trading_signals SET state = $2, state_reason = $3 WHERE id = $1`, [write.record.id, state, reason]);
      }
    }
  });
}
