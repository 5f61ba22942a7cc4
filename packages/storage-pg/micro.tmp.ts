import { createManualClock } from '@tradepipe/core';
import { minuteCandles } from './bench/bench-support.js';
import { openInstrumentedStore } from './bench/pipeline-support.js';
const clock = createManualClock(Date.UTC(2025, 0, 1));
const kind = (process.argv[2] ?? 'pglite') as 'pglite' | 'postgres';
const { store, roundTrips, close } = await openInstrumentedStore(kind, clock);
const candles = minuteCandles(1000);
await store.putCandles(candles.slice(0, 990), { state: 'DONE' });
await store.putCandles(candles.slice(990));
async function time(what: string, n: number, fn: (i: number) => Promise<unknown>) {
  const rt = roundTrips(); const t = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  console.log(what.padEnd(30), ((performance.now() - t) / n).toFixed(3), 'ms', ((roundTrips() - rt) / n).toFixed(1), 'rt');
}
await time('getCandle', 300, (i) => store.getCandle('BTC-USD', 'ONE_MINUTE', candles[i]!.startMs));
await time('getPosition', 300, () => store.getPosition('BTC-USD'));
await time('claim empty signal ordered', 300, () => store.claim({ kind: 'signal', state: 'PENDING', workerId: 'w', leaseMs: 1000, limit: 10, ordered: true }));
await time('claim empty rec unordered', 300, () => store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'w', leaseMs: 1000, limit: 10 }));
await time('claim+release candle ordered', 300, async () => { const [c] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs: 1000, limit: 1, ordered: true }); await store.release(c!); });
await time('getCandles 60', 100, (i) => store.getCandles({ productId: 'BTC-USD', granularity: 'ONE_MINUTE', asOfMs: candles[500 + i]!.startMs, limit: 60 }));
await time('saveCheckpoint 50kB', 100, (i) => store.saveCheckpoint('k', { data: Array.from({ length: 5000 }, (_, j) => j * 1.5 + i) }, i));
await close();
