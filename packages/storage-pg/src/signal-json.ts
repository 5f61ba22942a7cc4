import { canonicalJson, type Signal } from '@tradepipe/core';

/** A parsed signal's JSON: canonical (for its content hash) and, for its `record` column, without its feature values. */
export interface SignalJson {
  /** What core's `canonicalJson` gives for the record. */
  readonly canonical: string;
  /** The canonical JSON less `features.values` (stored apart, as `feature_values`). */
  readonly withoutValues: string;
}

// The keys of a parsed signal, its features and its probabilities, sorted as canonicalJson sorts them.
const SIGNAL_KEYS = 'action,candleStartMs,closePrice,confidence,features,generatedAtMs,granularity,id,modelId,modelVersion,pipelineId,probabilities,productId';
const FEATURE_KEYS = 'candleStartMs,featureSetVersion,granularity,productId,values';
const PROBABILITY_KEYS = 'BUY,HOLD,SELL';

/** Whether `object`'s own keys, sorted, are exactly `keys` (comma-separated), an absent optional one allowed. */
function hasKeys(object: object, keys: string, optional?: string): boolean {
  const own = Object.keys(object).sort().join(',');
  return own === keys || (optional !== undefined && own === keys.replace(`,${optional}`, ''));
}

const text = (value: string): string => JSON.stringify(value);

/**
 * A parsed signal's canonical JSON written field by field in canonical key order (no sorted copy of the
 * record, no second serialisation without the values): a bulk write's main JavaScript cost per signal. A
 * number's JSON is its `String` form (finite numbers only, as the schema requires), a string's its
 * `JSON.stringify`. Any other shape (keys this code does not know) goes through `canonicalJson` itself.
 * @internal
 */
export function signalJson(signal: Signal): SignalJson {
  const { features, probabilities } = signal;
  if (!hasKeys(signal, SIGNAL_KEYS, 'probabilities') || !hasKeys(features, FEATURE_KEYS) || (probabilities !== undefined && !hasKeys(probabilities, PROBABILITY_KEYS))) {
    const { values, ...rest } = features;
    return { canonical: canonicalJson(signal), withoutValues: canonicalJson({ ...signal, features: rest }) };
  }
  const head =
    `{"action":${text(signal.action)},"candleStartMs":${signal.candleStartMs},"closePrice":${signal.closePrice},"confidence":${signal.confidence},` +
    `"features":{"candleStartMs":${features.candleStartMs},"featureSetVersion":${text(features.featureSetVersion)},"granularity":${text(features.granularity)},"productId":${text(features.productId)}`;
  const odds = probabilities === undefined ? '' : `,"probabilities":{"BUY":${probabilities.BUY},"HOLD":${probabilities.HOLD},"SELL":${probabilities.SELL}}`;
  const tail =
    `},"generatedAtMs":${signal.generatedAtMs},"granularity":${text(signal.granularity)},"id":${text(signal.id)},"modelId":${text(signal.modelId)},` +
    `"modelVersion":${text(signal.modelVersion)},"pipelineId":${text(signal.pipelineId)}${odds},"productId":${text(signal.productId)}}`;
  return { canonical: `${head},"values":${JSON.stringify(features.values)}${tail}`, withoutValues: head + tail };
}
