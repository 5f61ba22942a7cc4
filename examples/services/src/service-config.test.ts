import { describe, expect, it } from 'vitest';
import { PipelineTuningSchema, TradepipeError, createManualClock, createMemoryStore, loadConfig, silentLogger, type PipelineStore } from '@tradepipe/core';
import { testApproval, testAssessment, testFill, testOrderIntent, testRecommendation } from '@tradepipe/core/testing';
import { RiskLimitsSchema } from '@tradepipe/risk';
import { createPgliteStore } from '@tradepipe/storage-pg';
import { executorDependencies } from './dependencies/executor.js';
import { readOptionsFromEnv, toEnvName } from './env-options.js';
import { createServiceLogger } from './logging.js';
import { startService } from './run-service.js';
import { SERVICES, resolveService } from './service-catalog.js';
import type { ServiceContext } from './service-context.js';
import { readServiceSettings } from './service-settings.js';

const SECRET = 'unit-test-approval-secret-32-characters-long';

async function failure(promise: Promise<unknown>): Promise<TradepipeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TradepipeError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('live mode', () => {
  it('a service refuses to start in live mode without the confirmation, before opening anything', async () => {
    // No database is reachable on port 1: the refusal must come from the config, first.
    const env = { TRADING_MODE: 'live', RISK_APPROVAL_SECRET: SECRET, DB_PORT: '1' };
    for (const name of ['trade-executor', 'risk-management', 'market-data'] as const) {
      const error = await failure(startService(SERVICES[name], env, { logger: silentLogger }));
      expect(error.code).toBe('live_trading_not_enabled');
    }
    expect((await failure(startService(SERVICES['trade-executor'], { ...env, LIVE_TRADING_CONFIRM: 'yes' }, { logger: silentLogger }))).code).toBe('live_trading_not_enabled');
  });

  it('live mode with the confirmation still needs the approval secret', async () => {
    const error = await failure(startService(SERVICES['trade-executor'], { TRADING_MODE: 'live', LIVE_TRADING_CONFIRM: 'I_ACCEPT_REAL_MONEY_RISK', DB_PORT: '1' }, { logger: silentLogger }));
    expect(error.code).toBe('config_invalid');
  });

  function context(env: Record<string, string>, store: PipelineStore = createMemoryStore()): ServiceContext {
    return {
      service: SERVICES['trade-executor'],
      config: loadConfig(env),
      settings: readServiceSettings(env),
      env,
      store,
      logger: silentLogger,
      clock: createManualClock(0),
      draining: new AbortController().signal,
    };
  }

  it('paper mode wires the PaperExecutor; confirmed live mode without a CDP key refuses', async () => {
    const paper = await executorDependencies(context({ RISK_APPROVAL_SECRET: SECRET, PAPER_QUOTE_SOURCE: 'next-candle' }));
    expect(paper.slots.executor?.name).toBe('paper');
    const live = { TRADING_MODE: 'live', LIVE_TRADING_CONFIRM: 'I_ACCEPT_REAL_MONEY_RISK', RISK_APPROVAL_SECRET: SECRET, COINBASE_API_KEY_NAME: '' };
    expect((await failure(executorDependencies(context(live)))).code).toBe('config_invalid');
  });

  it('live mode refuses a store holding paper trading history (PGlite), before asking for the CDP key', async () => {
    const store = await createPgliteStore();
    try {
      const live = { TRADING_MODE: 'live', LIVE_TRADING_CONFIRM: 'I_ACCEPT_REAL_MONEY_RISK', RISK_APPROVAL_SECRET: SECRET, COINBASE_API_KEY_NAME: '', STORE_SCHEMA: 'tradepipe_live' };
      /** Records a filled order on `venue`, as an executor does. */
      const trade = async (venue: 'paper' | 'coinbase', index: number): Promise<void> => {
        const nowMs = await store.nowMs();
        const recommendation = testRecommendation({ index });
        const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 3_600_000 });
        await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
        const { order } = await store.consumeApprovalAndRecordOrderIntent(approval, { ...testOrderIntent(approval, nowMs), venue });
        await store.recordFill(testFill(order), { quoteCurrency: 'USD', baseCurrency: 'BTC' });
      };
      // Live orders only: the guard passes, the refusal is the missing key's.
      await trade('coinbase', 0);
      expect((await failure(executorDependencies(context(live, store)))).message).toMatch(/COINBASE_API_KEY_NAME/);
      await trade('paper', 1);
      await trade('paper', 2);
      const error = await failure(executorDependencies(context(live, store)));
      expect(error.code).toBe('config_invalid');
      expect(error.message).toContain('this store (STORE_SCHEMA tradepipe_live) holds paper trading history (2 paper orders and their fills); use a new STORE_SCHEMA for live money');
      expect(error.details).toEqual({ paperOrders: 2, schema: 'tradepipe_live' });
      // Paper mode on the same store is unaffected.
      expect((await executorDependencies(context({ RISK_APPROVAL_SECRET: SECRET, PAPER_QUOTE_SOURCE: 'next-candle' }, store))).slots.executor?.name).toBe('paper');
    } finally {
      await store.close();
    }
  });

  it('the paper executor needs the approval secret', async () => {
    expect((await failure(executorDependencies(context({ PAPER_QUOTE_SOURCE: 'next-candle' })))).code).toBe('config_invalid');
  });
});

describe('options from the environment', () => {
  it('maps fields to variables and parses them with the package schema', () => {
    expect(toEnvName('maxOrderQuote')).toBe('MAX_ORDER_QUOTE');
    const limits = readOptionsFromEnv(RiskLimitsSchema, { RISK_MAX_ORDER_QUOTE: '500', RISK_SCORE_WEIGHTS: '{}' }, { prefix: 'RISK' }, {
      maxPositionQuote: 1_000,
      maxTotalExposureQuote: 2_000,
      maxPortfolioHeat: 0.25,
      maxDailyLossFraction: 0.05,
      maxOrdersPerHour: 20,
    });
    expect(limits.maxOrderQuote).toBe(500);
    expect(limits.cooldownMs).toBe(4 * 3_600_000);
    expect(readOptionsFromEnv(PipelineTuningSchema, { PIPELINE_POLL_INTERVAL_MS: '250' }, { prefix: 'PIPELINE' }).pollIntervalMs).toBe(250);
  });

  it('names the variable at fault, never its value', () => {
    let error: unknown;
    try {
      readOptionsFromEnv(PipelineTuningSchema, { PIPELINE_LEASE_MS: 'secret-looking-value' }, { prefix: 'PIPELINE' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TradepipeError);
    expect((error as TradepipeError).code).toBe('config_invalid');
    expect((error as TradepipeError).message).toContain('PIPELINE_LEASE_MS');
    expect((error as TradepipeError).message).not.toContain('secret-looking-value');
  });

  it('service settings: defaults, JSON values and empty variables as unset', () => {
    const settings = readServiceSettings({ DRAIN_TIMEOUT_MS: '5000', PAPER_STARTING_BALANCES: '{"USD":"500"}', MODEL_PATH: '', RULES_ENABLED: 'false' });
    expect(settings).toMatchObject({ drainTimeoutMs: 5_000, paperStartingBalances: { USD: '500' }, rulesEnabled: false, paperQuoteSource: 'coinbase' });
    expect(settings.modelPath).toBeUndefined();
  });

  it('resolves the service from the argument or SERVICE', () => {
    expect(resolveService('risk-management', {}).portKey).toBe('riskManagement');
    expect(resolveService(undefined, { SERVICE: 'fill-tracker' }).stage).toBe('fills');
    expect(() => resolveService('nope', {})).toThrow(TradepipeError);
  });

  it('logs JSON lines with secrets redacted', () => {
    const lines: string[] = [];
    createServiceLogger('risk-management', 'info', (line) => lines.push(line)).info('configured', { approvalSecret: SECRET, url: 'postgres://user:hunter2@db:5432/x' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).not.toContain('hunter2');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', message: 'configured', service: 'risk-management' });
  });
});
