import { readFile, writeFile } from 'node:fs/promises';
import { TradepipeError } from '@tradepipe/core';

/** Why a file could not be opened, in words, by Node's error code. */
const FILE_ERROR_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
};

function reasonOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
  return (code === undefined ? undefined : FILE_ERROR_REASONS[code]) ?? code ?? 'unknown error';
}

/**
 * Reads a file the user named (`--candles`, `--model`, a report.json): a missing or unreadable one is one line
 * naming it, `tradepipe: not_found: cannot read the <what> file <path>: <why>` (exit 1), not an internal error.
 * @param what what the file holds, for the message: `candle`, `model`, `report`
 * @throws TradepipeError `not_found` with the path in its details and the system error as its cause
 */
export async function readUserFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new TradepipeError('not_found', `cannot read the ${what} file ${path}: ${reasonOf(error)}`, { cause: error, details: { path } });
  }
}

/** {@link readUserFile} as UTF-8 text. @throws TradepipeError `not_found` */
export async function readUserTextFile(path: string, what: string): Promise<string> {
  return (await readUserFile(path, what)).toString('utf8');
}

/**
 * Writes a file the user named (`--out`, `--report`): a missing directory or a refused write is one line naming
 * the file, `tradepipe: not_found: cannot write the <what> file <path>: <why>` (exit 1).
 * @throws TradepipeError `not_found` with the path in its details and the system error as its cause
 */
export async function writeUserFile(path: string, data: string | Uint8Array, what: string): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (error) {
    throw new TradepipeError('not_found', `cannot write the ${what} file ${path}: ${reasonOf(error)}`, { cause: error, details: { path } });
  }
}
