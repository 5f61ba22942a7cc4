// The main job: the bundled BTC-USD candles through the embedded tradepipe pipeline, on embedded defaults
// (no server, no network, paper trading). Each stage package wires itself in here as it lands.
import { createManualClock, createMemoryStore, granularityMs } from '@tradepipe/core';
import { loadBundledCandles } from './bundled-candles.js';

async function main(): Promise<void> {
  const startedAtMs = performance.now();
  const data = loadBundledCandles();
  const first = data.candles[0]!;
  const last = data.candles.at(-1)!;
  const clock = createManualClock(last.startMs + granularityMs(last.granularity));
  const store = createMemoryStore({ clock });
  const stored = await store.putCandles(data.candles, { state: 'DONE' });
  const replayed = await store.putCandles(data.candles, { state: 'DONE' });
  const visible = await store.getCandles({ productId: 'BTC-USD', granularity: 'ONE_DAY', asOfMs: clock.nowMs() });
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  const lines = [
    'tradepipe embedded run — BTC-USD daily, bundled data',
    `  rows read            ${data.rows} (${day(first.startMs)} … ${day(last.startMs)})`,
    `  schema + gap policy  ${data.candles.length} candles, ${data.gapFilled} gap-filled, ${data.flat} flat (high = low), ${data.zeroVolume} zero-volume`,
    `  stored (${store.name})     ${stored.inserted} inserted; replay: ${replayed.inserted} inserted, ${replayed.duplicates} duplicates`,
    `  visible as of close  ${visible.length} candles`,
    `  elapsed              ${((performance.now() - startedAtMs) / 1000).toFixed(2)} s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await store.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`main job failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
