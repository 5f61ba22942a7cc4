import { isTradepipeError, redactText } from '@tradepipe/core';

/** The exit codes of `tradepipe`, as documented in `tradepipe --help` and the README. */
export const EXIT_CODES = {
  /** The command did what was asked. */
  ok: 0,
  /** It failed: the error's code and message are printed on one line. */
  failed: 1,
  /** The command line is wrong (unknown command or option, missing or malformed value). */
  usage: 2,
  /** A check ran and found a problem (lookahead, warm-up, health not ok). */
  checkFailed: 3,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

/** A wrong command line: printed as `tradepipe: usage: …` with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help to point at (`backtest`, `check lookahead`). */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** How an error is shown: one line by default; with `verbose`, details, causes and the stack follow. */
export function describeError(error: unknown, options: { readonly verbose: boolean; readonly json: boolean }): { readonly text: string; readonly exitCode: number } {
  if (error instanceof UsageError) {
    const hint = `run 'tradepipe ${error.command === undefined ? '' : `${error.command} `}--help'`;
    if (options.json) return { text: JSON.stringify({ error: { code: 'usage', message: error.message } }), exitCode: EXIT_CODES.usage };
    return { text: `tradepipe: usage: ${error.message} (${hint})`, exitCode: EXIT_CODES.usage };
  }
  const code = isTradepipeError(error) ? error.code : 'internal';
  const message = oneLine(error instanceof Error ? error.message : String(error));
  if (options.json) {
    return { text: JSON.stringify({ error: { code, message, ...(isTradepipeError(error) && options.verbose ? { details: error.details } : {}) } }), exitCode: EXIT_CODES.failed };
  }
  const lines = [`tradepipe: ${code}: ${message}`];
  if (options.verbose) {
    if (isTradepipeError(error) && Object.keys(error.details).length > 0) lines.push(`  details: ${JSON.stringify(error.details)}`);
    let cause = error instanceof Error ? error.cause : undefined;
    while (cause !== undefined && cause !== null) {
      lines.push(`  cause: ${redactText(typeof cause === 'object' && 'message' in cause ? String((cause as { message: unknown }).message) : String(cause))}`);
      cause = typeof cause === 'object' && 'cause' in cause ? (cause as { cause: unknown }).cause : undefined;
    }
    if (error instanceof Error && error.stack !== undefined) lines.push(redactText(error.stack));
  }
  return { text: lines.join('\n'), exitCode: EXIT_CODES.failed };
}

/** A message on one line (a message with a usage list keeps its first line only). */
function oneLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
