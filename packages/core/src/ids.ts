import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

/** SHA-256 hex of a string (UTF-8) or of bytes: Node's one-shot `crypto.hash` where it exists (≥ 20.12), about twice as fast. */
const sha256Hex: (data: string | Uint8Array) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) => (crypto as unknown as { hash(algorithm: string, data: string | Uint8Array, encoding: 'hex'): string }).hash('sha256', data, 'hex')
    : (data) => createHash('sha256').update(data).digest('hex');

/** SHA-256 of bytes as a latin1 string (one character per byte): no hex text to allocate and cut. */
const sha256Latin1: (data: Uint8Array) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) => (crypto as unknown as { hash(algorithm: string, data: Uint8Array, encoding: 'latin1'): string }).hash('sha256', data, 'latin1')
    : (data) => createHash('sha256').update(data).digest('binary'); // 'binary' is Node's name for latin1 here

/** The lowercase hex digits' character codes. */
const HEX_DIGIT_CODES: readonly number[] = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));

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
  if (naturalKey.length !== 1) return idOfDigest(`${RECORD_ID_PREFIXES[kind]}_`, sha256Hex(JSON.stringify([kind, ...naturalKey])));
  // One-part keys (a recommendation's order, assessment, approval) are asked for several times per candle.
  const part = naturalKey[0]!;
  const recent = (recentSinglePartIds[kind] ??= new RecentIds());
  return recent.get(part) ?? recent.remember(part, idOfDigest(`${RECORD_ID_PREFIXES[kind]}_`, sha256Hex(JSON.stringify([kind, part]))));
}

/** An empty slot of {@link RecentIds}. */
const EMPTY: unique symbol = Symbol('empty');

/**
 * The last few results of a pure id function, by its one input (a handful of entries, compared with `===`):
 * the live path derives the same ids from the same recommendation in several stages.
 */
class RecentIds {
  /** Slots not filled yet hold {@link EMPTY}, which no input equals (not even `undefined`, which a bug could pass). */
  private readonly inputs: (NaturalKeyPart | typeof EMPTY)[] = new Array<NaturalKeyPart | typeof EMPTY>(8).fill(EMPTY);
  private readonly ids: string[] = new Array<string>(8).fill('');
  private next = 0;

  get(input: NaturalKeyPart): string | undefined {
    for (let index = 0; index < this.inputs.length; index += 1) if (this.inputs[index] === input) return this.ids[index];
    return undefined;
  }

  remember(input: NaturalKeyPart, id: string): string {
    this.inputs[this.next] = input;
    this.ids[this.next] = id;
    this.next = (this.next + 1) % this.inputs.length;
    return id;
  }
}

/** Recent ids of one-part natural keys, by kind. */
const recentSinglePartIds: Partial<Record<RecordKind, RecentIds>> = {};
/** Recent client order ids, by recommendation id. */
const recentClientOrderIds = new RecentIds();

/**
 * The ids of keys that share every part but the last (see {@link recordIdsAfter}): called, an id as
 * `recordId(kind, [...keyPrefix, last])` gives it; {@link RecordIdsAfter.words}, the same id as four numbers.
 * @internal
 */
export interface RecordIdsAfter {
  (last: NaturalKeyPart): RecordId;
  /**
   * The id's 32 hex digits after its prefix as four 32-bit words (the first eight digits in the first word), written
   * into `target` from `offset` without the id's text being built; false (nothing written) when `last` is not a
   * non-negative safe integer (then call the function itself).
   */
  words(last: NaturalKeyPart, target: Uint32Array, offset: number): boolean;
}

/**
 * {@link recordId} for keys that share every part but the last: the shared parts are serialised once, so a
 * stream of ids (a signal per candle of one series) hashes without rebuilding its key. Gives exactly what
 * `recordId(kind, [...keyPrefix, last])` gives.
 * @internal
 */
export function recordIdsAfter(kind: RecordKind, keyPrefix: readonly NaturalKeyPart[]): RecordIdsAfter {
  const head = `${JSON.stringify([kind, ...keyPrefix]).slice(0, -1)},`;
  const prefix = `${RECORD_ID_PREFIXES[kind]}_`;
  const keyBytes = new KeyBytes(head);
  const codes = [...Array.from(prefix, (character) => character.charCodeAt(0)), ...new Array<number>(32).fill(0)];
  const idAfter = (last: NaturalKeyPart): RecordId => {
    if (typeof last === 'number' && Number.isSafeInteger(last) && last >= 0) {
      const digest = sha256Latin1(keyBytes.withInteger(last));
      for (let index = 0, at = prefix.length; index < 16; index += 1, at += 2) {
        const byte = digest.charCodeAt(index);
        codes[at] = HEX_DIGIT_CODES[byte >> 4]!;
        codes[at + 1] = HEX_DIGIT_CODES[byte & 15]!;
      }
      return String.fromCharCode.apply(null, codes);
    }
    return idOfDigest(prefix, sha256Hex(`${head}${JSON.stringify(last)}]`));
  };
  const words = (last: NaturalKeyPart, target: Uint32Array, offset: number): boolean => {
    if (typeof last !== 'number' || !Number.isSafeInteger(last) || last < 0) return false;
    const digest = sha256Latin1(keyBytes.withInteger(last));
    for (let word = 0, at = 0; word < 4; word += 1, at += 4) {
      target[offset + word] = (digest.charCodeAt(at) << 24) | (digest.charCodeAt(at + 1) << 16) | (digest.charCodeAt(at + 2) << 8) | digest.charCodeAt(at + 3);
    }
    return true;
  };
  return Object.assign(idAfter, { words });
}

/**
 * The id {@link RecordIdsAfter.words} gave as words: the kind's prefix and the four words' 32 hex digits.
 * @internal
 */
export function recordIdOfWords(kind: RecordKind, words: ArrayLike<number>, offset: number): RecordId {
  return [`${RECORD_ID_PREFIXES[kind]}_`, hex8(words[offset]!), hex8(words[offset + 1]!), hex8(words[offset + 2]!), hex8(words[offset + 3]!)].join('');
}

/** A 32-bit word (signed or not) as eight lowercase hex digits. */
function hex8(word: number): string {
  return (word >>> 0).toString(16).padStart(8, '0');
}

/**
 * The UTF-8 bytes of a natural key's JSON `head…<integer>]` for a fixed head, one reused buffer per digit
 * count: the integer's decimal digits (what `JSON.stringify` gives for a non-negative safe integer) are
 * written in place.
 */
class KeyBytes {
  private readonly head: Uint8Array;
  /** By digit count: the head, room for the digits, and `]`. */
  private readonly byDigits: (Uint8Array | undefined)[] = [];

  constructor(head: string) {
    this.head = new TextEncoder().encode(head);
  }

  /** The key's bytes with `value` (a non-negative safe integer) as its last part; valid until the next call. */
  withInteger(value: number): Uint8Array {
    let digits = 1;
    for (let bound = 10; value >= bound; bound *= 10) digits += 1;
    let bytes = this.byDigits[digits];
    if (bytes === undefined) {
      bytes = new Uint8Array(this.head.length + digits + 1);
      bytes.set(this.head);
      bytes[bytes.length - 1] = 0x5d; // ]
      this.byDigits[digits] = bytes;
    }
    // Two halves below 2^31 (a safe integer is below 10^16): integer division on small integers, not on doubles.
    let low = value % 1e8;
    const high = (value - low) / 1e8;
    const end = bytes.length - 1;
    const start = end - digits;
    for (let index = end - 1; index >= start; index -= 1) {
      if (index === end - 9) low = high;
      const quotient = (low / 10) | 0;
      bytes[index] = 0x30 + low - 10 * quotient;
      low = quotient;
    }
    return bytes;
  }
}

/**
 * `prefix` and the digest's first 32 hex digits, as one flat string: a join copies where `+` would leave a
 * rope over a slice of the digest, which a map flattens again on the first lookup (a fifth of an id's cost when
 * a replay stores a million of them).
 */
function idOfDigest(prefix: string, digest: string): RecordId {
  return [prefix, digest.slice(0, 32)].join('');
}

/**
 * The exchange `client_order_id` for a recommendation: a UUID-shaped string derived from the
 * recommendation id, so every retry of the same recommendation carries the same id and the exchange
 * returns the existing order instead of placing a second one.
 */
export function clientOrderIdFor(recommendationId: RecordId): string {
  return recentClientOrderIds.get(recommendationId) ?? recentClientOrderIds.remember(recommendationId, deriveClientOrderId(recommendationId));
}

function deriveClientOrderId(recommendationId: RecordId): string {
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
  const keys = sortedInPlace(Object.keys(value));
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index]!;
    const inner = (value as Record<string, unknown>)[key];
    if (inner !== undefined) sorted[key] = sortKeys(inner);
  }
  return sorted;
}

/**
 * `keys.sort()` (ascending UTF-16 code units; keys are distinct) by insertion up to 64 keys: records have a few
 * dozen at most, and `Array.prototype.sort` allocated work arrays on every call (every record a store writes is hashed
 * through here).
 */
function sortedInPlace(keys: string[]): string[] {
  if (keys.length > 64) return keys.sort(); // quadratic past a few dozen keys
  for (let index = 1; index < keys.length; index += 1) {
    const key = keys[index]!;
    let at = index - 1;
    while (at >= 0 && keys[at]! > key) {
      keys[at + 1] = keys[at]!;
      at -= 1;
    }
    keys[at + 1] = key;
  }
  return keys;
}

/** SHA-256 of a record's canonical JSON: what "same content" means for the first-write-wins rule. */
export function contentHash(value: unknown): string {
  return contentHashOfCanonicalJson(canonicalJson(value));
}

/**
 * {@link contentHash} of a value given its {@link canonicalJson} text, for a caller that needs the text as well
 * (e.g. a store that writes it): the value is not serialised twice. Node's one-shot hash, no hash object.
 */
export function contentHashOfCanonicalJson(json: string): string {
  return sha256Hex(json);
}
