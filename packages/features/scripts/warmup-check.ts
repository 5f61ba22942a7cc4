/**
 * The warm-up check (Freqtrade's recursive analysis): for each feature, the largest change of its value at t
 * when only the last L candles before t are given instead of the whole series, for several L. The declared
 * warm-up (`WARMUP_CANDLES`) passes when every change there is below 1e-9.
 *
 *   npx tsx --conditions=@tradepipe/source packages/features/scripts/warmup-check.ts [candles.csv PRODUCT GRANULARITY]
 *
 * Default: the bundled BTC-USD daily candles. Exit code 1 when the declared warm-up is too short.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GranularitySchema, parseCandleCsv, sequenceCandles } from '@tradepipe/core';
import { analyzeWarmup, candleColumns } from '../src/index.js';

const [path = fileURLToPath(new URL('../../../data/btc-usd-1d.csv', import.meta.url)), productId = 'BTC-USD', granularityText = 'ONE_DAY'] = process.argv.slice(2);
const granularity = GranularitySchema.parse(granularityText);
const candles = sequenceCandles(parseCandleCsv({ text: readFileSync(path, 'utf8'), productId, granularity }));
const columns = candleColumns(candles);
const analysis = analyzeWarmup({ columns, granularity, samples: 100 });
const header = ['feature'.padEnd(26), ...analysis.historyCandles.map((length) => String(length).padStart(8))].join(' ');
process.stdout.write(`warm-up check on ${candles.length} ${productId} ${granularity} candles, ${analysis.samples} sampled t; largest |change| / max(1, |value|) by history length (candles)\n${header}\n`);
for (const feature of analysis.features) {
  if (feature.maxChange.every((change) => change < 1e-13)) continue;
  process.stdout.write(`${[feature.name.padEnd(26), ...feature.maxChange.map((change) => change.toExponential(1).padStart(8))].join(' ')}\n`);
}
const settled = analysis.features.filter((feature) => feature.maxChange.every((change) => change < 1e-13)).length;
process.stdout.write(`${settled} features change by less than 1e-13 at every length (windowed, not recursive)\n`);
const ok = analysis.worstChangeAtDeclared < 1e-9;
process.stdout.write(`declared warm-up ${analysis.declaredWarmupCandles} candles: worst change ${analysis.worstChangeAtDeclared.toExponential(2)} (${analysis.worstFeatureAtDeclared}) ${ok ? '< 1e-9: OK' : '≥ 1e-9: TOO SHORT'}\n`);
if (!ok) process.exitCode = 1;
