import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createManualClock, decimal, isTradepipeError, type Claim, type ManualClock, type PipelineStore } from '@tradepipe/core';
import { testApproval, testAssessment, testCandle, testFill, testOrderIntent, testRecommendation, testSignal } from '@tradepipe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgStore } from './pg-store.js';
import { TEST_DATABASE_URL, dropSchema, openTestPool, testSchemaName } from './test-database.js';

const pool = await openTestPool();
const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe.runIf(pool !== undefined)('two replicas on one PostgreSQL server (database clock)', () => {
  const schema = testSchemaName('concurrency');
  let first: PipelineStore;
  let second: PipelineStore;

  beforeAll(async () => {
    // Two stores with their own pools: two replicas of a stage as far as the server can tell.
    first = await createPgStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4 });
    second = await createPgStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4 });
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    if (pool !== undefined) {
      await dropSchema(pool, schema);
      await pool.end();
    }
  });

  it('two concurrent workers never process the same candle, and keep each partition in order', async () => {
    const products = ['BTC-USD', 'ETH-USD', 'SOL-USD'];
    const candles = products.flatMap((productId) => Array.from({ length: 40 }, (_, index) => testCandle({ index, productId, granularity: 'ONE_MINUTE' })));
    await first.putCandles(candles);
    const processed: { worker: string; id: string; partition: string; startMs: number }[] = [];
    const claimTwo = (store: PipelineStore, worker: string) => store.claim({ kind: 'candle', state: 'PENDING', workerId: worker, leaseMs: 30_000, limit: 2, ordered: true });
    const work = async (store: PipelineStore, worker: string, firstClaims: readonly Claim<'candle'>[]): Promise<void> => {
      for (let claims = firstClaims; ; claims = await claimTwo(store, worker)) {
        for (const claim of claims) {
          const startMs = Number(claim.id.split('/')[2]);
          processed.push({ worker, id: claim.id, partition: claim.partitionKey, startMs });
          const [productId] = claim.partitionKey.split('/');
          const signal = testSignal({ productId: productId!, granularity: 'ONE_MINUTE', candleStartMs: startMs });
          await store.complete(claim, { state: 'DONE', writes: [{ type: 'signal', record: signal }] });
        }
        // Done once no candle is left PENDING (claimed by the other worker counts as left: it may hand it back).
        if (((await store.countByState('candle')).PENDING ?? 0) === 0) return;
        // The other worker holds the next candle of every partition: poll again shortly (no fixed wait decides the outcome).
        if (claims.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    // Both claim before either completes: with three partitions and two claims each, both workers get work
    // whatever the machine's load (before, a busy machine could let one worker take everything).
    const claimsA = await claimTwo(first, 'a');
    const claimsB = await claimTwo(second, 'b');
    expect(claimsA.length).toBeGreaterThan(0);
    expect(claimsB.length).toBeGreaterThan(0);
    await Promise.all([work(first, 'a', claimsA), work(second, 'b', claimsB)]);
    const ids = processed.map((item) => item.id);
    expect(ids).toHaveLength(candles.length);
    expect(new Set(ids).size).toBe(candles.length);
    expect(new Set(processed.map((item) => item.worker))).toEqual(new Set(['a', 'b']));
    for (const partition of new Set(processed.map((item) => item.partition))) {
      const starts = processed.filter((item) => item.partition === partition).map((item) => item.startMs);
      expect(starts).toEqual([...starts].sort((a, b) => a - b));
    }
    expect(await first.countByState('candle')).toEqual({ DONE: candles.length });
    expect(await second.countByState('signal')).toEqual({ PENDING: candles.length });
  });

  it('hands every recommendation to exactly one of many concurrent claimers', async () => {
    const recommendations = Array.from({ length: 60 }, (_, index) => testRecommendation({ index, pipelineId: 'claimers' }));
    for (const recommendation of recommendations) await first.insertRecommendation(recommendation, 'PENDING_RISK');
    const claimLoop = async (store: PipelineStore, worker: string): Promise<string[]> => {
      const mine: string[] = [];
      for (;;) {
        const claims = await store.claim({ kind: 'recommendation', state: 'PENDING_RISK', workerId: worker, leaseMs: 30_000, limit: 3 });
        if (claims.length === 0) return mine;
        mine.push(...claims.map((claim) => claim.id));
      }
    };
    const batches = await Promise.all([claimLoop(first, 'a1'), claimLoop(first, 'a2'), claimLoop(second, 'b1'), claimLoop(second, 'b2')]);
    const ids = batches.flat();
    expect(ids.length).toBe(recommendations.length);
    expect(new Set(ids).size).toBe(recommendations.length);
  });

  it('leaves the item of a worker killed mid-item (SIGKILL) to be reclaimed after its lease, and fences the dead worker', async () => {
    const candle = testCandle({ index: 0, productId: 'ADA-USD' });
    await first.putCandles([candle]);
    const leaseMs = 1_500;
    const child = spawn(process.execPath, ['--conditions=@tradepipe/source', '--import', 'tsx', 'scripts/claim-and-hang.ts', TEST_DATABASE_URL, schema, String(leaseMs)], {
      cwd: packageDir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const dead = JSON.parse(line) as Claim<'candle'>;
    expect(dead.id).toBe(`ADA-USD/ONE_HOUR/${candle.startMs}`);
    child.kill('SIGKILL');
    await once(child, 'exit');
    // Still leased by the dead worker: nobody else may take it yet.
    const claimAda = async (): Promise<Claim<'candle'> | undefined> =>
      (await second.claim({ kind: 'candle', state: 'PENDING', workerId: 'survivor', leaseMs: 30_000, limit: 5, ordered: true })).find(
        (claim) => claim.id === dead.id,
      );
    expect(await claimAda()).toBeUndefined();
    let reclaimed: Claim<'candle'> | undefined;
    const deadlineMs = Date.now() + 120_000;
    while (reclaimed === undefined && Date.now() < deadlineMs) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      reclaimed = await claimAda();
    }
    expect(reclaimed).toBeDefined();
    expect(reclaimed!.fencingToken).toBeGreaterThan(dead.fencingToken);
    expect(reclaimed!.leaseExpiresAtMs).toBeGreaterThanOrEqual(dead.leaseExpiresAtMs);
    // The dead worker's late completion (its token, replayed) is refused; the survivor's goes through once.
    await expect(first.complete(dead, { state: 'DONE' })).rejects.toMatchObject({ code: 'lease_lost' });
    await second.complete(reclaimed!, { state: 'DONE' });
    await expect(second.complete(reclaimed!, { state: 'DONE' })).rejects.toMatchObject({ code: 'lease_lost' });
    expect((await first.getWorkStatus('candle', dead.id))?.state).toBe('DONE');
  }, 240_000);

  it('lets two replicas approve concurrently without exceeding the exposure limit', async () => {
    const nowMs = await first.nowMs();
    const recommendations = Array.from({ length: 10 }, (_, index) => testRecommendation({ index, pipelineId: 'exposure', productId: 'XRP-USD' }));
    const results = await Promise.allSettled(
      recommendations.map((recommendation, index) => {
        const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 600_000 });
        const store = index % 2 === 0 ? first : second;
        return store.recordRiskDecision({
          assessment: testAssessment(recommendation),
          approval,
          reservation,
          limits: { maxProductExposureQuote: 450 },
          markPrices: { 'XRP-USD': 1 },
        });
      }),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(4);
    for (const result of results) {
      if (result.status === 'rejected') expect(isTradepipeError(result.reason, 'exposure_limit_exceeded')).toBe(true);
    }
    const active = (await second.listActiveReservations()).filter((reservation) => reservation.productId === 'XRP-USD');
    expect(active).toHaveLength(4);
  });

  it('loses no fill when concurrent fills credit a currency that has no balance row yet', async () => {
    // Sixteen SELL fills of sixteen products quoted in a currency nobody holds yet, spread over both replicas'
    // eight connections: each credits 100 − 1 fee. Every one must land, whatever the interleaving.
    const fills = Array.from({ length: 16 }, (_, index) => {
      const orderId = `order-new-quote-${index}`;
      return {
        id: `fill-new-quote-${index}`,
        orderId,
        clientOrderId: `client-new-quote-${index}`,
        venue: 'paper' as const,
        productId: `B${index}-NEWQ`,
        side: 'SELL' as const,
        price: decimal('100'),
        sizeBase: decimal('1'),
        commission: decimal('1'),
        liquidity: 'TAKER' as const,
        filledAtMs: 1_700_000_000_000 + index,
      };
    });
    const results = await Promise.all(fills.map((fill, index) => (index % 2 === 0 ? first : second).recordFill(fill, { quoteCurrency: 'NEWQ', baseCurrency: `B${index}` })));
    expect(results.every((result) => result.status === 'inserted')).toBe(true);
    const balances = await first.listBalances();
    expect(balances.find((balance) => balance.currency === 'NEWQ')?.available).toBe(decimal('1584'));
  });

  /** Resolves once `count` sessions of this test's schema wait on a lock (readiness, not a sleep). */
  async function sessionsWaitingOnLocks(count: number): Promise<void> {
    for (;;) {
      const { rows } = await pool!.query(`SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND strpos(query, $1) > 0`, [`"${schema}".balances`]);
      if (rows[0].waiting >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** A SELL fill of one unit at 10, no fee. */
  const sellFill = (id: string, productId: string) => ({
    id, orderId: `order-${id}`, clientOrderId: `client-${id}`, venue: 'paper' as const, productId, side: 'SELL' as const,
    price: decimal('10'), sizeBase: decimal('1'), commission: decimal('0'), liquidity: 'TAKER' as const, filledAtMs: 1_700_000_000_000,
  });

  /** Holds a balance row's lock on a connection of its own until the returned function is called. */
  async function holdBalance(currency: string): Promise<() => Promise<void>> {
    const holder = await pool!.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM "${schema}".balances WHERE currency = $1 FOR UPDATE`, [currency]);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      try {
        await holder.query('ROLLBACK');
      } finally {
        holder.release();
      }
    };
  }

  /**
   * With `held`'s row locked elsewhere: starts `sync`, waits until it waits on a lock, starts `fill`, waits until
   * both wait, releases, and returns both outcomes' errors (none expected) and the balances afterwards.
   */
  async function interleave(held: string, sync: () => Promise<unknown>, fill: () => Promise<unknown>): Promise<{ errors: string[]; balances: Record<string, string> }> {
    const release = await holdBalance(held);
    let results: PromiseSettledResult<unknown>[];
    try {
      const syncing = sync();
      await sessionsWaitingOnLocks(1);
      const filling = fill();
      await sessionsWaitingOnLocks(2);
      await release();
      results = await Promise.allSettled([syncing, filling]);
    } finally {
      await release();
    }
    const errors = results.filter((result) => result.status === 'rejected').map((result) => String((result as PromiseRejectedResult).reason));
    return { errors, balances: Object.fromEntries((await first.listBalances()).map((balance) => [balance.currency, balance.available])) };
  }

  it('never deadlocks a balance sync listing the quote first against a fill locking in byte order', async () => {
    // The sync waits on SYNCQ (held), the fill then wants ASYNC and SYNCQ: both must queue in one order, or on
    // release each holds what the other wants and PostgreSQL aborts one (40P01).
    const sync = [
      { currency: 'SYNCQ', available: decimal('1000'), hold: decimal('0'), updatedAtMs: 1_700_000_000_000 },
      { currency: 'ASYNC', available: decimal('5'), hold: decimal('0'), updatedAtMs: 1_700_000_000_000 },
    ];
    await first.putBalances(sync);
    const { errors, balances } = await interleave(
      'SYNCQ',
      () => first.putBalances(sync),
      () => second.recordFill(sellFill('sync-order', 'ASYNC-SYNCQ'), { quoteCurrency: 'SYNCQ', baseCurrency: 'ASYNC' }),
    );
    expect(errors).toEqual([]);
    expect(balances).toMatchObject({ SYNCQ: decimal('1010'), ASYNC: decimal('4') });
  });

  it('never deadlocks a balance sync bringing a new currency against the first fill in it', async () => {
    // USDQ is held; the sync lists USDQ and the new SOLQ; the first SOLQ-USDQ fill creates SOLQ too. The sync
    // creates SOLQ first, so the fill waits for the sync rather than holding SOLQ against it.
    await first.putBalances([{ currency: 'USDQ', available: decimal('100'), hold: decimal('0'), updatedAtMs: 1_700_000_000_000 }]);
    const { errors, balances } = await interleave(
      'USDQ',
      () =>
        first.putBalances([
          { currency: 'USDQ', available: decimal('500'), hold: decimal('0'), updatedAtMs: 1_700_000_000_000 },
          { currency: 'SOLQ', available: decimal('3'), hold: decimal('0'), updatedAtMs: 1_700_000_000_000 },
        ]),
      () => second.recordFill(sellFill('first-solq', 'SOLQ-USDQ'), { quoteCurrency: 'USDQ', baseCurrency: 'SOLQ' }),
    );
    expect(errors).toEqual([]);
    // The sync went first (it queued first); the fill applied on top of the venue's figures.
    expect(balances).toMatchObject({ USDQ: decimal('510'), SOLQ: decimal('2') });
  });

  /** An order held open (`HELD_TEST`) with one fill, recorded through `first`. */
  async function heldOrderWithAFill(index: number) {
    const recommendation = testRecommendation({ pipelineId: 'held', index });
    const nowMs = await first.nowMs();
    const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
    await first.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
    const { order } = await first.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs));
    await first.updateOrder(order.id, { status: 'SUBMITTED', submittedAtMs: nowMs, updatedAtMs: nowMs });
    const held = await first.updateOrder(order.id, { status: 'ACKNOWLEDGED', exchangeOrderId: `x-held-${index}`, statusReason: 'HELD_TEST', updatedAtMs: nowMs });
    await first.recordFill(testFill(order, { id: `fill-held-${index}-1` }), { quoteCurrency: 'USD', baseCurrency: 'BTC' });
    return { order: held, nowMs, asRead: { status: held.status, statusReason: held.statusReason } };
  }

  /** A connection of its own in a transaction, and a wait until another session waits on a lock it holds (readiness, bounded). */
  async function openHolder() {
    const holder = await pool!.connect();
    await holder.query('BEGIN');
    const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const blocking = async (): Promise<void> => {
      for (let polls = 0; ; polls += 1) {
        const { rows } = await pool!.query<{ waiting: string }>(`SELECT count(*) AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND $1 = ANY (pg_blocking_pids(pid))`, [pid]);
        if (Number(rows[0]!.waiting) > 0) return;
        if (polls > 3_000) throw new Error('nothing waited for the holder\'s lock');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const end = async (): Promise<void> => {
      await holder.query('ROLLBACK').catch(() => undefined); // after a COMMIT: a warning only
      holder.release();
    };
    return { holder, blocking, end };
  }

  const codeOf = (error: unknown): string => (isTradepipeError(error) ? error.code : String(error));

  it('books no fill read off the venue onto an order an operator ends meanwhile (the fill waits for the end, then refuses)', async () => {
    const { order, asRead } = await heldOrderWithAFill(1);
    const { holder, blocking, end } = await openHolder();
    try {
      // The settlement's update holds the order's row; the order sync's fill, read while the order was held, waits.
      await holder.query(`SELECT 1 FROM "${schema}".orders WHERE id = $1 FOR UPDATE`, [order.id]);
      const booked = second.recordFill(testFill(order, { id: 'fill-held-1-late', filledAtMs: order.createdAtMs + 2_000 }), { quoteCurrency: 'USD', baseCurrency: 'BTC', expectedOrder: asRead }).then(() => 'booked', codeOf);
      await blocking();
      await holder.query(`UPDATE "${schema}".orders SET status = 'EXECUTED', status_reason = 'OPERATOR_SETTLED_AFTER_HELD_TEST: checked' WHERE id = $1`, [order.id]);
      await holder.query('COMMIT');
      expect(await booked).toBe('order_conflict');
    } finally {
      await end();
    }
    expect((await first.listFills(order.id)).map((fill) => fill.id)).toEqual(['fill-held-1-1']);
  });

  it('ends no order with a fill count a fill committed meanwhile makes wrong (the end waits for the fill, then refuses)', async () => {
    const { order, nowMs, asRead } = await heldOrderWithAFill(2);
    const { holder, blocking, end } = await openHolder();
    try {
      // The order sync's fill in flight: the order's row shared (as recordFill with expectedOrder takes it), the fill inserted, not committed.
      await holder.query(`SELECT 1 FROM "${schema}".orders WHERE id = $1 FOR SHARE`, [order.id]);
      await holder.query(
        `INSERT INTO "${schema}".fills (id, order_id, client_order_id, venue, product_id, side, price, size_base, commission, liquidity, filled_at_ms) VALUES ($1, $2, $3, $4, $5, $6, 50000, 0.001, 0.6, 'TAKER', $7)`,
        ['fill-held-2-sync', order.id, order.clientOrderId, order.venue, order.productId, order.side, order.createdAtMs + 2_000],
      );
      // The settlement counted one fill before; its end waits for the fill's transaction.
      const ended = second
        .updateOrder(order.id, { status: 'EXECUTED', filledBaseSize: decimal('0.002'), statusReason: 'OPERATOR_SETTLED_AFTER_HELD_TEST: checked', completedAtMs: nowMs, updatedAtMs: nowMs, expected: { ...asRead, fillCount: 1 } })
        .then(() => 'ended', codeOf);
      await blocking();
      await holder.query('COMMIT');
      expect(await ended).toBe('order_conflict');
    } finally {
      await end();
    }
    expect(await first.getOrder(order.id)).toMatchObject({ status: 'ACKNOWLEDGED', statusReason: 'HELD_TEST' });
    expect(await first.listFills(order.id)).toHaveLength(2);
  });

  it('writes no duplicates when two writers replay the same candles and records at once', async () => {
    const candles = Array.from({ length: 3_000 }, (_, index) => testCandle({ index, productId: 'DOT-USD', granularity: 'ONE_MINUTE' }));
    const [a, b] = await Promise.all([first.putCandles(candles), second.putCandles(candles)]);
    expect(a.inserted + b.inserted).toBe(candles.length);
    expect(a.duplicates + b.duplicates).toBe(candles.length);
    expect([...a.conflicts, ...b.conflicts]).toEqual([]);
    const again = await first.putCandles(candles.slice(0, 2_500));
    expect(again).toEqual({ inserted: 0, duplicates: 2_500, conflicts: [] });
    const stored = await first.getCandles({ productId: 'DOT-USD', granularity: 'ONE_MINUTE', asOfMs: candles.at(-1)!.startMs + 60_000 });
    expect(stored).toHaveLength(candles.length);
    expect(stored.map((candle) => candle.startMs)).toEqual(candles.map((candle) => candle.startMs));
    const recommendation = testRecommendation({ pipelineId: 'replay' });
    const inserts = await Promise.all([0, 1, 2, 3].map((index) => (index % 2 === 0 ? first : second).insertRecommendation(recommendation, 'PENDING_VALIDATION')));
    expect(inserts.filter((result) => result.status === 'inserted')).toHaveLength(1);
    expect(await first.listRecommendations({ productId: 'BTC-USD', state: 'PENDING_VALIDATION' })).toHaveLength(1);
  });

  it('wakes a waiting worker with LISTEN/NOTIFY when another replica adds work', async () => {
    await first.waitForWork('recommendation', { timeoutMs: 100 }); // subscribes (LISTEN)
    const startedAtMs = Date.now();
    const waiting = first.waitForWork('recommendation', { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await second.insertRecommendation(testRecommendation({ pipelineId: 'wake' }), 'PENDING_VALIDATION');
    await waiting;
    expect(Date.now() - startedAtMs).toBeGreaterThanOrEqual(250);
    expect(Date.now() - startedAtMs).toBeLessThan(5_000);
    const aborted = new AbortController();
    const abortedWait = second.waitForWork('signal', { timeoutMs: 10_000, signal: aborted.signal });
    aborted.abort();
    await abortedWait;
  });
});

describe.runIf(pool !== undefined)('an order intent waiting for the kill-switch lock (injected clock)', () => {
  const schema = testSchemaName('consumewait');
  let store: PipelineStore;
  let clock: ManualClock;
  // Its own pool: the block above ends the shared one.
  let side: NonNullable<typeof pool>;

  beforeAll(async () => {
    side = (await openTestPool(4))!;
    clock = createManualClock(Date.UTC(2026, 0, 1));
    store = await createPgStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, clock });
  });

  afterAll(async () => {
    await store?.close();
    if (side !== undefined) {
      await dropSchema(side, schema);
      await side.end();
    }
  });

  it('checks the approval expiry at the clock after the wait, not before it', async () => {
    const recommendation = testRecommendation({ pipelineId: 'consume-wait' });
    const { approval, reservation } = testApproval(recommendation, { issuedAtMs: clock.nowMs(), ttlMs: 60_000 });
    await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
    // Another transaction (a risk decision, say) holds the risk state's row while the approval expires.
    const holder = await side.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM ${schema}.risk_state WHERE id = 1 FOR UPDATE`);
      const consumed = store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, clock.nowMs())).then(
        () => 'consumed',
        (error: unknown) => (isTradepipeError(error) ? error.code : String(error)),
      );
      // Readiness: the intent's statement is waiting for a lock the holder has (bounded, so a failure ends the test).
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      for (let polls = 0; ; polls += 1) {
        const { rows } = await side.query<{ waiting: string }>(
          `SELECT count(*) AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND $1 = ANY (pg_blocking_pids(pid))`,
          [holderPid],
        );
        if (Number(rows[0]!.waiting) > 0) break;
        if (polls > 3_000) throw new Error('the order intent never waited for the risk state lock');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      clock.advance(60_000);
      await holder.query('COMMIT');
      expect(await consumed).toBe('approval_expired');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined); // after a COMMIT: a warning only
      holder.release();
    }
    expect(await store.getOrderByClientOrderId(approval.clientOrderId)).toBeUndefined();
  });
});
