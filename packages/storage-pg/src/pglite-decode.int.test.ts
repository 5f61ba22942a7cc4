import { isDeepStrictEqual } from 'node:util';
import { messages, parse, protocol, type PGlite } from '@electric-sql/pglite';
import { describeStoreConformance } from '@tradepipe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeExchange, type ResultField } from './pglite-decode.js';
import { parsersOf } from './pglite-wire.js';
import { pgliteStoreFactory } from './test-database.js';

// Every exchange the conformance suite makes is read twice from the same bytes: by the store's one-pass
// decoder and by PGlite's own protocol parser + `parse.parseResults` (the reading the driver used before).
const factory = pgliteStoreFactory('decode');
const tally = { exchanges: 0, rows: 0, withoutDescribe: 0, errors: 0, notifications: 0 };
const mismatches: string[] = [];
/** Prepared statement name → the RowDescription of its described run (`null`: it returns no rows). */
const described = new Map<string, messages.RowDescriptionMessage | null>();

/** The request's frontend messages: the statement its Bind names, and whether it asks for a Describe. */
function requestOf(message: Uint8Array): { statement: string | undefined; describe: boolean } {
  const bytes = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  let statement: string | undefined;
  let describe = false;
  for (let offset = 0; offset + 5 <= bytes.length; offset += 1 + bytes.readInt32BE(offset + 1)) {
    const code = String.fromCharCode(bytes[offset]!);
    if (code === 'D') describe = true;
    if (code === 'B') {
      const portalEnd = bytes.indexOf(0, offset + 5);
      statement = bytes.toString('utf8', portalEnd + 1, bytes.indexOf(0, portalEnd + 1));
    }
  }
  return { statement, describe };
}

function errorFields(error: messages.DatabaseError | undefined): unknown {
  return error === undefined ? undefined : { ...error, message: error.message, name: error.name, isDatabaseError: error instanceof messages.DatabaseError };
}

function compare(database: PGlite, request: Uint8Array, answer: Uint8Array): void {
  const parsed: messages.BackendMessage[] = [];
  new protocol.Parser().parse(answer, (message) => parsed.push(message));
  // PGlite keeps nothing after the first error.
  const errorAt = parsed.findIndex((message) => message instanceof messages.DatabaseError);
  const kept = errorAt === -1 ? parsed : parsed.slice(0, errorAt);
  const { statement, describe } = requestOf(request);
  let knownFields: readonly ResultField[] | undefined;
  if (statement !== undefined && statement !== '' && describe) {
    described.set(statement, (kept.find((message) => message.name === 'rowDescription') as messages.RowDescriptionMessage | undefined) ?? null);
  } else if (statement !== undefined && statement !== '') {
    tally.withoutDescribe += 1;
    const description = described.get(statement);
    if (description === undefined) mismatches.push(`statement ${statement} ran without Describe before a described run`);
    if (description) {
      knownFields = description.fields.map((field) => ({ name: field.name, dataTypeID: field.dataTypeID }));
      const firstRow = kept.findIndex((message) => message.name === 'dataRow');
      if (firstRow !== -1) kept.splice(firstRow, 0, description);
    }
  }
  const expected = parse.parseResults(kept, parsersOf(database)).at(-1)!;
  const actual = decodeExchange(answer, parsersOf(database), knownFields);
  const expectedNotifications = kept
    .filter((message): message is messages.NotificationResponseMessage => message instanceof messages.NotificationResponseMessage)
    .map(({ channel, payload }) => ({ channel, payload }));
  const same =
    isDeepStrictEqual(actual.rows, expected.rows) &&
    actual.command === expected.command &&
    actual.affectedRows === (expected.affectedRows ?? 0) &&
    isDeepStrictEqual(errorFields(actual.error), errorFields(errorAt === -1 ? undefined : (parsed[errorAt] as messages.DatabaseError))) &&
    isDeepStrictEqual(actual.notifications, expectedNotifications);
  if (!same) mismatches.push(`${statement ?? 'script'}: ${JSON.stringify({ actual, expected })}`.slice(0, 2_000));
  tally.exchanges += 1;
  tally.rows += expected.rows.length;
  tally.errors += errorAt === -1 ? 0 : 1;
  tally.notifications += expectedNotifications.length;
}

beforeAll(async () => {
  const database = await factory.database();
  const exchange = database.execProtocolRawStream.bind(database);
  database.execProtocolRawStream = async (message, options) => {
    const chunks: Uint8Array[] = [];
    await exchange(message, {
      ...options,
      onRawData: (bytes) => {
        chunks.push(bytes.slice());
        options.onRawData(bytes);
      },
    });
    compare(database, message, Buffer.concat(chunks));
  };
});

describeStoreConformance('pglite, every answer read by both decoders', factory);

describe('PGlite one-pass decoder against PGlite’s own parsing', () => {
  afterAll(async () => {
    await factory.closeDatabase();
  });

  it('gave the same rows, command tags, row counts, errors and notifications for every exchange of the conformance suite', () => {
    expect(mismatches).toEqual([]);
    // The suite exercised what the comparison is for (1,154 exchanges, 445 rows, 373 runs without Describe, 2
    // errors, 7 notifications when written): rows with and without Describe, errors, notifications.
    expect(tally.exchanges).toBeGreaterThan(1_000);
    expect(tally.rows).toBeGreaterThan(300);
    expect(tally.withoutDescribe).toBeGreaterThan(250);
    expect(tally.errors).toBeGreaterThan(0);
    expect(tally.notifications).toBeGreaterThan(0);
  });
});
