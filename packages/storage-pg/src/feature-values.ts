import { TradepipeError } from '@tradepipe/core';

/** PostgreSQL's type id of `bytea`, the element type of the array {@link featureValuesParam} encodes. */
const BYTEA_OID = 17;

const BYTES_PER_VALUE = 8;

/**
 * The feature values of many signals as one `bytea[]` parameter in PostgreSQL's binary format (both drivers
 * send a Buffer as binary): each element the values as float64, little-endian. The server copies the bytes;
 * as JSON text it would parse ~20 digits per value, most of a signal row's cost on PGlite. A -0 is written as
 * 0, as the record's JSON has it, so a record reads back exactly as its JSON would.
 * @internal
 */
export function featureValuesParam(list: readonly (readonly number[])[]): Buffer {
  let size = 20;
  for (const values of list) size += 4 + BYTES_PER_VALUE * values.length;
  const param = Buffer.allocUnsafe(size);
  // dimensions, has-NULLs flag, element type, length and lower bound of the one dimension
  let offset = param.writeInt32BE(1, 0);
  offset = param.writeInt32BE(0, offset);
  offset = param.writeInt32BE(BYTEA_OID, offset);
  offset = param.writeInt32BE(list.length, offset);
  offset = param.writeInt32BE(1, offset);
  for (const values of list) {
    offset = param.writeInt32BE(BYTES_PER_VALUE * values.length, offset);
    for (let index = 0; index < values.length; index += 1) {
      const value = values[index]!;
      offset = param.writeDoubleLE(value === 0 ? 0 : value, offset);
    }
  }
  return param;
}

/**
 * A `feature_values` column back to numbers (`pg` returns a Buffer, PGlite a Uint8Array).
 * @throws TradepipeError `validation_failed` if the column is not whole float64 values
 * @internal
 */
export function featureValuesFromColumn(column: unknown): number[] {
  if (!(column instanceof Uint8Array) || column.byteLength % BYTES_PER_VALUE !== 0) {
    throw new TradepipeError('validation_failed', 'Stored feature values are malformed', { details: { column: 'feature_values' } });
  }
  const view = new DataView(column.buffer, column.byteOffset, column.byteLength);
  return Array.from({ length: column.byteLength / BYTES_PER_VALUE }, (_, index) => view.getFloat64(index * BYTES_PER_VALUE, true));
}

/**
 * A stored signal record with its feature values put back where the row keeps them apart (`feature_values`
 * not NULL); a record stored whole (NULL) is returned as it is.
 * @internal
 */
export function signalRecordFromRow(record: unknown, featureValues: unknown): unknown {
  if (featureValues === null || featureValues === undefined) return record;
  const features = typeof record === 'object' && record !== null ? (record as { features?: unknown }).features : undefined;
  if (typeof record !== 'object' || record === null || typeof features !== 'object' || features === null) {
    throw new TradepipeError('validation_failed', 'A stored signal record is malformed', { details: { column: 'record' } });
  }
  return { ...record, features: { ...features, values: featureValuesFromColumn(featureValues) } };
}
