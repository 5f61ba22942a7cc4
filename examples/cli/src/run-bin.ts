// Tests only: the built `tradepipe` bin run as a child process, as a user runs it (the `examples` project's global
// setup, build-for-tests.ts, builds it first). Shared by the command's integration tests.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built bin, `dist/main.js` of this package. */
export const TRADEPIPE_BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** What one run of the bin did. */
export interface BinResult {
  /** The exit code (`null` when a signal or the timeout ended it). */
  readonly status: number | null;
  /** Everything it wrote to stdout, as UTF-8. */
  readonly stdout: string;
  /** Everything it wrote to stderr, as UTF-8. */
  readonly stderr: string;
}

/** Where and how the bin runs. */
export interface BinOptions {
  /** Working directory (default this process's). */
  readonly cwd?: string;
  /** The whole environment of the bin. */
  readonly env: NodeJS.ProcessEnv;
}

/** Runs the bin to its end, blocking this process, killed after `timeoutMs`. */
export function runBin(args: readonly string[], options: BinOptions & { readonly timeoutMs: number }): BinResult {
  const result = spawnSync(process.execPath, [TRADEPIPE_BIN, ...args], { cwd: options.cwd, env: options.env, encoding: 'utf8', timeout: options.timeoutMs });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the bin without blocking this process (a fake server it talks to answers from here). */
export function runBinAsync(args: readonly string[], options: BinOptions): Promise<BinResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [TRADEPIPE_BIN, ...args], { cwd: options.cwd, env: options.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
}
