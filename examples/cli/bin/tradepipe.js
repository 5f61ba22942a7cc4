#!/usr/bin/env node
// The `tradepipe` command as npm links it (package.json `bin`): a launcher committed with the source, so npm
// links it at install time, before `npm run build` has written dist/main.js (npm links a workspace's bin only
// if its target exists then). It runs the built command, or says how to build it.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("tradepipe: the command is not built yet (no dist/main.js in @tradepipe/cli): run 'npm run build' first\n");
  process.exit(1);
}
await import(main.href);
