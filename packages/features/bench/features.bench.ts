/* eslint-disable no-console -- a benchmark prints its table */
import { computeFeatureMatrix } from '../src/feature-matrix.js';
import { FeatureEngine } from '../src/feature-engine.js';
import { candleAt, randomColumns, type RandomColumns } from '../src/test-support/random-candles.js';
import { engineSubset } from './engine-subset.js';
import { handWrittenSubset } from './hand-written-subset.js';
import { technicalIndicatorsSubset, tradingSignalsSubset } from './library-subsets.js';

const quick = process.env.BENCH_QUICK === '1';
const ownCandles = quick ? 100_000 : 1_000_000;
const libraryCandles = quick ? 20_000 : 200_000;
const repeats = quick ? 3 : 5;

/** Best of `repeats` runs (after one warm-up run), in ns per candle. */
function nsPerCandle(candles: number, run: () => void): number {
  run();
  let best = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < repeats; attempt++) {
    const started = process.hrtime.bigint();
    run();
    best = Math.min(best, Number(process.hrtime.bigint() - started));
  }
  return best / candles;
}

function slice(columns: RandomColumns, length: number): RandomColumns {
  return {
    startMs: columns.startMs.subarray(0, length), open: columns.open.subarray(0, length), high: columns.high.subarray(0, length),
    low: columns.low.subarray(0, length), close: columns.close.subarray(0, length), volume: columns.volume.subarray(0, length),
  };
}

const columns = randomColumns({ length: ownCandles, seed: 42 });
const libraryColumns = slice(columns, libraryCandles);
const subsetOutput = new Float64Array(ownCandles * 12);
let sink = 0;

const reusedMatrix = new Float64Array(ownCandles * 51);
const batch = nsPerCandle(ownCandles, () => {
  sink += computeFeatureMatrix(columns, { granularity: 'ONE_HOUR', output: reusedMatrix }).matrix[ownCandles * 51 - 1]!;
});
const batchFresh = nsPerCandle(ownCandles, () => {
  sink += computeFeatureMatrix(columns, { granularity: 'ONE_HOUR' }).matrix[ownCandles * 51 - 1]!;
});
const candles = Array.from({ length: ownCandles }, (_, index) => candleAt(columns, index));
const streamValues = new Float64Array(51);
const streaming = nsPerCandle(ownCandles, () => {
  const engine = new FeatureEngine({ productId: 'BTC-USD', granularity: 'ONE_HOUR' });
  for (const candle of candles) if (engine.feed(candle)) engine.copyValuesInto(streamValues);
  sink += streamValues[0]!;
});
const engine = nsPerCandle(ownCandles, () => engineSubset(columns, subsetOutput));
const hand = nsPerCandle(ownCandles, () => handWrittenSubset(columns, subsetOutput));
const tradingSignals = nsPerCandle(libraryCandles, () => {
  sink += tradingSignalsSubset(libraryColumns);
});
const technicalIndicators = nsPerCandle(libraryCandles, () => {
  sink += technicalIndicatorsSubset(libraryColumns);
});

const verdict = (met: boolean) => (met ? 'MET' : 'MISSED');
const format = (ns: number) => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const rows = [
  ['all 51 features, batch into a reused matrix, per candle', format(batch), `1,000,000 candles in ${((batch * 1e6) / 1e9).toFixed(2)} s`, '-', '< 1 s per 1M candles', verdict(batch * 1e6 < 1e9)],
  ['all 51 features, batch into a new matrix, per candle', format(batchFresh), format(batch) + ' (reused matrix)', (batchFresh / batch).toFixed(2) + '×', 'info', '-'],
  ['all 51 features, streaming feed(), per candle', format(streaming), format(batch) + ' (batch)', (streaming / batch).toFixed(2) + '×', 'info', '-'],
  ['subset: this package vs hand-written loop', format(engine), format(hand), (engine / hand).toFixed(2) + '×', '≤ 2×', verdict(engine <= 2 * hand)],
  ['subset: trading-signals vs this package', format(tradingSignals), format(engine), (tradingSignals / engine).toFixed(1) + '× faster', '≥ 8× faster', verdict(tradingSignals >= 8 * engine)],
  ['subset: technicalindicators vs this package', format(technicalIndicators), format(engine), (technicalIndicators / engine).toFixed(1) + '× faster', '≥ 12× faster', verdict(technicalIndicators >= 12 * engine)],
];
console.log(`features bench (${quick ? 'BENCH_QUICK' : 'full'}: ${ownCandles.toLocaleString('en')} candles for this package and the hand loop, ${libraryCandles.toLocaleString('en')} for the libraries; best of ${repeats}; Node ${process.version})`);
console.log('| measurement | measured | reference | ratio | target | verdict |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
if (Number.isNaN(sink)) console.log('(checksum NaN)');
