import { GranularitySchema, ProductIdSchema, contentHash, parseWith, TradepipeError } from '@tradepipe/core';
import { z } from 'zod';
import { FEATURE_SET_VERSION } from './feature-names.js';

const finite = z.number().finite();

/**
 * zod schema of a saved {@link FeatureEngine}: the feature set version, the series, the last candle fed,
 * the engine's numbers (every indicator's rings and sums) and a SHA-256 checksum over them. Plain JSON:
 * store it anywhere and hand it back to `restoreState`.
 * @example
 * const state = FeatureEngineStateSchema.parse(JSON.parse(storedText));
 * engine.restoreState(state);
 */
export const FeatureEngineStateSchema = z
  .object({
    format: z.literal('tradepipe.features.engine-state'),
    featureSetVersion: z.string().min(1),
    productId: ProductIdSchema,
    granularity: GranularitySchema,
    lastCandle: z
      .object({
        startMs: z.number().int().nonnegative(),
        open: finite,
        high: finite,
        low: finite,
        close: finite,
        volume: finite,
        gapFilled: z.boolean(),
      })
      .strict()
      .nullable(),
    kernel: z.array(finite),
    checksum: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

/** A saved feature engine; see {@link FeatureEngineStateSchema}. */
export interface FeatureEngineState extends z.output<typeof FeatureEngineStateSchema> {}

/**
 * Parses a saved state and checks it belongs to this feature set and series and was not altered.
 * @throws TradepipeError `validation_failed`
 * @internal
 */
export function parseEngineState(input: unknown, series: { productId: string; granularity: string }): FeatureEngineState {
  const state = parseWith(FeatureEngineStateSchema, input, 'feature engine state');
  if (state.featureSetVersion !== FEATURE_SET_VERSION) {
    throw new TradepipeError('validation_failed', 'Feature engine state is of another feature set version', {
      details: { expected: FEATURE_SET_VERSION, received: state.featureSetVersion },
    });
  }
  if (state.productId !== series.productId || state.granularity !== series.granularity) {
    throw new TradepipeError('validation_failed', 'Feature engine state belongs to another series', {
      details: { expected: `${series.productId}/${series.granularity}`, received: `${state.productId}/${state.granularity}` },
    });
  }
  if (contentHash(state.kernel) !== state.checksum) {
    throw new TradepipeError('validation_failed', 'Feature engine state does not match its checksum');
  }
  return state;
}

/** The checksum stored with a state. @internal */
export function kernelChecksum(kernel: readonly number[]): string {
  return contentHash(kernel);
}
