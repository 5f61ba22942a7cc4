import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { DEFAULT_GAP_POLICY, TradepipeError, parseCandleCsv, sequenceCandles, type Candle, type Granularity } from '@tradepipe/core';
import { createCoinbaseClient, createCsvCandleSink, downloadCandles } from '@tradepipe/coinbase';
import { choiceOption, granularityOption, productOption, stringOption } from './arguments.js';
import { bundledCandlesPath } from './bundled-data.js';
import { UsageError } from './cli-errors.js';
import type { OptionSpec } from './command.js';
import { createProgress, type CliIo, type GlobalFlags } from './io.js';
import { STORE_OPTIONS, openSharedStore } from './stores.js';
import { readUserTextFile } from './user-files.js';

/** Options that choose the candles of a command. */
export const CANDLE_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  candles: { type: 'string', value: '<file>', description: 'candle CSV (start_ms|unix_timestamp|start, open, high, low, close, volume); default the bundled BTC-USD daily file' },
  source: { type: 'string', value: 'file|store|coinbase', description: 'where candles come from: the file (default), the shared store, or a download from Coinbase (resumed into --cache-dir)' },
  product: { type: 'string', value: '<id>', description: 'product id (default BTC-USD)' },
  granularity: { type: 'string', value: '<g>', description: 'ONE_MINUTE … ONE_DAY, or 1m, 5m, 15m, 30m, 1h, 2h, 6h, 1d (default ONE_DAY)' },
  'cache-dir': { type: 'string', value: '<dir>', description: 'where --source coinbase keeps downloaded CSVs (default .tradepipe/candles)' },
  'coinbase-url': { type: 'string', value: '<url>', description: 'Coinbase API base URL (default https://api.coinbase.com; a local fake in tests)' },
  ...STORE_OPTIONS,
};

/** The candles a command works on, with where they came from. */
export interface CandleInput {
  readonly candles: readonly Candle[];
  readonly productId: string;
  readonly granularity: Granularity;
  /** `file <path>`, `bundled <path>`, `store`, `coinbase <path>`. */
  readonly source: string;
  readonly bundled: boolean;
  /** Rows read before the gap policy filled missing buckets. */
  readonly rows: number;
}

type Values = Readonly<Record<string, string | boolean | undefined>>;

async function fromFile(path: string, productId: string, granularity: Granularity): Promise<Candle[]> {
  return parseCandleCsv({ text: await readUserTextFile(path, 'candle'), productId, granularity });
}

async function fromStore(values: Values, io: CliIo, productId: string, granularity: Granularity): Promise<Candle[]> {
  const store = await openSharedStore(values, io, { create: true });
  try {
    return await store.getCandles({ productId, granularity, asOfMs: await store.nowMs() });
  } finally {
    await store.close();
  }
}

async function fromCoinbase(values: Values, io: CliIo, flags: GlobalFlags, series: { productId: string; granularity: Granularity }, fromMs: number): Promise<{ path: string; candles: Candle[] }> {
  const directory = resolve(io.cwd, stringOption(values, 'cache-dir') ?? join('.tradepipe', 'candles'));
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${series.productId.toLowerCase()}-${series.granularity.toLowerCase()}.csv`);
  const client = createCoinbaseClient({ baseUrl: stringOption(values, 'coinbase-url') ?? 'https://api.coinbase.com' });
  const progress = createProgress(io, flags, 'download');
  try {
    await downloadCandles({ client, ...series, fromMs, sink: createCsvCandleSink(path), signal: io.signal, onPage: (page) => progress.update(page.pages, page.pagesTotal) });
  } finally {
    progress.done();
    await client.close();
  }
  return { path, candles: await fromFile(path, series.productId, series.granularity) };
}

/**
 * Loads the candles a command asked for (a CSV file, the bundled file, the shared store, or a resumable download
 * from Coinbase) and fills missing buckets with core's gap policy.
 * @param downloadFromMs where a download starts when nothing is cached yet
 * @throws UsageError for inconsistent options; TradepipeError for unreadable or invalid candles
 */
export async function loadCandleInput(values: Values, io: CliIo, flags: GlobalFlags, downloadFromMs: number): Promise<CandleInput> {
  const source = choiceOption(values, 'source', ['file', 'store', 'coinbase'], 'file');
  const productId = productOption(values, 'product', 'BTC-USD');
  const granularity = granularityOption(values, 'granularity', 'ONE_DAY');
  const file = stringOption(values, 'candles');
  if (file !== undefined && source !== 'file') throw new UsageError('--candles reads a file: leave out --source or use --source file');
  let raw: Candle[];
  let description: string;
  if (source === 'store') {
    raw = await fromStore(values, io, productId, granularity);
    description = `store ${productId} ${granularity}`;
  } else if (source === 'coinbase') {
    const downloaded = await fromCoinbase(values, io, flags, { productId, granularity }, downloadFromMs);
    raw = downloaded.candles;
    description = `coinbase → ${downloaded.path}`;
  } else {
    const path = file === undefined ? bundledCandlesPath() : resolve(io.cwd, file);
    if (file === undefined && (productId !== 'BTC-USD' || granularity !== 'ONE_DAY')) throw new UsageError('the bundled file is BTC-USD ONE_DAY: give --candles or --source for other series');
    raw = await fromFile(path, productId, granularity);
    description = `${file === undefined ? 'bundled' : 'file'} ${path}`;
  }
  if (raw.length === 0) throw new TradepipeError('not_found', `no candles for ${productId} ${granularity} in ${description}`);
  return { candles: sequenceCandles(raw, DEFAULT_GAP_POLICY), productId, granularity, source: description, bundled: file === undefined && source === 'file', rows: raw.length };
}
