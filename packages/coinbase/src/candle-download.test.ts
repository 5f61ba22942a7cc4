import { mkdtemp, readFile, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, createMemoryStore, GRANULARITIES, parseCandleCsv } from '@tradepipe/core';
import { downloadCandles, type DownloadCandlesOptions } from './candle-download.js';
import { CANDLE_CSV_HEADER, createCsvCandleSink, createStoreCandleSink } from './candle-sinks.js';
import { startFakeSetup, type FakeSetup } from './test-fixtures.js';

const MINUTE = GRANULARITIES.ONE_MINUTE;
const NOW_MS = Date.UTC(2025, 0, 10, 12, 30, 20);
const OPEN_BUCKET_MS = Math.floor(NOW_MS / MINUTE) * MINUTE;
const FROM_MS = OPEN_BUCKET_MS - 1000 * MINUTE;
const CANDLES_PATH = '/market/products/BTC-USD/candles';

let setup: FakeSetup;
let directory: string;
const clock = createManualClock(NOW_MS);
beforeEach(async () => {
  setup = await startFakeSetup({ fake: { clock } });
  directory = await mkdtemp(join(tmpdir(), 'tradepipe-download-'));
});
afterEach(async () => {
  await setup.close();
  await rm(directory, { recursive: true, force: true });
});

const minutes = (path: string, overrides: Partial<DownloadCandlesOptions> = {}): DownloadCandlesOptions => ({
  client: setup.client,
  productId: 'BTC-USD',
  granularity: 'ONE_MINUTE',
  fromMs: FROM_MS,
  sink: createCsvCandleSink(path),
  clock,
  requestsPerSecond: 50,
  ...overrides,
});

const candleRequests = (): number => setup.fake.requests.filter((request) => request.path === CANDLES_PATH).length;

describe('downloadCandles over HTTP against the fake exchange', () => {
  it('pages the public endpoint at 300 buckets into a CSV: closed candles only, as Coinbase sent them', async () => {
    setup.fake.omitCandles('BTC-USD', 'ONE_MINUTE', [FROM_MS + 10 * MINUTE, FROM_MS + 299 * MINUTE]);
    const path = join(directory, 'btc.csv');
    const pages: number[] = [];
    const result = await downloadCandles(minutes(path, { toMs: OPEN_BUCKET_MS + 5 * MINUTE, onPage: (progress) => void pages.push(progress.pages) }));
    expect(result).toMatchObject({ candles: 998, pages: 4, startMs: FROM_MS, resumed: false, endMs: OPEN_BUCKET_MS, lastStartMs: OPEN_BUCKET_MS - MINUTE });
    expect(pages).toEqual([1, 2, 3, 4]);
    expect(candleRequests()).toBe(4);
    const text = await readFile(path, 'utf8');
    expect(text.split('\n')[0]).toBe(CANDLE_CSV_HEADER);
    const candles = parseCandleCsv({ text, productId: 'BTC-USD', granularity: 'ONE_MINUTE' });
    expect(candles).toHaveLength(998);
    const wire = setup.fake.candleAt('BTC-USD', 'ONE_MINUTE', FROM_MS + 500 * MINUTE)!;
    expect(candles.find((candle) => candle.startMs === FROM_MS + 500 * MINUTE)).toMatchObject({ open: Number(wire.open), high: Number(wire.high), low: Number(wire.low), close: Number(wire.close), volume: Number(wire.volume) });
  });

  it('resumes an interrupted download where the file ends and ends with the same bytes as an uninterrupted one', async () => {
    const whole = join(directory, 'whole.csv');
    await downloadCandles(minutes(whole));
    const interrupted = join(directory, 'interrupted.csv');
    const controller = new AbortController();
    await expect(downloadCandles(minutes(interrupted, { signal: controller.signal, onPage: (progress) => void (progress.pages === 2 && controller.abort()) }))).rejects.toMatchObject({ code: 'aborted' });
    expect(parseCandleCsv({ text: await readFile(interrupted, 'utf8'), productId: 'BTC-USD', granularity: 'ONE_MINUTE' })).toHaveLength(600);
    // Then the exchange fails mid-way (5xx past the client's retries) on the next run…
    const failing = downloadCandles(minutes(interrupted, { onPage: () => setup.fake.faults.serverErrors(10, { path: CANDLES_PATH }) }));
    await expect(failing).rejects.toMatchObject({ code: 'exchange_unavailable' });
    setup.fake.faults.clear();
    // …and a crash left half a line.
    await appendFile(interrupted, `${OPEN_BUCKET_MS - 50 * MINUTE},1`);
    const requestsBefore = candleRequests();
    const resumed = await downloadCandles(minutes(interrupted));
    expect(resumed).toMatchObject({ resumed: true, startMs: FROM_MS + 900 * MINUTE, candles: 100, pages: 1 });
    expect(candleRequests() - requestsBefore).toBe(1);
    expect(await readFile(interrupted, 'utf8')).toBe(await readFile(whole, 'utf8'));
    expect(await downloadCandles(minutes(interrupted))).toMatchObject({ candles: 0, pages: 0, resumed: true });
  });

  it('downloads any product and granularity into a store, and resumes from the store', async () => {
    const store = createMemoryStore({ clock });
    const hour = GRANULARITIES.ONE_HOUR;
    const fromMs = Math.floor(NOW_MS / hour) * hour - 700 * hour;
    const first = await downloadCandles({ client: setup.client, productId: 'ETH-USD', granularity: 'ONE_HOUR', fromMs, toMs: fromMs + 400 * hour, sink: createStoreCandleSink(store), clock, requestsPerSecond: 50 });
    expect(first).toMatchObject({ candles: 400, pages: 2 });
    const second = await downloadCandles({ client: setup.client, productId: 'ETH-USD', granularity: 'ONE_HOUR', fromMs, sink: createStoreCandleSink(store), clock, requestsPerSecond: 50 });
    expect(second).toMatchObject({ candles: 300, pages: 1, resumed: true, startMs: fromMs + 400 * hour });
    expect(await store.countByState('candle')).toEqual({ DONE: 700 });
    expect(setup.fake.requests.at(-1)!.path).toBe('/market/products/ETH-USD/candles');
  });

  it('answers bad requests with typed errors', async () => {
    const path = join(directory, 'x.csv');
    await expect(downloadCandles(minutes(path, { productId: 'NOPE-USD' }))).rejects.toMatchObject({ code: 'unknown_product' });
    await expect(downloadCandles(minutes(path, { toMs: FROM_MS }))).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(downloadCandles(minutes(path, { pageCandles: 350 }))).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(downloadCandles(minutes(path, { granularity: 'TEN_MINUTE' as never }))).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
