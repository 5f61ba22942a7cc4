/** The signature, flags and header extension length that open PostgreSQL's binary COPY format. */
const HEADER = Buffer.from('PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0', 'latin1');

const TWO_TO_32 = 2 ** 32;

/** The version byte that opens a `jsonb` value in binary format (then the JSON text). */
const JSONB_VERSION = 1;

/**
 * Writes tuples in PostgreSQL's binary COPY format (header, then per tuple a field count and each field as its
 * length and bytes in the column type's binary form, then the trailer) into one buffer that grows as needed.
 * Each field must be of its column's exact type: binary COPY does no conversion.
 * @internal
 */
export class BinaryCopyWriter {
  private buffer: Buffer;
  private offset = 0;

  /** @param estimatedBytes what the data will likely take (the buffer doubles past it) */
  constructor(estimatedBytes: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(HEADER.length + 2, estimatedBytes));
    this.offset = HEADER.copy(this.buffer, 0);
  }

  private room(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.offset + bytes));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }

  /** Starts a tuple of `fields` fields. */
  tuple(fields: number): this {
    this.room(2);
    this.offset = this.buffer.writeInt16BE(fields, this.offset);
    return this;
  }

  /** A `text` field as UTF-8. */
  text(value: string): this {
    this.room(4 + 3 * value.length);
    const length = this.buffer.write(value, this.offset + 4);
    this.buffer.writeInt32BE(length, this.offset);
    this.offset += 4 + length;
    return this;
  }

  /** A `text` field, or NULL. */
  optionalText(value: string | null): this {
    return value === null ? this.null() : this.text(value);
  }

  /** A `jsonb` field from its JSON text. */
  jsonb(json: string): this {
    this.room(5 + 3 * json.length);
    const length = this.buffer.write(json, this.offset + 5);
    this.offset = this.buffer.writeInt32BE(length + 1, this.offset);
    this.offset = this.buffer.writeUInt8(JSONB_VERSION, this.offset);
    this.offset += length;
    return this;
  }

  /** A `bigint` field from a safe integer. */
  int8(value: number): this {
    this.room(12);
    const high = Math.floor(value / TWO_TO_32);
    this.offset = this.buffer.writeInt32BE(8, this.offset);
    this.offset = this.buffer.writeInt32BE(high, this.offset);
    this.offset = this.buffer.writeUInt32BE(value - high * TWO_TO_32, this.offset);
    return this;
  }

  /** A `double precision` field. */
  float8(value: number): this {
    this.room(12);
    this.offset = this.buffer.writeInt32BE(8, this.offset);
    this.offset = this.buffer.writeDoubleBE(value, this.offset);
    return this;
  }

  /** A `bytea` field holding numbers as little-endian float64s, a -0 written as 0 (see `featureValuesParam`). */
  float64sLittleEndian(values: readonly number[]): this {
    this.room(4 + 8 * values.length);
    this.offset = this.buffer.writeInt32BE(8 * values.length, this.offset);
    // Indexed: `for … of` over a frozen array (as parsed records hold) allocated an iterator result per value.
    for (let index = 0; index < values.length; index += 1) {
      const value = values[index]!;
      this.offset = this.buffer.writeDoubleLE(value === 0 ? 0 : value, this.offset);
    }
    return this;
  }

  /** A NULL field. */
  null(): this {
    this.room(4);
    this.offset = this.buffer.writeInt32BE(-1, this.offset);
    return this;
  }

  /** The data with its trailer (a view of the writer's buffer: the writer is done). */
  finish(): Uint8Array {
    this.room(2);
    this.offset = this.buffer.writeInt16BE(-1, this.offset);
    return this.buffer.subarray(0, this.offset);
  }
}
