// The `tradepipe` command. See README.md, or run `tradepipe --help`.
import { runCli } from './cli.js';

const controller = new AbortController();
let interrupts = 0;
// `tradepipe service` drains on SIGTERM/SIGINT itself.
if (process.argv[2] !== 'service') process.on('SIGINT', () => {
  interrupts += 1;
  // The first Ctrl-C stops the command between steps (a download keeps what it wrote); a second one exits now.
  if (interrupts > 1) process.exit(130);
  controller.abort();
});

const exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal: controller.signal });
process.exitCode = exitCode;
