// The `tradepipe` command. See README.md, or run `tradepipe --help`.
import { runCli } from './cli.js';

const controller = new AbortController();
let firstInterruptAtMs: number | undefined;
const command = process.argv[2];
// `tradepipe service` drains on SIGTERM/SIGINT itself.
if (command !== 'service') process.on('SIGINT', () => {
  // The first Ctrl-C stops the command between steps (a download keeps what it wrote); a second one exits now.
  // `dev` is draining its services: a terminal may send Ctrl-C twice at once, so only one 2 s later forces the
  // exit (its service processes then stop themselves, their stdin closing).
  if (firstInterruptAtMs !== undefined && (command !== 'dev' || performance.now() - firstInterruptAtMs > 2_000)) process.exit(130);
  firstInterruptAtMs ??= performance.now();
  controller.abort();
});
// `tradepipe dev` drains on SIGTERM as on Ctrl-C.
if (command === 'dev') process.on('SIGTERM', () => controller.abort());

const exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal: controller.signal });
process.exitCode = exitCode;
