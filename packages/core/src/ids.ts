import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

/** SHA-256 hex of a string: Node's one-shot `crypto.hash` where it exists (≥ 20.12), about twice as fast. */
const sha256Hex: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text) => (crypto as unknown as { hash(algorithm: string, data: string, encoding: 'hex'): string }).hash('sha256', text, 'hex')
    : (text) => createHash('sha256').update(text).digest('hex');

/** A record id: a prefix naming the kind and a hash of the record's natural key. */
export type RecordId = string;

/** What a record id can be built from: the parts of a natural key. */
export type NaturalKeyPart = string | number | boolean;

/** Prefixes of record ids by kind. */
export const RECORD_ID_PREFIXES = {
  signal: 'sig',
  recommendation: 'rec',
  validation: 'val',
  assessment: 'rsk',
  approval: 'apv',
  order: 'ord',
  health: 'hlt',
} as const;

/** A kind of record with an id derived from its natural key. */
export type RecordKind = keyof typeof RECORD_ID_PREFIXES;

/**
 * Derives a record's id from its natural key, never from amounts or model versions: the same key
 * always gives the same id, so a replay or a restart cannot create a second record.
 * @example
 * recordId('signal', ['demo', 'BTC-USD', 'ONE_DAY', 1704067200000]); // 'sig_…' (stable)
 */
export function recordId(kind: RecordKind, naturalKey: readonly NaturalKeyPart[]): RecordId {
  const digest = sha256Hex(JSON.stringify([kind, ...naturalKey]));
  return `${RECORD_ID_PREFIXES[kind]}_${digest.slice(0, 32)}`;
}

/**
 * The exchange `client_order_id` for a recommendation: a UUID-shaped string derived from the
 * recommendation id, so every retry of the same recommendation carries the same id and the exchange
 * returns the existing order instead of placing a second one.
 */
export function clientOrderIdFor(recommendationId: RecordId): string {
  const hex = sha256Hex(`client-order:${recommendationId}`);
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * JSON with object keys sorted and `undefined` dropped, so equal content always serialises the same.
 * Used to compare a rewrite with the stored record.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const inner = (value as Record<string, unknown>)[key];
    if (inner !== undefined) sorted[key] = sortKeys(inner);
  }
  return sorted;
}

/** SHA-256 of a record's canonical JSON: what "same content" means for the first-write-wins rule. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
