import { TradepipeError, parseWith, type Candle, type FeatureExtractor, type FeatureSet, type FeatureVector, type SeriesKey } from '@tradepipe/core';
import { z } from 'zod';

const ComposedStateSchema = z
  .object({
    format: z.literal('tradepipe.features.composed-state'),
    featureSetVersion: z.string().min(1),
    parts: z.array(z.unknown()).min(2),
  })
  .strict();

/**
 * Composes a base feature set (e.g. {@link createFeatureSet}) with plugin sets that add features of their
 * own. The composed set computes every part from the same candles:
 * - names: the base's, then each plugin's, in order; a name may appear only once (prefix a plugin's
 *   names with its own name, e.g. `my-plugin.close_to_sma_200`);
 * - version: the parts' versions joined by `+` (`tp-51-v2+my-plugin-v1`); a model trained on the base
 *   alone still runs on the composed set (core's `createFeatureView` checks each version part);
 * - warm-up: the longest of the parts; a vector comes once every part gives one;
 * - state: every part's saved state, restored all or nothing.
 *
 * A plugin is any core `FeatureSet`: names, a version, a warm-up and a factory of streaming extractors.
 * The base checks each candle first; if a plugin then throws, the composed extractor no longer
 * reports a last candle (`lastCandleStartMs()` is `undefined`), so the pipeline warms a fresh one up from
 * history instead of mixing parts that saw different candles.
 * @param base the base set, whose candle checks run first
 * @param plugins sets of additional features
 * @returns a core `FeatureSet`
 * @throws TradepipeError `validation_failed` for no plugin, a name given twice, or a version containing `+`
 * @example
 * const featureSet = composeFeatureSets(createFeatureSet(), myPluginFeatureSet);
 * featureSet.featureSetVersion; // 'tp-51-v2+my-plugin-v1'
 */
export function composeFeatureSets(base: FeatureSet, ...plugins: readonly FeatureSet[]): FeatureSet {
  const parts = [base, ...plugins];
  if (plugins.length === 0) throw new TradepipeError('validation_failed', 'Compose a base feature set with at least one plugin set');
  const featureNames = parts.flatMap((part) => part.featureNames);
  const duplicated = featureNames.filter((name, index) => featureNames.indexOf(name) !== index);
  if (duplicated.length > 0) {
    throw new TradepipeError('validation_failed', `Feature names given by two parts: ${duplicated.map((name) => `'${name}'`).join(', ')}`, {
      details: { duplicated: duplicated.join(',') },
    });
  }
  const versioned = parts.find((part) => part.featureSetVersion.includes('+') && part !== base);
  if (versioned !== undefined) {
    throw new TradepipeError('validation_failed', 'A plugin feature-set version must not contain "+"', { details: { version: versioned.featureSetVersion } });
  }
  const featureSetVersion = parts.map((part) => part.featureSetVersion).join('+');
  return {
    featureSetVersion,
    featureNames,
    warmupCandles: Math.max(...parts.map((part) => part.warmupCandles)),
    createExtractor: (series: SeriesKey) => new ComposedExtractor(parts, series, featureSetVersion),
  };
}

/** The streaming extractor of a composed set: every part fed the same candles. @internal */
class ComposedExtractor implements FeatureExtractor {
  private extractors: FeatureExtractor[];
  private broken = false;

  constructor(
    private readonly parts: readonly FeatureSet[],
    private readonly series: SeriesKey,
    private readonly featureSetVersion: string,
  ) {
    this.extractors = parts.map((part) => part.createExtractor(series));
  }

  update(candle: Candle): FeatureVector | undefined {
    if (this.broken) throw new TradepipeError('not_ready', 'A plugin refused an earlier candle; warm a new extractor up from history');
    const vectors: (FeatureVector | undefined)[] = [];
    for (const [index, extractor] of this.extractors.entries()) {
      try {
        vectors.push(extractor.update(candle));
      } catch (error) {
        if (index > 0) this.broken = true;
        throw error;
      }
    }
    if (vectors.some((vector) => vector === undefined)) return undefined;
    return {
      productId: this.series.productId,
      granularity: this.series.granularity,
      candleStartMs: candle.startMs,
      featureSetVersion: this.featureSetVersion,
      values: vectors.flatMap((vector) => vector!.values),
    };
  }

  lastCandleStartMs(): number | undefined {
    if (this.broken) return undefined;
    const starts = this.extractors.map((extractor) => extractor.lastCandleStartMs());
    return starts.every((start) => start === starts[0]) ? starts[0] : undefined;
  }

  saveState(): unknown {
    return { format: 'tradepipe.features.composed-state', featureSetVersion: this.featureSetVersion, parts: this.extractors.map((extractor) => extractor.saveState()) };
  }

  /** Each part's exact copy (`copyState` where it has one, else a deep copy of its `saveState`), for {@link resumeCopy}. */
  copyState(): unknown {
    return this.extractors.map((extractor) => (extractor.copyState !== undefined && extractor.resumeCopy !== undefined ? { copy: extractor.copyState() } : { state: structuredClone(extractor.saveState()) }));
  }

  /** Puts back what {@link copyState} gave (read, not kept). */
  resumeCopy(copy: unknown): void {
    const parts = copy as readonly ({ readonly copy: unknown } | { readonly state: unknown })[];
    const fresh = this.parts.map((part) => part.createExtractor(this.series));
    fresh.forEach((extractor, index) => {
      const part = parts[index]!;
      if ('copy' in part) extractor.resumeCopy!(part.copy);
      else extractor.restoreState(structuredClone(part.state));
    });
    this.extractors = fresh;
    this.broken = false;
  }

  restoreState(state: unknown): void {
    const parsed = parseWith(ComposedStateSchema, state, 'composed feature state');
    if (parsed.featureSetVersion !== this.featureSetVersion || parsed.parts.length !== this.parts.length) {
      throw new TradepipeError('validation_failed', `Feature state was saved by feature set '${parsed.featureSetVersion}', this one is '${this.featureSetVersion}'`, {
        details: { expected: this.featureSetVersion, received: parsed.featureSetVersion },
      });
    }
    const fresh = this.parts.map((part) => part.createExtractor(this.series));
    fresh.forEach((extractor, index) => extractor.restoreState(parsed.parts[index]));
    this.extractors = fresh;
    this.broken = false;
  }
}
