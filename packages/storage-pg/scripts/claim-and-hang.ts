/**
 * A worker for the crash test: claims one candle on the server (database clock), prints the claim as one
 * JSON line, then hangs until it is killed (the test sends SIGKILL).
 * Usage: node --conditions=@tradepipe/source --import tsx scripts/claim-and-hang.ts <connectionString> <schema> <leaseMs>
 */
import { createPgStore } from '../src/pg-store.js';

const [connectionString, schema, leaseMs] = process.argv.slice(2);
const store = await createPgStore({ connectionString: connectionString!, schema: schema!, migrate: false, poolSize: 2 });
const claims = await store.claim({ kind: 'candle', state: 'PENDING', workerId: `child-${process.pid}`, leaseMs: Number(leaseMs), limit: 1, ordered: true });
process.stdout.write(`${JSON.stringify(claims[0] ?? null)}\n`);
setInterval(() => undefined, 60_000);
