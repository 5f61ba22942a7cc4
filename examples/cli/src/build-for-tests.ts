// The `examples` test project's global setup: builds this package (the `tradepipe` bin, dist/main.js) once,
// before any of its test files starts, so the tests run the current source. Each file used to run tsup itself:
// with the files in parallel, one build's `clean` removed the bin another file was running.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Budget for the build on a loaded 2-core machine (it takes ~10 s on an idle one). */
const BUILD_BUDGET_MS = 300_000;

/**
 * Builds the `tradepipe` bin with tsup (vitest calls this once per run of the project).
 * @internal
 */
export function setup(): void {
  execFileSync('npx', ['tsup'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'ignore', 'inherit'], timeout: BUILD_BUDGET_MS });
}
