// The chaos storm: the eight services as processes in LIVE mode against the fake Coinbase, on a PostgreSQL
// cluster of the test's own. Recommendations flow in while ≥ 20 SIGKILLs hit random services (every one of
// them, some during start-up), the exchange drops the answers to some accepted orders, and the database
// crashes (`pg_ctl stop -m immediate`) and comes back once mid-run. A supervisor restarts whatever ends, as
// Kubernetes would. At the end the store must agree with the exchange to the last fill.
import { afterAll, describe, expect, it } from 'vitest';
import { isTradepipeError, type PipelineStore } from '@tradepipe/core';
import { testRecommendation } from '@tradepipe/core/testing';
import { PG_BIN, clusterBinariesPresent, startTestCluster, type TestCluster } from './chaos-cluster.js';
import { CHAOS_PIPELINE_ID, startLiveDeployment, type LiveDeployment } from './chaos-deployment.js';
import { auditLedger } from './chaos-ledger.js';
import { superviseServices, type Supervisor } from './chaos-supervisor.js';
import { findBuyWindow, nowClearOfUtcMidnight, type DecisionWindow } from './e2e-candles.js';
import { SETTLE_BUDGET_MS, START_BUDGET_MS, STOP_BUDGET_MS, waitFor, withBudget } from './e2e-processes.js';
import { SERVICE_NAMES, type ServiceName } from './service-catalog.js';

const KILLS = 22;
const RECOMMENDATIONS = 10;
const DROPPED_ANSWERS = 3;
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 2 ** 31);
const DAY_MS = 86_400_000;
/** The storm runs for minutes: it starts at least this long before a UTC midnight (see nowClearOfUtcMidnight). */
const STORM_MIDNIGHT_MARGIN_MS = 15 * 60_000;
const TERMINAL = ['EXECUTED', 'REJECTED', 'FAILED', 'EXPIRED', 'DEAD_LETTER'];

const binaries = clusterBinariesPresent();
if (!binaries) {
  const message = `PostgreSQL server binaries are not in ${PG_BIN} (set TRADEPIPE_PG_BIN): the chaos storm test is SKIPPED`;
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') throw new Error(`${message} (and CI is set, so this fails)`);
  process.stderr.write(`\n!!! ${message}\n\n`);
}

/** mulberry32: a small seeded generator, so that a failing storm can be replayed with CHAOS_SEED. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Runs `work` until the store answers (the database may be down mid-run). */
async function whenStoreAnswers<T>(what: string, work: () => Promise<T>): Promise<T> {
  return waitFor(what, async () => {
    try {
      return await work();
    } catch (error) {
      if (isTradepipeError(error) && error.retryable) return undefined;
      throw error;
    }
  }, SETTLE_BUDGET_MS, 200);
}

/** A BUY of $100 on an earlier day's candle, waiting for validation, alive for 30 minutes. */
async function injectRecommendation(store: PipelineStore, window: DecisionWindow, index: number): Promise<string> {
  const nowMs = Date.now();
  const recommendation = testRecommendation({
    pipelineId: CHAOS_PIPELINE_ID,
    granularity: 'ONE_DAY',
    candleStartMs: window.decision.startMs - (index + 1) * DAY_MS,
    referencePrice: window.decision.close,
    createdAtMs: nowMs,
    expiresAtMs: nowMs + 30 * 60_000,
  });
  await whenStoreAnswers('a recommendation to be inserted', () => store.insertRecommendation(recommendation, 'PENDING_VALIDATION'));
  return recommendation.id;
}

/** Every service once, in a seeded order, then seeded picks up to `count`. */
function killPlan(random: () => number, count: number): ServiceName[] {
  const everyOne = [...SERVICE_NAMES].sort(() => random() - 0.5);
  const extra = Array.from({ length: count - everyOne.length }, () => SERVICE_NAMES[Math.floor(random() * SERVICE_NAMES.length)]!);
  return [...everyOne, ...extra].sort(() => random() - 0.5);
}

describe.skipIf(!binaries)('chaos storm: live services under SIGKILLs, lost answers and a database crash (fake Coinbase, own PostgreSQL)', () => {
  let cluster: TestCluster | undefined;
  let live: LiveDeployment | undefined;
  let supervisor: Supervisor | undefined;

  afterAll(async () => {
    supervisor?.retire();
    await live?.stop();
    await cluster?.drop();
  }, STOP_BUDGET_MS + 60_000);

  it(`ends with the store equal to the exchange after ${KILLS}+ kills (seed in the output)`, async () => {
    const startedAtMs = performance.now();
    const random = seeded(SEED);
    const window = await findBuyWindow(await nowClearOfUtcMidnight(STORM_MIDNIGHT_MARGIN_MS));
    cluster = await startTestCluster();
    live = await startLiveDeployment(window, 'storm', {
      database: cluster.database,
      services: [],
      env: {
        APPROVAL_TTL_MS: '900000',
        RISK_MAX_POSITION_QUOTE: '5000',
        RISK_MAX_TOTAL_EXPOSURE_QUOTE: '5000',
        RISK_MAX_ORDERS_PER_HOUR: '100',
        STORE_STATEMENT_TIMEOUT_MS: '30000',
      },
    });
    const deployment = live;
    deployment.coinbase.faults.dropResponses(DROPPED_ANSWERS);
    supervisor = superviseServices(deployment, SERVICE_NAMES);
    const running = supervisor;
    const recommendationIds = [deployment.recommendationId];
    for (let index = 0; index < 3; index += 1) recommendationIds.push(await injectRecommendation(deployment.store, window, index));

    // The storm: kills paced at random (this pacing is the scenario, not a wait for anything), more work
    // coming in, half of the time the restarted process killed again while it starts, the database crashed once.
    let databaseRestarts = 0;
    const plan = killPlan(random, KILLS);
    for (const [step, service] of plan.entries()) {
      await new Promise((resolve) => setTimeout(resolve, 300 + random() * 2_200));
      if (step === Math.floor(plan.length / 2)) {
        await cluster.crashAndRestart();
        databaseRestarts += 1;
      }
      if (step % 3 === 2 && recommendationIds.length <= RECOMMENDATIONS) recommendationIds.push(await injectRecommendation(deployment.store, window, recommendationIds.length));
      const killed = running.current(service);
      await running.kill(service);
      if (random() < 0.5) {
        const successor = await waitFor(`${service}'s successor`, async () => (running.current(service) === killed ? undefined : running.current(service)), START_BUDGET_MS, 50);
        if (await successor.signalsReady) await running.kill(service);
      }
    }
    const chaosEndedAtMs = performance.now();

    // The calm: every service up again, every recommendation finished, then the audit.
    await withBudget('every service to be ready again', running.allReady(), START_BUDGET_MS);
    await waitFor('every recommendation to finish', async () => {
      const states = await Promise.all(recommendationIds.map(async (id) => (await deployment.store.getRecommendation(id))?.status.state));
      return states.every((state) => state !== undefined && TERMINAL.includes(state)) ? true : undefined;
    }, SETTLE_BUDGET_MS, 500).catch((error: unknown) => process.stderr.write(`chaos storm: ${String(error)}\n${deployment.logs(6)}\n`));
    const audit = await auditLedger(deployment.store, deployment.coinbase, recommendationIds);
    const account = running.account();
    const dropped = deployment.coinbase.requests.filter((request) => request.status === 'dropped').length;
    process.stderr.write(
      `chaos storm (seed ${SEED}): ${JSON.stringify({
        kills: account.kills,
        killsDuringStartUp: account.killsDuringStartUp,
        killsByService: account.killsByService,
        restarts: account.restarts,
        exitsOnTheirOwn: account.ownExits.map((exit) => `${exit.service}:${String(exit.code)}${exit.afterStart ? ' (after start)' : ''}`),
        databaseRestarts,
        answersDropped: dropped,
        ...audit.counts,
        chaosSeconds: Math.round((chaosEndedAtMs - startedAtMs) / 1000),
        totalSeconds: Math.round((performance.now() - startedAtMs) / 1000),
      })}\n`,
    );

    expect(audit.problems).toEqual([]);
    expect(account.kills).toBeGreaterThanOrEqual(20);
    expect(account.killsDuringStartUp).toBeGreaterThan(0);
    expect(Object.keys(account.killsByService).sort()).toEqual([...SERVICE_NAMES].sort());
    expect(databaseRestarts).toBe(1);
    expect(dropped).toBeGreaterThan(0);
    // A started service never ends on its own, database crash included (a start refused while it recovers may).
    expect(account.ownExits.filter((exit) => exit.afterStart).map((exit) => `${exit.service}: ${exit.lastLines}`)).toEqual([]);
    // And every one drains and exits 0 on SIGTERM at the end.
    running.retire();
    const codes = await deployment.stop();
    live = undefined;
    expect(codes).toEqual(codes.map(() => 0));
  }, START_BUDGET_MS * 2 + SETTLE_BUDGET_MS * 2 + STORM_MIDNIGHT_MARGIN_MS);
});
