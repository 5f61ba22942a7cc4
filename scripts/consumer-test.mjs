// Publishing check: packs every package, installs the tarballs into a new project outside the repository,
// type-checks a small pipeline against the published .d.ts, and runs it with `import` and with `require`.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
// The published packages: the libraries, and the command (@tradepipe/cli, bin tradepipe).
const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces.filter((path) => path.startsWith('packages/') || path === 'examples/cli');
const project = mkdtempSync(join(tmpdir(), 'tradepipe-consumer-'));
const run = (command, args, cwd) => execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });

/** Whether 127.0.0.1:port is free. */
function portFree(port) {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(true)));
  });
}

/** Starts `tradepipe dev` from the project, fetches `/` from its health monitor, stops it with SIGINT (exit 0). */
async function devStatusPage(cwd) {
  let base;
  do base = 20_000 + Math.floor(Math.random() * 40_000);
  while (!(await Promise.all(Array.from({ length: 9 }, (_, offset) => portFree(base + offset)))).every(Boolean));
  const child = spawn(join(cwd, 'node_modules/.bin/tradepipe'), ['dev', '--port-base', String(base), '--logs', join(cwd, 'dev-logs')], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  try {
    const deadline = performance.now() + 180_000;
    for (;;) {
      const page = await fetch(`http://127.0.0.1:${base + 8}/`, { signal: AbortSignal.timeout(5_000) }).then((response) => (response.ok ? response.text() : undefined)).catch(() => undefined);
      if (page !== undefined) {
        if (!page.includes('LightweightCharts')) throw new Error('the status page does not inline lightweight-charts');
        break;
      }
      if (child.exitCode !== null || performance.now() > deadline) throw new Error('tradepipe dev did not serve its status page');
      await new Promise((resolveWait) => setTimeout(resolveWait, 500));
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGINT');
  }
  const code = await exited;
  if (code !== 0) throw new Error(`tradepipe dev exited with ${code} after SIGINT`);
  return `status page served on :${base + 8}, stopped with exit 0`;
}

try {
  const tarballs = {};
  mkdirSync(join(project, 'tarballs'));
  for (const workspace of workspaces) {
    const pkg = JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8'));
    const output = run('npm', ['pack', '--silent', '--pack-destination', join(project, 'tarballs')], join(root, workspace)).trim().split('\n').at(-1);
    tarballs[pkg.name] = `file:./tarballs/${output}`;
  }
  const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const versions = rootPackage.devDependencies;
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify(
      {
        name: 'tradepipe-consumer',
        private: true,
        type: 'module',
        dependencies: tarballs,
        overrides: Object.fromEntries(Object.entries(tarballs)),
        devDependencies: { typescript: versions.typescript, '@types/node': versions['@types/node'] },
        allowScripts: rootPackage.allowScripts,
      },
      null,
      2,
    ),
  );
  const consumer = readFileSync(join(root, 'scripts/consumer/pipeline.ts'), 'utf8');
  writeFileSync(join(project, 'pipeline.ts'), consumer);
  writeFileSync(
    join(project, 'tsconfig.json'),
    // skipLibCheck: false — every published .d.ts, and those of our dependencies, must compile (storage-pg's
    // references @types/emscripten, which PGlite's own declarations need).
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: ['node'], skipLibCheck: false, outDir: 'out', noEmit: false } }),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], project);
  run('npx', ['tsc', '-p', 'tsconfig.json'], project);
  const esm = run('node', ['out/pipeline.js'], project);
  process.stdout.write(`import: ${esm}`);
  writeFileSync(join(project, 'require.cjs'), readFileSync(join(root, 'scripts/consumer/require.cjs'), 'utf8'));
  const cjs = run('node', ['require.cjs'], project);
  process.stdout.write(`require: ${cjs}`);
  // The packed command installs with its dependencies and answers --help from node_modules/.bin.
  const help = run('npx', ['--no-install', 'tradepipe', '--help'], project);
  if (!help.includes('Usage: tradepipe <command>')) throw new Error('the installed tradepipe did not print its help');
  process.stdout.write(`tradepipe --help: ${help.split('\n')[0]}\n`);
  // The installed command runs the dev stack (fakes from the packages' ./testing entries, the bundled candles) and
  // its health monitor serves the status page with lightweight-charts resolved from the installed dependency.
  process.stdout.write(`tradepipe dev: ${await devStatusPage(project)}\n`);
  process.stdout.write(`consumer test passed (${readdirSync(join(project, 'tarballs')).length} tarballs)\n`);
} finally {
  rmSync(project, { recursive: true, force: true });
}
