/** Shared helpers of the storage benchmarks (not part of the package). */
import { GRANULARITIES, type Candle } from '@tradepipe/core';

export const QUICK = process.env.BENCH_QUICK === '1';
export const DATABASE_URL = process.env.TRADEPIPE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `count` 1-minute candles of a random walk for one product, starting 2024-01-01. */
export function minuteCandles(count: number, productId = 'BTC-USD', startMs = Date.UTC(2024, 0, 1)): Candle[] {
  let close = 42_000;
  return Array.from({ length: count }, (_, index) => {
    const open = close;
    close = Math.round((open * (1 + Math.sin(index * 0.37) * 0.001)) * 100) / 100;
    return {
      productId,
      granularity: 'ONE_MINUTE',
      startMs: startMs + index * GRANULARITIES.ONE_MINUTE,
      open,
      high: Math.max(open, close) + 3.25,
      low: Math.min(open, close) - 2.5,
      close,
      volume: Math.round((5 + (index % 17) * 0.731) * 1e6) / 1e6,
      gapFilled: false,
    };
  });
}

/** Runs `work` `runs` times and returns the median duration in ms. */
export async function medianMs(runs: number, work: (run: number) => Promise<void>): Promise<number> {
  const durations: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const startedAt = performance.now();
    await work(run);
    durations.push(performance.now() - startedAt);
  }
  durations.sort((a, b) => a - b);
  return durations[Math.floor(durations.length / 2)]!;
}

export interface BenchRow {
  readonly measure: string;
  readonly value: number;
  readonly reference?: { readonly name: string; readonly value: number };
  readonly unit: string;
  readonly target?: number;
}

/** Prints the table: figure, reference from the same run, ratio, target with MET/MISSED. */
export function printTable(title: string, rows: readonly BenchRow[]): void {
  const format = (value: number): string => Math.round(value).toLocaleString('en-US');
  console.log(`\n${title}${QUICK ? ' (BENCH_QUICK)' : ''}`);
  console.log('| measure | figure | reference (same run) | ratio | target | result |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) {
    const reference = row.reference === undefined ? '–' : `${format(row.reference.value)} ${row.unit} (${row.reference.name})`;
    const ratio = row.reference === undefined ? '–' : `${(row.value / row.reference.value).toFixed(2)}×`;
    const target = row.target === undefined ? '–' : `≥ ${format(row.target)} ${row.unit}`;
    const result = row.target === undefined ? '–' : row.value >= row.target ? 'MET' : 'MISSED';
    console.log(`| ${row.measure} | ${format(row.value)} ${row.unit} | ${reference} | ${ratio} | ${target} | ${result} |`);
  }
}
