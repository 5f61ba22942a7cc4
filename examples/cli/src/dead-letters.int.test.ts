// `tradepipe dead-letters list|requeue|discard` as a user runs it: the built bin as a child process against the
// real PostgreSQL at 127.0.0.1:5432 (database `test`, a schema of its own), seeded through the store.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candleWorkId, type PipelineStore } from '@tradepipe/core';
import { testApproval, testAssessment, testCandle, testOrderIntent, testRecommendation } from '@tradepipe/core/testing';
import { createPgStore } from '@tradepipe/storage-pg';
import { runBin, type BinResult } from './run-bin.js';
import { TEST_DATABASE_URL as DATABASE_URL, postgresForTest } from './test-postgres.js';

const schema = `deadletters_${process.pid}_${Date.now() % 1_000_000}`;

const available = await postgresForTest("'tradepipe dead-letters'");

const tradepipe = (...args: string[]): BinResult => runBin([...args, '--database-url', DATABASE_URL, '--schema', schema], { env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 120_000 });

/** Claims the one item of a kind in a state and dead-letters it. */
async function deadLetter(store: PipelineStore, kind: 'candle' | 'recommendation', state: string, message: string): Promise<void> {
  const [claim] = await store.claim({ kind, state: state as never, workerId: 'test', leaseMs: 60_000, limit: 1 });
  await store.fail(claim!, { error: { code: 'model_failed', message }, retryable: false, maxAttempts: 3, backoffMs: 0, terminalState: 'DEAD_LETTER' });
}

describe.runIf(available)('tradepipe dead-letters (the built bin, PostgreSQL)', () => {
  let store: PipelineStore;
  const candle = testCandle({ index: 0 });
  const recommendation = testRecommendation();

  beforeAll(async () => {
    store = await createPgStore({ connectionString: DATABASE_URL, schema });
    await store.putCandles([candle]);
    await deadLetter(store, 'candle', 'PENDING', 'engine crashed');
    await store.insertRecommendation(recommendation, 'PENDING_EXECUTION');
    const nowMs = await store.nowMs();
    const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
    await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
    await store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, nowMs));
    await deadLetter(store, 'recommendation', 'PENDING_EXECUTION', 'venue timeout');
  }, 180_000);
  afterAll(async () => {
    await store?.close();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('lists, refuses to re-run a recommendation with an order, re-queues and discards; health turns ok', () => {
    const health = () => JSON.parse(tradepipe('health', '--no-services', '--json').stdout) as { checks: { name: string; status: string; value?: number }[] };
    expect(health().checks.find((check) => check.name === 'dead_letters')).toMatchObject({ status: 'degraded', value: 2 });

    const listed = tradepipe('dead-letters', 'list', '--json');
    expect(listed.status).toBe(0);
    const { deadLetters } = JSON.parse(listed.stdout) as { deadLetters: { kind: string; id: string; fromState?: string; lastError?: { message: string } }[] };
    expect(deadLetters.map((letter) => [letter.kind, letter.id, letter.fromState, letter.lastError?.message])).toEqual([
      ['candle', candleWorkId(candle), 'PENDING', 'engine crashed'],
      ['recommendation', recommendation.id, 'PENDING_EXECUTION', 'venue timeout'],
    ]);
    const page = tradepipe('dead-letters', 'list', '--limit', '1');
    expect(page.stdout).toContain('engine crashed');
    const next = /--after '([^']+)'/.exec(page.stdout)?.[1];
    expect(tradepipe('dead-letters', 'list', '--limit', '1', '--after', next!).stdout).toContain(recommendation.id);

    const refused = tradepipe('dead-letters', 'requeue', 'recommendation', recommendation.id, '--reason', 'venue back');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('order_recorded');
    expect(tradepipe('dead-letters', 'requeue', 'candle', candleWorkId(candle)).status).toBe(2);
    expect(tradepipe('dead-letters', 'requeue', 'order', 'x', '--reason', 'r').status).toBe(2);
    const missing = tradepipe('dead-letters', 'discard', 'signal', 'sig_missing', '--reason', 'r', '--json');
    expect([missing.status, JSON.parse(missing.stderr).error.code]).toEqual([1, 'not_found']);

    const requeued = tradepipe('dead-letters', 'requeue', 'candle', candleWorkId(candle), '--reason', 'engine fixed', '--json');
    expect(requeued.status).toBe(0);
    expect(JSON.parse(requeued.stdout).status).toMatchObject({ state: 'PENDING', attempt: 0, lastError: { message: 'engine crashed' } });
    const discarded = tradepipe('dead-letters', 'discard', 'recommendation', recommendation.id, '--reason', 'the reconciler follows its order');
    expect([discarded.status, discarded.stdout]).toEqual([0, expect.stringContaining('DISCARDED')]);
    expect(tradepipe('dead-letters', 'list').stdout).toBe('no dead letters\n');
    expect(health().checks.find((check) => check.name === 'dead_letters')).toMatchObject({ status: 'ok', value: 0 });
  }, 240_000);
});
