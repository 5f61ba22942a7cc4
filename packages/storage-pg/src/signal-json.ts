import { canonicalJson, type Signal } from '@tradepipe/core';

/** A parsed signal's JSON: canonical (for its content hash) and, for its `record` column, without its feature values. */
export interface SignalJson {
  /** What core's `canonicalJson` gives for the record. */
  readonly canonical: string;
  /** The canonical JSON less `features.values` (stored apart, as `feature_values`). */
  readonly withoutValues: string;
}

/** Whether `key` is one of a parsed signal's keys (a switch: no sorted key list per record). */
function isSignalKey(key: string): boolean {
  switch (key) {
    case 'id':
    case 'pipelineId':
    case 'productId':
    case 'granularity':
    case 'candleStartMs':
    case 'action':
    case 'confidence':
    case 'probabilities':
    case 'modelId':
    case 'modelVersion':
    case 'closePrice':
    case 'features':
    case 'generatedAtMs':
      return true;
    default:
      return false;
  }
}

function isFeatureKey(key: string): boolean {
  return key === 'productId' || key === 'granularity' || key === 'candleStartMs' || key === 'featureSetVersion' || key === 'values';
}

function isProbabilityKey(key: string): boolean {
  return key === 'BUY' || key === 'SELL' || key === 'HOLD';
}

/** How many own keys `object` has if all are `isKnown`, else -1. */
function knownKeyCount(object: object, isKnown: (key: string) => boolean): number {
  let keys = 0;
  for (const key in object) {
    if (!Object.prototype.hasOwnProperty.call(object, key) || !isKnown(key)) return -1;
    keys += 1;
  }
  return keys;
}

/** Whether a signal has exactly the keys this code writes: all 13, or all but `probabilities`. */
function hasSignalShape(signal: Signal): boolean {
  const keys = knownKeyCount(signal, isSignalKey);
  const { features, probabilities } = signal;
  if (keys !== 13 && !(keys === 12 && !Object.prototype.hasOwnProperty.call(signal, 'probabilities'))) return false;
  if (typeof features !== 'object' || features === null || knownKeyCount(features, isFeatureKey) !== 5) return false;
  return probabilities === undefined || (typeof probabilities === 'object' && probabilities !== null && knownKeyCount(probabilities, isProbabilityKey) === 3);
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
  if (!hasSignalShape(signal)) {
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
