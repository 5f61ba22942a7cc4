// Every command that opens the shared PostgreSQL store acts on the same schema: --schema, else STORE_SCHEMA (as the
// services read it), else tradepipe. `STORE_SCHEMA=live tradepipe kill-switch engage …` used to engage the switch
// in the default schema and print "engaged": the emergency stop missed the live pipeline. The built bin as a child
// process against the real PostgreSQL at 127.0.0.1:5432, in a database of its own (so the default schema `tradepipe`
// is this file's alone and "not engaged there" means something).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCoinbase } from '@tradepipe/coinbase/testing';
import { runBin, runBinAsync, type BinResult } from './run-bin.js';
import { TEST_DATABASE_URL, postgresForTest } from './test-postgres.js';

const database = `tradepipe_cli_schema_${process.pid}_${Date.now() % 1_000_000}`;
const databaseUrl = TEST_DATABASE_URL.replace(/\/test$/, `/${database}`);

const available = await postgresForTest("'--schema / STORE_SCHEMA'");

/** The environment of the bin: this process's, without any store settings of its own, plus `env`. */
function environment(env: Readonly<Record<string, string>>): Record<string, string> {
  const inherited = Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !/^(DATABASE_URL|DB_\w+|STORE_\w+)$/.test(entry[0]));
  return { ...Object.fromEntries(inherited), NO_COLOR: '1', DATABASE_URL: databaseUrl, ...env };
}

const tradepipe = (args: readonly string[], env: Readonly<Record<string, string>> = {}): BinResult => runBin(args, { env: environment(env), timeoutMs: 120_000 });

/** The bin run without blocking this process (the fake exchange it downloads from answers from here). */
const tradepipeAsync = (args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<BinResult> => runBinAsync(args, { env: environment(env) });

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[] | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } catch (error) {
    // 3F000 / 42P01: the schema or the table does not exist — nothing was ever written there.
    if (['3F000', '42P01'].includes((error as { code?: string }).code ?? '')) return undefined;
    throw error;
  } finally {
    await client.end();
  }
}

/** The kill switch as the risk_state row of `schema` holds it (undefined: the schema has no tables). */
async function killSwitchIn(schema: string): Promise<{ engaged: boolean; mode: string; reason: string | null } | undefined> {
  const rows = await query<{ engaged: boolean; mode: string; reason: string | null }>(databaseUrl, `SELECT kill_switch_engaged AS engaged, kill_switch_mode AS mode, kill_switch_reason AS reason FROM "${schema}".risk_state WHERE id = 1`);
  return rows?.[0];
}

describe.runIf(available)('the store schema of the tradepipe command (the built bin, PostgreSQL)', () => {
  beforeAll(async () => {
    await query(TEST_DATABASE_URL, `CREATE DATABASE "${database}"`);
  });
  afterAll(async () => {
    if (available) await query(TEST_DATABASE_URL, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  });

  it('engages and releases the kill switch in the schema of --schema, else STORE_SCHEMA, and says which', async () => {
    // The operator commands act on a deployment's existing store: its schemas are migrated first.
    for (const schema of ['ks_paper', 'ks_live', 'tradepipe']) expect(tradepipe(['migrate', '--schema', schema]).status).toBe(0);
    const byOption = tradepipe(['kill-switch', 'engage', '--mode', 'freeze', '--reason', 'paper incident', '--schema', 'ks_paper']);
    expect(byOption.status, byOption.stderr).toBe(0);
    expect(byOption.stdout.split('\n')[0]).toBe('kill switch in schema ks_paper: ENGAGED (freeze)');
    expect(await killSwitchIn('ks_paper')).toEqual({ engaged: true, mode: 'freeze', reason: 'paper incident' });

    const byEnvironment = tradepipe(['kill-switch', 'engage', '--mode', 'flatten', '--reason', 'exchange incident', '--json'], { STORE_SCHEMA: 'ks_live' });
    expect(byEnvironment.status, byEnvironment.stderr).toBe(0);
    expect(JSON.parse(byEnvironment.stdout)).toMatchObject({ schema: 'ks_live', killSwitch: { engaged: true, mode: 'flatten', reason: 'exchange incident' } });
    expect(await killSwitchIn('ks_live')).toEqual({ engaged: true, mode: 'flatten', reason: 'exchange incident' });
    expect(await killSwitchIn('ks_paper')).toMatchObject({ engaged: true, mode: 'freeze', reason: 'paper incident' });
    // Neither reached the default schema.
    expect((await killSwitchIn('tradepipe'))?.engaged ?? false).toBe(false);

    // --schema wins over STORE_SCHEMA; status and health read the schema STORE_SCHEMA names.
    const released = tradepipe(['kill-switch', 'release', '--reason', 'paper over', '--schema', 'ks_paper'], { STORE_SCHEMA: 'ks_live' });
    expect([released.status, released.stdout.split('\n')[0]]).toEqual([0, 'kill switch in schema ks_paper: released']);
    // The release's reason is kept with the state (it used to be dropped) and printed with it.
    expect(released.stdout).toContain('"reason": "paper over"');
    expect(await killSwitchIn('ks_paper')).toEqual({ engaged: false, mode: 'freeze', reason: 'paper over' });
    expect(await killSwitchIn('ks_live')).toMatchObject({ engaged: true });
    const status = tradepipe(['kill-switch', 'status', '--json'], { STORE_SCHEMA: 'ks_live' });
    expect(JSON.parse(status.stdout)).toMatchObject({ schema: 'ks_live', killSwitch: { engaged: true } });
    const health = tradepipe(['health', '--no-services', '--json'], { STORE_SCHEMA: 'ks_live' });
    expect(health.status).toBe(3);
    const report = JSON.parse(health.stdout) as { schema: string; checks: { name: string; status: string }[] };
    expect([report.schema, report.checks.find((check) => check.name === 'kill_switch')?.status]).toEqual(['ks_live', 'degraded']);
    expect(tradepipe(['health', '--no-services'], { STORE_SCHEMA: 'ks_live' }).stdout.split('\n')[0]).toBe('health degraded (store schema ks_live)');
    // The default schema when neither is given.
    const defaultStatus = tradepipe(['kill-switch', 'status', '--json']);
    expect(JSON.parse(defaultStatus.stdout)).toMatchObject({ schema: 'tradepipe', killSwitch: { engaged: false } });
  });

  it('refuses a schema that holds no tradepipe tables for the operator commands, creating nothing; migrate creates it', async () => {
    const schemata = async (): Promise<string[]> =>
      ((await query<{ name: string }>(databaseUrl, `SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE 'tyyp%' ORDER BY 1`)) ?? []).map((row) => row.name);
    const commands = [
      ['kill-switch', 'engage', '--mode', 'freeze', '--reason', 'x'],
      ['kill-switch', 'status'],
      ['kill-switch', 'release', '--reason', 'x'],
      ['dead-letters', 'list'],
      ['dead-letters', 'requeue', 'candle', 'c1', '--reason', 'x'],
      ['dead-letters', 'discard', 'candle', 'c1', '--reason', 'x'],
      ['health', '--no-services'],
    ];
    for (const args of commands) {
      const refused = tradepipe([...args, '--schema', 'tyypo']);
      expect([refused.status, refused.stdout], args.join(' ')).toEqual([1, '']);
      expect(refused.stderr, args.join(' ')).toBe("tradepipe: not_found: schema tyypo holds no tradepipe tables (nothing was created): check --schema / STORE_SCHEMA, or create them with 'tradepipe migrate --schema tyypo'\n");
    }
    const byEnvironment = tradepipe(['kill-switch', 'engage', '--mode', 'freeze', '--reason', 'x', '--json'], { STORE_SCHEMA: 'tyypo_env' });
    expect([byEnvironment.status, JSON.parse(byEnvironment.stderr).error.code]).toEqual([1, 'not_found']);
    expect(await schemata()).toEqual([]);

    // An empty schema of that name (not the store's) is refused as well, and left as it was.
    await query(databaseUrl, 'CREATE SCHEMA tyypo_empty');
    expect(tradepipe(['kill-switch', 'engage', '--mode', 'freeze', '--reason', 'x', '--schema', 'tyypo_empty']).status).toBe(1);
    expect(await query(databaseUrl, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'tyypo_empty'`)).toEqual([]);

    // Once migrated, the same command works there.
    expect(tradepipe(['migrate', '--schema', 'tyypo']).status).toBe(0);
    const engaged = tradepipe(['kill-switch', 'engage', '--mode', 'freeze', '--reason', 'drill', '--schema', 'tyypo']);
    expect([engaged.status, engaged.stdout.split('\n')[0]], engaged.stderr).toEqual([0, 'kill switch in schema tyypo: ENGAGED (freeze)']);
    expect(await killSwitchIn('tyypo')).toEqual({ engaged: true, mode: 'freeze', reason: 'drill' });
  });

  it('refuses a malformed schema before touching the store: --schema as usage (exit 2), STORE_SCHEMA as config_invalid', () => {
    const option = tradepipe(['kill-switch', 'engage', '--mode', 'freeze', '--reason', 'x', '--schema', 'Live-Pipeline']);
    expect([option.status, option.stderr]).toEqual([2, "tradepipe: usage: --schema must be a lower-case identifier of at most 47 characters (a-z, 0-9, _), not 'Live-Pipeline' (run 'tradepipe kill-switch engage --help')\n"]);
    const variable = tradepipe(['kill-switch', 'engage', '--mode', 'freeze', '--reason', 'x'], { STORE_SCHEMA: 'Live-Pipeline' });
    expect(variable.status).toBe(1);
    expect(variable.stderr).toMatch(/^tradepipe: config_invalid: .*STORE_SCHEMA/);
  });

  it('migrates, downloads into and reads candles from the schema STORE_SCHEMA or --schema names', async () => {
    const migrated = tradepipe(['migrate', '--json'], { STORE_SCHEMA: 'candles_env' });
    expect([migrated.status, JSON.parse(migrated.stdout).schema]).toEqual([0, 'candles_env']);
    const fake = await startFakeCoinbase();
    try {
      const download = await tradepipeAsync(['download', '--store', '--product', 'ETH-USD', '--granularity', '1h', '--from', '2025-01-01', '--to', '2025-03-01', '--rate', '10', '--coinbase-url', fake.url], { STORE_SCHEMA: 'candles_env' });
      expect(download.status, download.stderr).toBe(0);
      expect(download.stdout).toMatch(/^downloaded 1416 ETH-USD ONE_HOUR candles/);
    } finally {
      await fake.close();
    }
    expect(await query(databaseUrl, `SELECT count(*)::int AS n FROM candles_env.crypto_prices`)).toEqual([{ n: 1416 }]);
    expect((await query<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM tradepipe.crypto_prices`))?.[0]?.n ?? 0).toBe(0);
    const warmup = tradepipe(['check', 'warmup', '--source', 'store', '--schema', 'candles_env', '--product', 'ETH-USD', '--granularity', '1h', '--history', '100,200', '--samples', '5', '--json'], { STORE_SCHEMA: 'elsewhere' });
    expect(warmup.stderr).toBe('');
    expect(JSON.parse(warmup.stdout)).toMatchObject({ candles: 1416, granularity: 'ONE_HOUR' });
  });
});
