import { PGlite } from '@electric-sql/pglite';
import { runStatement } from './src/pglite-wire.js';
const db = await PGlite.create();
const N = 2000;
async function time(name: string, fn: () => Promise<unknown>) {
  const t = performance.now();
  for (let i = 0; i < N; i++) await fn();
  console.log(name.padEnd(30), ((performance.now() - t) / N * 1000).toFixed(0), 'us');
}
await time('runStatement bare', () => runStatement(db, 'SELECT 1 AS one', [], { syncToFs: true }));
await time('runStatement nosync', () => runStatement(db, 'SELECT 1 AS one', [], { syncToFs: false }));
await time('with query mutex', () => db._runExclusiveQuery(() => runStatement(db, 'SELECT 1 AS one', [], { syncToFs: true })));
await time('with both mutexes', () => db._runExclusiveTransaction(() => db._runExclusiveQuery(() => runStatement(db, 'SELECT 1 AS one', [], { syncToFs: true }))));
await time('checkReady', () => db._checkReady());
await time('db.query', () => db.query('SELECT 1 AS one'));
await time('runStatement bare', () => runStatement(db, 'SELECT 1 AS one', [], { syncToFs: true }));
await db.close();
