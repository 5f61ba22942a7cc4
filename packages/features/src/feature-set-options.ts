import { DEFAULT_GAP_POLICY, GapPolicySchema } from '@tradepipe/core';
import { z } from 'zod';

/**
 * zod schema of the feature set's options. `gapPolicy` is core's gap policy: by default a gap of up to
 * 1,440 candles is filled with the previous close carried forward and zero volume (marked `gapFilled`),
 * a longer one is refused with `candle_gap`; `{ mode: 'reject' }` refuses every gap.
 * @example
 * const options = FeatureSetOptionsSchema.parse({ gapPolicy: { mode: 'reject' } });
 */
export const FeatureSetOptionsSchema = z
  .object({
    gapPolicy: GapPolicySchema.default(DEFAULT_GAP_POLICY),
  })
  .strict();

/** Options of {@link createFeatureSet} as given (every field optional); see {@link FeatureSetOptionsSchema}. */
export interface FeatureSetOptions extends z.input<typeof FeatureSetOptionsSchema> {}

/** Options of {@link createFeatureSet} after defaults; see {@link FeatureSetOptionsSchema}. */
export interface ResolvedFeatureSetOptions extends z.output<typeof FeatureSetOptionsSchema> {}
