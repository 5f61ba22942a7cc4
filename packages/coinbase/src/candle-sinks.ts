import { open, stat, truncate } from 'node:fs/promises';
import { TradepipeError, parseCandleCsv, type Candle, type CandleState, type Granularity, type PipelineStore } from '@tradepipe/core';
import type { CandleSink } from './candle-download.js';

/** The header of the CSV files {@link createCsvCandleSink} writes (core's `parseCandleCsv` reads them). */
export const CANDLE_CSV_HEADER = 'start_ms,open,high,low,close,volume';

const TAIL_BYTES = 4096;

function csvLine(candle: Candle): string {
  return `${candle.startMs},${candle.open},${candle.high},${candle.low},${candle.close},${candle.volume}`;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TradepipeError('storage_failed', 'The candle CSV could not be read', { cause: error, details: { path } });
  }
}

async function readHead(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(200);
    const { bytesRead } = await handle.read(buffer, 0, 200, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** The file's last bytes; a line cut short by a crash is cut off the file, so appends start on a fresh line. */
async function readTail(path: string, size: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const tail = buffer.toString('utf8');
    const lastNewline = tail.lastIndexOf('\n');
    if (!tail.endsWith('\n') && lastNewline !== -1) await truncate(path, size - (length - lastNewline - 1));
    return tail.slice(0, lastNewline + 1);
  } finally {
    await handle.close();
  }
}

/**
 * A CSV file of one series as a {@link CandleSink}: `start_ms,open,high,low,close,volume`, oldest first, one
 * candle per line, each page appended and flushed to disk before the download goes on. An existing file
 * must have that header and hold the same series; its last complete line is where a download resumes (a line
 * cut short by a crash is removed first).
 * @throws TradepipeError `validation_failed` for a file with another header; `storage_failed` when it cannot be read or written
 * @example
 * await downloadCandles({ client, productId: 'BTC-USD', granularity: 'ONE_DAY', fromMs, sink: createCsvCandleSink('btc-usd-1d.csv') });
 */
export function createCsvCandleSink(path: string): CandleSink {
  let series: { readonly productId: string; readonly granularity: Granularity } | undefined;
  return {
    name: `csv ${path}`,
    async lastCandle(request) {
      series = request;
      const size = await sizeOf(path);
      if (size === undefined || size === 0) return undefined;
      const head = (await readHead(path)).split(/\r?\n/)[0]!.trim();
      if (head !== CANDLE_CSV_HEADER) throw new TradepipeError('validation_failed', `The CSV's header is not ${CANDLE_CSV_HEADER}`, { details: { path } });
      const lines = (await readTail(path, size)).split('\n').filter((line) => line.trim() !== '' && line.trim() !== CANDLE_CSV_HEADER);
      const lastLine = lines.at(-1);
      if (lastLine === undefined) return undefined;
      return parseCandleCsv({ text: `${CANDLE_CSV_HEADER}\n${lastLine}`, productId: request.productId, granularity: request.granularity })[0];
    },
    async append(candles) {
      if (candles.length === 0) return;
      if (series !== undefined && candles.some((candle) => candle.productId !== series!.productId || candle.granularity !== series!.granularity)) {
        throw new TradepipeError('validation_failed', 'A candle CSV holds one series', { details: { path } });
      }
      const fresh = (await sizeOf(path) ?? 0) === 0;
      const handle = await open(path, 'a').catch((error: unknown) => {
        throw new TradepipeError('storage_failed', 'The candle CSV could not be opened', { cause: error, details: { path } });
      });
      try {
        await handle.write(`${fresh ? `${CANDLE_CSV_HEADER}\n` : ''}${candles.map(csvLine).join('\n')}\n`);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    },
  };
}

/**
 * A {@link PipelineStore} as a {@link CandleSink}: candles are stored as already seen (`DONE` by default: history
 * for backtests and training, never traded), and a download resumes after the store's latest candle of the series.
 * @example
 * await downloadCandles({ client, productId: 'BTC-USD', granularity: 'ONE_HOUR', fromMs, sink: createStoreCandleSink(store) });
 */
export function createStoreCandleSink(store: PipelineStore, options: { readonly state?: CandleState } = {}): CandleSink {
  return {
    name: `store ${store.name}`,
    lastCandle: (series) => store.getLatestCandle(series.productId, series.granularity),
    async append(candles) {
      await store.putCandles(candles, { state: options.state ?? 'DONE' });
    },
  };
}
