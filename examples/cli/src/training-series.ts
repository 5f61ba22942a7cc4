import type { CandleSeries } from '@tradepipe/model';
import { dateOption, stringOption } from './arguments.js';
import { loadCandleInput, type CandleInput } from './candle-input.js';
import { UsageError } from './cli-errors.js';
import type { CliIo, GlobalFlags } from './io.js';

/** The candles `tradepipe train` trains on: one series per product, each cut to the training range. */
export interface TrainingSeries {
  /** What each product's candles were read from, in `--product` order. */
  readonly inputs: readonly CandleInput[];
  /** The series for `trainModelFromCandles`, only candles in [fromMs, toMs). */
  readonly series: readonly CandleSeries[];
  /** Start of the range (epoch ms; −∞ when not given). */
  readonly fromMs: number;
  /** End of the range, exclusive (epoch ms; +∞ when not given). */
  readonly toMs: number;
}

/**
 * Reads the candles of every product in `--product` (one, or several separated by commas to pool them: with
 * `--candles` one file per product in the same order, or `--source store|coinbase`), cut to `--from … --to`.
 * The bundled file ends its training range at 2024-09-25 unless `--to` says otherwise (its hold-out year follows).
 * @throws UsageError when the files don't pair with the products or no candle falls in the range
 */
export async function loadTrainingSeries(values: Readonly<Record<string, string | boolean | undefined>>, io: CliIo, flags: GlobalFlags, command: string): Promise<TrainingSeries> {
  const products = (stringOption(values, 'product') ?? 'BTC-USD').split(',').map((one) => one.trim());
  if (new Set(products).size !== products.length) throw new UsageError('a product is named twice in --product', command);
  const files = products.length > 1 ? stringOption(values, 'candles')?.split(',').map((one) => one.trim()) : undefined;
  if (files !== undefined && files.length !== products.length) throw new UsageError(`--candles names ${files.length} files for ${products.length} products: give one per product, in the same order`, command);
  const fromOption = dateOption(values, 'from');
  const inputs: CandleInput[] = [];
  for (const [index, productId] of products.entries()) {
    inputs.push(await loadCandleInput({ ...values, product: productId, ...(files === undefined ? {} : { candles: files[index] }) }, io, flags, fromOption ?? Date.UTC(2024, 0, 1)));
  }
  const fromMs = fromOption ?? Number.NEGATIVE_INFINITY;
  const toMs = dateOption(values, 'to') ?? (inputs.every((input) => input.bundled) ? Date.UTC(2024, 8, 25) : Number.POSITIVE_INFINITY);
  const series = inputs.map((input) => ({
    productId: input.productId,
    granularity: input.granularity,
    candles: input.candles.filter((candle) => candle.startMs >= fromMs && candle.startMs < toMs),
  }));
  const empty = series.find((one) => one.candles.length === 0);
  if (empty !== undefined) throw new UsageError(`no ${empty.productId} candle falls in --from … --to`, command);
  return { inputs, series, fromMs, toMs };
}
