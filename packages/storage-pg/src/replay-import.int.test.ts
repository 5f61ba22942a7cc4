import { decimal, type PipelineStore, type ReplayImport, type WorkKind } from '@tradepipe/core';
import { testAssessment, testApproval, testCandle, testFill, testOrderIntent, testProduct, testRecommendation, testSignal } from '@tradepipe/core/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL, TEST_START_MS, openTestPool, pgStoreFactory, pgliteStoreFactory, storeOpener } from './test-database.js';

interface Factory {
  createStore(): Promise<PipelineStore>;
  closeStore?(store: PipelineStore): Promise<void>;
  advanceTimeMs(store: PipelineStore, durationMs: number): Promise<void>;
}

const HOUR_MS = 3_600_000;
const candle = (index: number) => testCandle({ index, startMs: TEST_START_MS - (10 - index) * HOUR_MS });
const WORKER = 'replay-test';

/** A trading lifecycle written one call at a time; returns the ids it wrote and the times the import needs. */
async function tradeOneByOne(store: PipelineStore, advance: (ms: number) => Promise<void>) {
  const product = testProduct();
  await store.putProduct(product);
  await store.putBalances([{ currency: 'USD', available: decimal('1000'), hold: decimal('0'), updatedAtMs: TEST_START_MS }]);
  const [done, failed] = [candle(0), candle(1)];
  await store.putCandles([done, failed]);
  const claim = async (kind: WorkKind, state: string) => (await store.claim({ kind, state: state as never, workerId: WORKER, leaseMs: 60_000, limit: 1, ordered: kind !== 'recommendation' }))[0]!;
  const signal = testSignal({ candleStartMs: done.startMs, generatedAtMs: TEST_START_MS });
  await store.complete(await claim('candle', 'PENDING'), { state: 'DONE', writes: [{ type: 'signal', record: signal }] });
  await advance(1_000);
  const retried = await claim('candle', 'PENDING');
  await store.fail(retried, { error: { code: 'storage_failed', message: 'first' }, retryable: true, maxAttempts: 2, backoffMs: 500, terminalState: 'DEAD_LETTER' });
  await advance(1_000);
  await store.fail(await claim('candle', 'PENDING'), { error: { code: 'storage_failed', message: 'second' }, retryable: true, maxAttempts: 2, backoffMs: 500, terminalState: 'DEAD_LETTER' });
  const nowMs = await store.nowMs();
  const recommendation = testRecommendation({ candleStartMs: done.startMs, createdAtMs: nowMs, expiresAtMs: nowMs + HOUR_MS });
  await store.complete(await claim('signal', 'PENDING'), { state: 'DONE', writes: [{ type: 'recommendation', record: recommendation, state: 'PENDING_VALIDATION' }] });
  const validation = { id: `validation-${recommendation.id}`, recommendationId: recommendation.id, validator: 'rules', decision: 'APPROVE' as const, reasons: ['fine'], riskFlags: [], confidence: 0.9, model: 'rules', validatedAtMs: nowMs };
  await store.complete(await claim('recommendation', 'PENDING_VALIDATION'), { state: 'PENDING_RISK', writes: [{ type: 'validation', record: validation }] });
  const held = await claim('recommendation', 'PENDING_RISK');
  const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: HOUR_MS });
  await store.recordRiskDecision({ assessment: testAssessment(recommendation, { assessedAtMs: nowMs }), approval, reservation });
  await store.complete(held, { state: 'PENDING_EXECUTION' });
  await advance(1_000);
  const consumedAtMs = await store.nowMs();
  const { order } = await store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, consumedAtMs));
  await store.updateOrder(order.id, { status: 'SUBMITTED', updatedAtMs: consumedAtMs });
  await store.recordFill(testFill(order, { filledAtMs: consumedAtMs }), { quoteCurrency: 'USD', baseCurrency: 'BTC' });
  await advance(1_000);
  const releasedAtMs = await store.nowMs();
  await store.updateOrder(order.id, { status: 'EXECUTED', filledBaseSize: decimal('0.002'), filledQuoteValue: decimal('100'), totalFees: decimal('1.2'), updatedAtMs: releasedAtMs, completedAtMs: releasedAtMs });
  await store.complete(await claim('recommendation', 'PENDING_EXECUTION'), { state: 'EXECUTED' });
  await store.recordEquity({ atMs: releasedAtMs, equityQuote: 998.8 });
  await store.updateRiskState({ cooldownUntilMs: releasedAtMs + HOUR_MS, updatedAtMs: releasedAtMs });
  return { candles: [done, failed], signal, recommendation, approval, reservation, order, consumedAtMs, releasedAtMs, product };
}

type Traded = Awaited<ReturnType<typeof tradeOneByOne>>;

/** The import that writes what {@link tradeOneByOne} wrote, read back from the store that wrote it. */
async function importOf(store: PipelineStore, traded: Traded, quiet: { candles: ReturnType<typeof candle>[] }): Promise<ReplayImport> {
  const [done, failed] = traded.candles;
  const items: [WorkKind, string][] = [['candle', `BTC-USD/ONE_HOUR/${done!.startMs}`], ['candle', `BTC-USD/ONE_HOUR/${failed!.startMs}`], ['signal', traded.signal.id], ['recommendation', traded.recommendation.id]];
  const deadLetters = await store.listDeadLetters({});
  const statuses = await Promise.all(items.map(async ([kind, id]) => {
    const from = deadLetters.find((letter) => letter.kind === kind && letter.id === id)?.fromState;
    return { kind, id, status: (await store.getWorkStatus(kind, id))!, ...(from === undefined ? {} : { deadLetteredFrom: from }) };
  }));
  return {
    inserts: [{ candles: [done!, failed!, ...quiet.candles], signals: [{ record: traded.signal, state: 'DONE' }], recommendations: [{ record: traded.recommendation, state: 'EXECUTED' }] }],
    statuses,
    validations: await store.listValidations(traded.recommendation.id),
    assessments: [(await store.getRiskAssessment(traded.recommendation.id))!],
    approvals: [{ approval: traded.approval, consumedAtMs: traded.consumedAtMs, consumedByOrderId: traded.order.id }],
    reservations: [{ reservation: traded.reservation, orderId: traded.order.id, releasedAtMs: traded.releasedAtMs }],
    orders: await store.listOrders({}),
    fills: await store.listFills(traded.order.id),
    positions: [(await store.getPosition('BTC-USD'))!],
    balances: await store.listBalances(),
    riskState: await store.getRiskState(),
    equity: [{ atMs: traded.releasedAtMs, equityQuote: 998.8 }],
    products: await store.listProducts(),
  };
}

/** Everything the public API reads about the lifecycle's records. */
async function readBack(store: PipelineStore, traded: Traded) {
  const ids = traded.candles.map((one) => `BTC-USD/ONE_HOUR/${one.startMs}`);
  return {
    candles: await store.getCandles({ productId: 'BTC-USD', granularity: 'ONE_HOUR', asOfMs: TEST_START_MS + HOUR_MS }),
    candleStatuses: await Promise.all(ids.map((id) => store.getWorkStatus('candle', id))),
    signal: await store.getSignal(traded.signal.id),
    signalStatus: await store.getWorkStatus('signal', traded.signal.id),
    recommendation: await store.getRecommendation(traded.recommendation.id),
    validations: await store.listValidations(traded.recommendation.id),
    assessment: await store.getRiskAssessment(traded.recommendation.id),
    approval: await store.getApproval(traded.recommendation.id),
    reservations: await store.listActiveReservations(),
    orders: await store.listOrders({}),
    ordersSince: await store.countOrdersSince(0),
    fills: await store.listFills(traded.order.id),
    positions: await store.listPositions(),
    balances: await store.listBalances(),
    riskState: await store.getRiskState(),
    dayStartEquity: await store.getDayStartEquity(traded.releasedAtMs - (traded.releasedAtMs % 86_400_000)),
    deadLetters: await store.listDeadLetters({}),
    counts: [await store.countByState('candle'), await store.countByState('signal'), await store.countByState('recommendation')],
    products: await store.listProducts(),
  };
}

function describeReplayImport(label: string, factory: Factory): void {
  describe(`importReplay: ${label}`, { timeout: 240_000 }, () => {
    const open = storeOpener(factory);

    it('holds trading history only once a record beyond products, balances, risk state and settled market data is stored', async () => {
      const store = await open();
      expect(await store.holdsTradingHistory!()).toBe(false);
      await store.putProduct(testProduct());
      await store.putBalances([{ currency: 'USD', available: decimal('5'), hold: decimal('0'), updatedAtMs: TEST_START_MS }]);
      await store.putCandles([candle(0)], { state: 'DONE' });
      await store.writeBulk({ signals: [{ record: testSignal({ candleStartMs: candle(0).startMs }), state: 'DONE' }] });
      await store.saveCheckpoint('features/x', { a: 1 }, TEST_START_MS);
      expect(await store.holdsTradingHistory!()).toBe(false);
      await store.putCandles([candle(1)]);
      expect(await store.holdsTradingHistory!()).toBe(true);
      const other = await open();
      await other.insertRecommendation(testRecommendation(), 'REJECTED', 'no');
      expect(await other.holdsTradingHistory!()).toBe(true);
    });

    it('leaves exactly what the same records written one call at a time leave, and the store behaves the same afterwards', async () => {
      const reference = await open();
      const traded = await tradeOneByOne(reference, (ms) => factory.advanceTimeMs(reference, ms));
      const quiet = { candles: [candle(2), candle(3)] };
      await reference.writeBulk({ candles: quiet.candles });
      const imported = await open();
      await factory.advanceTimeMs(imported, 4_000); // the same clock as the reference's
      await imported.putProduct(traded.product);
      await imported.putBalances([{ currency: 'USD', available: decimal('1000'), hold: decimal('0'), updatedAtMs: TEST_START_MS }]);
      expect(await imported.holdsTradingHistory!()).toBe(false);
      await imported.importReplay!(await importOf(reference, traded, quiet));
      expect(await readBack(imported, traded)).toEqual(await readBack(reference, traded));
      expect(await imported.holdsTradingHistory!()).toBe(true);
      // The approval stays consumed, and the dead letter goes back where it came from, as on the reference.
      const again = testOrderIntent(traded.approval, traded.consumedAtMs);
      await expect(imported.consumeApprovalAndRecordOrderIntent(traded.approval, again)).rejects.toMatchObject({ code: 'approval_consumed' });
      const failedId = `BTC-USD/ONE_HOUR/${traded.candles[1]!.startMs}`;
      const action = { reason: 'retry it', operator: 'ops' };
      expect(await imported.requeueDeadLetter('candle', failedId, action)).toEqual(await reference.requeueDeadLetter('candle', failedId, action));
      const claimed = await imported.claim({ kind: 'candle', state: 'PENDING', workerId: WORKER, leaseMs: 1_000, limit: 5, ordered: true });
      expect(claimed.map((claim) => claim.id)).toEqual([failedId]);
    });

    it('writes nothing when a record exists already: the import is one transaction', async () => {
      const reference = await open();
      const traded = await tradeOneByOne(reference, (ms) => factory.advanceTimeMs(reference, ms));
      const batch = await importOf(reference, traded, { candles: [] });
      const target = await open();
      await factory.advanceTimeMs(target, 4_000);
      await target.putProduct(traded.product);
      await target.putBalances([{ currency: 'USD', available: decimal('1000'), hold: decimal('0'), updatedAtMs: TEST_START_MS }]);
      // The fill is stored already: everything before it in the import is undone with it.
      await target.recordFill(batch.fills[0]!, { quoteCurrency: 'USD', baseCurrency: 'BTC' });
      const before = await readBack(target, traded);
      await expect(target.importReplay!(batch)).rejects.toMatchObject({ code: 'storage_failed' });
      expect(await readBack(target, traded)).toEqual(before);
      expect(before.orders).toEqual([]);
    });

    it('writes nothing and fails with record_conflict when the risk state or a balance is not what the importer expects (changed by someone else)', async () => {
      const reference = await open();
      const traded = await tradeOneByOne(reference, (ms) => factory.advanceTimeMs(reference, ms));
      const batch = await importOf(reference, traded, { candles: [] });
      const prepare = async (): Promise<{ target: PipelineStore; expected: NonNullable<ReplayImport['expected']> }> => {
        const target = await open();
        await factory.advanceTimeMs(target, 4_000);
        await target.putProduct(traded.product);
        await target.putBalances([{ currency: 'USD', available: decimal('1000'), hold: decimal('0'), updatedAtMs: TEST_START_MS }]);
        return { target, expected: { riskState: await target.getRiskState(), balances: await target.listBalances() } };
      };
      // An operator engages the kill switch after the importer read the risk state: the import must not disengage it.
      const killed = await prepare();
      const nowMs = await killed.target.nowMs();
      await killed.target.updateRiskState({ killSwitch: { engaged: true, mode: 'freeze', reason: 'operator', changedAtMs: nowMs }, updatedAtMs: nowMs });
      const before = await readBack(killed.target, traded);
      await expect(killed.target.importReplay!({ ...batch, expected: killed.expected })).rejects.toMatchObject({ code: 'record_conflict' });
      expect(await readBack(killed.target, traded)).toEqual(before);
      expect(before.riskState.killSwitch.engaged).toBe(true);
      // A balance sync after the importer read the balances: its figures stand.
      const synced = await prepare();
      await synced.target.putBalances([{ currency: 'USD', available: decimal('1500'), hold: decimal('0'), updatedAtMs: TEST_START_MS + 1 }]);
      const syncedBefore = await readBack(synced.target, traded);
      await expect(synced.target.importReplay!({ ...batch, expected: synced.expected })).rejects.toMatchObject({ code: 'record_conflict' });
      expect(await readBack(synced.target, traded)).toEqual(syncedBefore);
      // A currency appeared: also a change.
      const added = await prepare();
      await added.target.putBalances([{ currency: 'BTC', available: decimal('1'), hold: decimal('0'), updatedAtMs: TEST_START_MS }]);
      await expect(added.target.importReplay!({ ...batch, expected: added.expected })).rejects.toMatchObject({ code: 'record_conflict' });
      expect((await added.target.listOrders({})).length).toBe(0);
      // Unchanged: the import goes through, and what it wrote is what the store now holds.
      const same = await prepare();
      await same.target.importReplay!({ ...batch, expected: same.expected });
      expect(await readBack(same.target, traded)).toEqual(await readBack(reference, traded));
    });
  });
}

const pglite = pgliteStoreFactory('import');
afterAll(async () => {
  await pglite.closeDatabase();
});
describeReplayImport('pglite', pglite);

const pool = await openTestPool();
afterAll(async () => {
  await pool?.end();
});
/** Budget for the import to reach its lock wait: a readiness wait, generous for a loaded machine. */
const LOCK_WAIT_BUDGET_MS = 60_000;

/**
 * Waits until a backend is blocked by the backend `blockerPid` (the import, waiting on the balance sync); returns
 * the lock it waits for (its mode, and the relation it is on, if any).
 */
async function blockedBy(pool: pg.Pool, blockerPid: number): Promise<{ mode: string; relation: string | null }> {
  const deadline = performance.now() + LOCK_WAIT_BUDGET_MS;
  for (;;) {
    const { rows } = await pool.query<{ mode: string; relation: string | null }>(
      'SELECT l.mode, l.relation::regclass::text AS relation FROM pg_locks l WHERE NOT l.granted AND $1 = ANY(pg_blocking_pids(l.pid))',
      [blockerPid],
    );
    if (rows[0] !== undefined) return rows[0];
    if (performance.now() > deadline) throw new Error(`no backend waited on the balance sync (pid ${blockerPid}) within ${LOCK_WAIT_BUDGET_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.runIf(pool !== undefined)('PostgreSQL server', () => {
  if (pool === undefined) return;
  const factory = pgStoreFactory(pool, 'import', { manualClock: true });
  describeReplayImport('postgres', factory);

  describe('importReplay: postgres, beside a balance sync in flight', { timeout: 240_000 }, () => {
    const open = storeOpener(factory);

    it('waits for a balance sync inserting a new currency (not committed when the import starts), then fails with record_conflict and writes nothing', async () => {
      const reference = await open();
      const traded = await tradeOneByOne(reference, (ms) => factory.advanceTimeMs(reference, ms));
      const batch = await importOf(reference, traded, { candles: [] });
      expect(batch.balances.map((balance) => balance.currency)).toContain('BTC'); // the import writes the currency the sync adds
      const target = await open();
      const schema = factory.schemaOf(target);
      await factory.advanceTimeMs(target, 4_000);
      await target.putProduct(traded.product);
      await target.putBalances([{ currency: 'USD', available: decimal('1000'), hold: decimal('0'), updatedAtMs: TEST_START_MS }]);
      const expected = { riskState: await target.getRiskState(), balances: await target.listBalances() };
      const before = await readBack(target, traded);
      expect(before.balances.map((balance) => balance.currency)).toEqual(['USD']);

      // The balance sync, on a connection of its own: a new currency's row, inserted and not yet committed.
      const sync = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await sync.connect();
      let outcome: unknown;
      let waited: Awaited<ReturnType<typeof blockedBy>> | undefined;
      try {
        const [{ pid: syncPid }] = (await sync.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
        await sync.query('BEGIN');
        await sync.query(`INSERT INTO "${schema}".balances (currency, available, hold, updated_at_ms) VALUES ('BTC', 0.5, 0, $1)`, [TEST_START_MS + 1]);
        const importing = target.importReplay!({ ...batch, expected }).then(
          () => 'imported',
          (error: unknown) => error,
        );
        waited = await blockedBy(pool, syncPid);
        await sync.query('COMMIT');
        outcome = await importing;
      } finally {
        await sync.end();
      }
      expect(outcome).toMatchObject({ code: 'record_conflict', details: { operation: 'importReplay', balancesChanged: true, riskStateChanged: false } });
      // Nothing of the import is written; the sync's balance stands as it committed it.
      const after = await readBack(target, traded);
      expect({ ...after, balances: before.balances }).toEqual(before);
      expect(after.balances.map((balance) => [balance.currency, balance.available, balance.updatedAtMs])).toEqual([
        ['USD', '1000', TEST_START_MS],
        ['BTC', '0.5', TEST_START_MS + 1],
      ]);
      // It waited for the sync on the balances table's lock, before it compared anything (not on the row it upserts).
      expect(waited).toEqual({ mode: 'ShareRowExclusiveLock', relation: `${schema}.balances` });
    });
  });
});
