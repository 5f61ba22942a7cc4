// Where the dev stack's services log: one file of JSON lines per service, so the terminal shows the trading.
import { closeSync, createWriteStream, mkdirSync, openSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

/** The log files of a dev stack. */
export interface DevLogs {
  readonly directory: string;
  /** The file of `name` (`market-data` → `<directory>/market-data.log`). */
  pathOf(name: string): string;
  /** A line writer appending to `name`'s file (in-process services). */
  writer(name: string): (line: string) => void;
  /** A file descriptor appending to `name`'s file (a child's stdout and stderr); closed by `close`. */
  descriptor(name: string): number;
  /** The last `count` lines of `name`'s file. */
  tail(name: string, count: number): string[];
  close(): Promise<void>;
}

/** Opens (creates) the log directory. */
export function openDevLogs(directory: string): DevLogs {
  mkdirSync(directory, { recursive: true });
  const streams = new Map<string, WriteStream>();
  const descriptors: number[] = [];
  const pathOf = (name: string): string => join(directory, `${name}.log`);
  return {
    directory,
    pathOf,
    writer(name) {
      const stream = streams.get(name) ?? createWriteStream(pathOf(name), { flags: 'a' });
      streams.set(name, stream);
      return (line) => void stream.write(`${line}\n`);
    },
    descriptor(name) {
      const descriptor = openSync(pathOf(name), 'a');
      descriptors.push(descriptor);
      return descriptor;
    },
    tail(name, count) {
      try {
        return readFileSync(pathOf(name), 'utf8').trimEnd().split('\n').slice(-count);
      } catch {
        return [];
      }
    },
    async close() {
      await Promise.all([...streams.values()].map((stream) => new Promise<void>((resolve) => stream.end(resolve))));
      for (const descriptor of descriptors.splice(0)) closeSync(descriptor);
    },
  };
}

/** The error code and message of the last error line in a service's log, if any: why it did not start. */
export function lastLoggedError(lines: readonly string[]): { readonly code: string; readonly message: string } | undefined {
  for (const line of [...lines].reverse()) {
    try {
      const parsed = JSON.parse(line) as { level?: unknown; message?: unknown; code?: unknown; error?: { message?: unknown; code?: unknown } };
      if (parsed.level !== 'error') continue;
      const code = typeof parsed.code === 'string' ? parsed.code : typeof parsed.error?.code === 'string' ? parsed.error.code : 'internal';
      const detail = typeof parsed.error?.message === 'string' ? parsed.error.message : '';
      return { code, message: [String(parsed.message), detail].filter(Boolean).join(': ') };
    } catch {
      continue;
    }
  }
  return undefined;
}
