/** What a command talks to: output streams, the environment and the working directory (tests pass their own). */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on Ctrl-C. */
  readonly signal: AbortSignal;
}

/** Flags every command takes. */
export interface GlobalFlags {
  /** Print one JSON document on stdout (errors as JSON on stderr); no progress. */
  readonly json: boolean;
  /** Show error details, causes and stacks. */
  readonly verbose: boolean;
}

/** Progress of a long step: a bar redrawn in place on a terminal, a plain line every 10 % otherwise, nothing with --json. */
export interface Progress {
  update(done: number, total: number, note?: string): void;
  done(note?: string): void;
}

const BAR_WIDTH = 30;

/**
 * Creates the progress display of one step. On a terminal (stderr is a TTY) a bar is redrawn at most every
 * 100 ms; otherwise a line is printed at each tenth; with `--json` nothing is printed.
 */
export function createProgress(io: CliIo, flags: GlobalFlags, label: string): Progress {
  if (flags.json) return { update: () => undefined, done: () => undefined };
  const tty = io.stderr.isTTY === true;
  let lastDrawMs = 0;
  let lastTenth = -1;
  let drawn = false;
  return {
    update(done, total, note) {
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      if (tty) {
        const nowMs = performance.now();
        if (nowMs - lastDrawMs < 100 && done < total) return;
        lastDrawMs = nowMs;
        const filled = Math.round(fraction * BAR_WIDTH);
        io.stderr.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${total}${note === undefined ? '' : ` ${note}`}\u001b[K`);
        drawn = true;
        return;
      }
      const tenth = Math.floor(fraction * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      io.stderr.write(`${label}: ${done}/${total} (${(fraction * 100).toFixed(0)} %)${note === undefined ? '' : ` ${note}`}\n`);
    },
    done(note) {
      if (tty && drawn) io.stderr.write('\n');
      if (note !== undefined) io.stderr.write(`${label}: ${note}\n`);
    },
  };
}
