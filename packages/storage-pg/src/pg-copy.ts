import { once } from 'node:events';
import type { PoolClient } from 'pg';

interface CopyConnection {
  readonly stream: NodeJS.WritableStream & { readonly writableNeedDrain?: boolean };
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/**
 * A `COPY … FROM STDIN` run through node-postgres' submittable protocol, so bulk ingest needs no extra
 * dependency. `chunks` yields the payload in the statement's COPY format (text as strings, binary as bytes);
 * it is produced lazily, chunk by chunk, and the event loop turns between chunks, so formatting the next chunk
 * overlaps the server's work on the last.
 * @internal
 */
export function copyFromChunks(client: PoolClient, statement: string, chunks: Iterable<string | Uint8Array>): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let copied = 0;
    let failure: unknown;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      if (failure === undefined) resolve(copied);
      else reject(failure);
    };
    const pump = async (connection: CopyConnection): Promise<void> => {
      try {
        for (const chunk of chunks) {
          connection.sendCopyFromChunk(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if (connection.stream.writableNeedDrain === true) await once(connection.stream, 'drain');
          else await new Promise((next) => setImmediate(next));
        }
        connection.endCopyFrom();
      } catch (error) {
        failure = error;
        connection.sendCopyFail('the client could not produce the COPY data');
      }
    };
    const submittable = {
      submit(connection: CopyConnection): void {
        connection.query(statement);
      },
      handleCopyInResponse(connection: CopyConnection): void {
        void pump(connection);
      },
      handleCommandComplete(message: { text?: string }): void {
        const match = /^COPY (\d+)/.exec(message.text ?? '');
        copied = match === null ? 0 : Number(match[1]);
      },
      handleReadyForQuery(): void {
        finish();
      },
      handleError(error: unknown): void {
        failure ??= error;
        finish();
      },
      handleRowDescription(): void {},
      handleDataRow(): void {},
      handleEmptyQuery(): void {},
      handlePortalSuspended(): void {},
      handleCopyData(): void {},
    };
    (client as unknown as { query(submittable: object): void }).query(submittable);
  });
}
