import { resolve } from 'node:path';
import { createCoinbaseClient, createCsvCandleSink, createStoreCandleSink, downloadCandles, type CandleSink } from '@tradepipe/coinbase';
import type { PipelineStore } from '@tradepipe/core';
import { dateOption, granularityOption, isoDay, numberOption, productOption, stringOption } from '../arguments.js';
import { EXIT_CODES, UsageError } from '../cli-errors.js';
import type { Command } from '../command.js';
import { createProgress } from '../io.js';
import { STORE_OPTIONS, openSharedStore } from '../stores.js';

/** `tradepipe download`. */
export const downloadCommand: Command = {
  name: 'download',
  summary: 'download candles of any product and granularity from Coinbase, resumably',
  description: [
    "Pages Coinbase's public candle endpoint (300 buckets a request, at most --rate requests a second) into a CSV",
    'file or the shared store. Run it again to resume: it starts after the newest candle already held, so an',
    'interrupted download (Ctrl-C, a network failure) loses nothing. Buckets with no trade are absent, as',
    'Coinbase sends them; the bucket still open is never written. No API key is needed.',
  ].join('\n'),
  options: {
    product: { type: 'string', value: '<id>', description: 'product id (default BTC-USD)' },
    granularity: { type: 'string', value: '<g>', description: 'ONE_MINUTE … ONE_DAY, or 1m … 1d (default ONE_DAY)' },
    from: { type: 'string', value: '<date>', description: 'first bucket wanted (required unless resuming a file)' },
    to: { type: 'string', value: '<date>', description: 'end of the range, exclusive (default now)' },
    out: { type: 'string', value: '<file.csv>', description: 'write to this CSV (start_ms,open,high,low,close,volume)' },
    store: { type: 'boolean', description: 'write to the shared PostgreSQL store instead (as history: state DONE)' },
    rate: { type: 'string', value: '<per-second>', description: 'requests per second at most (default 3; Coinbase allows 10 per IP)' },
    'coinbase-url': { type: 'string', value: '<url>', description: 'API base URL (default https://api.coinbase.com)' },
    ...STORE_OPTIONS,
  },
  examples: ['tradepipe download --product BTC-USD --granularity 1h --from 2024-01-01 --out btc-usd-1h.csv', 'tradepipe download --product ETH-USD --granularity 1d --from 2020-01-01 --store'],
  async run({ values, io, flags }) {
    const out = stringOption(values, 'out');
    if ((out === undefined) === (values.store !== true)) throw new UsageError('give one of --out <file.csv> or --store', 'download');
    const fromMs = dateOption(values, 'from');
    if (fromMs === undefined) throw new UsageError('--from is required (a download resumes after what the file or store holds, from --from on)', 'download');
    const toMs = dateOption(values, 'to');
    const series = { productId: productOption(values, 'product', 'BTC-USD'), granularity: granularityOption(values, 'granularity', 'ONE_DAY') };
    const rate = numberOption(values, 'rate', { min: 0.1, max: 10 }) ?? 3;
    let store: PipelineStore | undefined;
    const client = createCoinbaseClient({ baseUrl: stringOption(values, 'coinbase-url') ?? 'https://api.coinbase.com' });
    const progress = createProgress(io, flags, 'download');
    try {
      store = out === undefined ? await openSharedStore(values, io, { create: true }) : undefined;
      const sink: CandleSink = store === undefined ? createCsvCandleSink(resolve(io.cwd, out!)) : createStoreCandleSink(store);
      const result = await downloadCandles({ client, ...series, fromMs, ...(toMs === undefined ? {} : { toMs }), sink, requestsPerSecond: rate, signal: io.signal, onPage: (page) => progress.update(page.pages, page.pagesTotal, `pages, ${page.candles} candles`) });
      progress.done();
      if (flags.json) io.stdout.write(`${JSON.stringify({ ...series, sink: sink.name, ...result })}\n`);
      else {
        const held = result.lastStartMs === undefined ? 'nothing yet' : `up to ${new Date(result.lastStartMs).toISOString()}`;
        io.stdout.write(`downloaded ${result.candles} ${series.productId} ${series.granularity} candles in ${result.pages} requests into ${sink.name} (${result.resumed ? `resumed at ${isoDay(result.startMs)}` : `from ${isoDay(result.startMs)}`}); it holds ${held}\n`);
      }
      return EXIT_CODES.ok;
    } finally {
      await client.close();
      await store?.close();
    }
  },
};
