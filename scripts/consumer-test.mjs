// Publishing check: packs every package, installs the tarballs into a new project outside the repository,
// type-checks a small pipeline against the published .d.ts, and runs it with `import` and with `require`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
// The published packages: the libraries, and the command (@tradepipe/cli, bin tradepipe).
const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces.filter((path) => path.startsWith('packages/') || path === 'examples/cli');
const project = mkdtempSync(join(tmpdir(), 'tradepipe-consumer-'));
const run = (command, args, cwd) => execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });

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
  process.stdout.write(`consumer test passed (${readdirSync(join(project, 'tarballs')).length} tarballs)\n`);
} finally {
  rmSync(project, { recursive: true, force: true });
}
