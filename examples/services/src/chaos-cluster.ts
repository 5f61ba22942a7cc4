// Test support for the chaos storm: a PostgreSQL cluster of the test's own (initdb into a temp directory, on a
// free port), so that the test may crash it (`pg_ctl stop -m immediate`) and start it again without touching
// the shared server. Run as the `postgres` user when the test runs as root (PostgreSQL refuses root).
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './e2e-processes.js';

const run = promisify(execFile);

/** Where the PostgreSQL 15 server binaries are (`TRADEPIPE_PG_BIN` to override). */
export const PG_BIN = process.env.TRADEPIPE_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A running cluster of the test's own. */
export interface TestCluster {
  /** Connection settings (trust auth, database `postgres`). */
  readonly database: { readonly host: '127.0.0.1'; readonly port: number; readonly database: 'postgres'; readonly user: 'postgres' };
  /** Crashes the server (`stop -m immediate`: no checkpoint, every session cut) and starts it again; resolves once it accepts connections. */
  crashAndRestart(): Promise<void>;
  /** Stops the server and deletes its directory. */
  drop(): Promise<void>;
}

/** Whether the binaries the cluster needs are installed. */
export function clusterBinariesPresent(): boolean {
  return ['initdb', 'pg_ctl', 'postgres'].every((binary) => existsSync(join(PG_BIN, binary)));
}

/** The uid/gid to run the server as: `postgres` when we are root, else ourselves. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Creates and starts a cluster in a temp directory on a free port. `fsync` is off (an OS crash is not what the
 * test simulates); `synchronous_commit` stays on, so a commit survives the server's crash as in production.
 */
export async function startTestCluster(): Promise<TestCluster> {
  const user = await serverUser();
  const directory = mkdtempSync(join(tmpdir(), 'tradepipe-chaos-pg-'));
  const dataDirectory = join(directory, 'data');
  if (user !== undefined) chownSync(directory, user.uid, user.gid);
  const port = await freePort();
  const asServer = { ...(user === undefined ? {} : user), env: { PATH: process.env.PATH ?? '', LANG: 'C', LC_ALL: 'C' } };
  const pgCtl = (...args: string[]): Promise<unknown> => run(join(PG_BIN, 'pg_ctl'), ['-D', dataDirectory, ...args], asServer);
  await run(join(PG_BIN, 'initdb'), ['-D', dataDirectory, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], asServer);
  const options = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`;
  const start = async (): Promise<void> => {
    await pgCtl('-l', join(directory, 'server.log'), '-o', options, '-w', '-t', '300', 'start');
  };
  await start();
  const database = { host: '127.0.0.1', port, database: 'postgres', user: 'postgres' } as const;
  await waitAccepting(database);
  return {
    database,
    async crashAndRestart() {
      await pgCtl('-m', 'immediate', '-w', '-t', '300', 'stop');
      await start();
      await waitAccepting(database);
    },
    async drop() {
      await pgCtl('-m', 'immediate', '-w', '-t', '300', 'stop').catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Waits until the server answers a query (after a crash it replays its WAL first). */
async function waitAccepting(database: TestCluster['database']): Promise<void> {
  const deadlineMs = performance.now() + 300_000;
  for (;;) {
    const client = new pg.Client({ ...database, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (performance.now() > deadlineMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
