// Builds the services image's runtime tree exactly as the Dockerfile's last stage does: the packed tarballs of
// every published package and of the services, installed with production dependencies only (`--omit=dev`),
// then ONNX Runtime's binaries for other platforms removed. Needs a built repository (`npm run build`).
//   node scripts/image-runtime-tree.mjs --out <dir> [--json]
// Prints the tree's size and package count; `--json` prints { outDir, bytes, packages, platform } for tests.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { out: { type: 'string' }, json: { type: 'boolean', default: false } } });
if (values.out === undefined) {
  process.stderr.write('usage: node scripts/image-runtime-tree.mjs --out <dir> [--json]\n');
  process.exit(2);
}
const outDir = resolve(values.out);
const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });

/** The workspaces that go into the image: every published package and the services. */
function imageWorkspaces() {
  const all = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
  return all.filter((path) => path.startsWith('packages/') || path === 'examples/services');
}

function packAll() {
  const tarballDir = join(outDir, '.tarballs');
  mkdirSync(tarballDir, { recursive: true });
  const tarballs = {};
  for (const workspace of imageWorkspaces()) {
    const manifest = JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8'));
    if (!existsSync(join(root, workspace, 'dist'))) throw new Error(`${workspace} is not built: run npm run build first`);
    const file = run('npm', ['pack', '--silent', '--pack-destination', tarballDir], join(root, workspace)).trim().split('\n').at(-1);
    tarballs[manifest.name] = `file:./.tarballs/${file}`;
  }
  return tarballs;
}

/** Removes ONNX Runtime's prebuilt binaries of every platform and architecture but this one. */
function pruneOtherPlatforms() {
  const binaries = join(outDir, 'node_modules/onnxruntime-node/bin');
  if (!existsSync(binaries)) return;
  for (const napi of readdirSync(binaries)) {
    for (const platform of readdirSync(join(binaries, napi))) {
      for (const arch of readdirSync(join(binaries, napi, platform))) {
        if (platform !== process.platform || arch !== process.arch) rmSync(join(binaries, napi, platform, arch), { recursive: true, force: true });
      }
    }
  }
}

function treeBytes(path) {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats === undefined || stats.isSymbolicLink()) return 0;
  if (!stats.isDirectory()) return stats.size;
  return readdirSync(path).reduce((sum, entry) => sum + treeBytes(join(path, entry)), 0);
}

function installedPackages() {
  const lock = JSON.parse(readFileSync(join(outDir, 'package-lock.json'), 'utf8'));
  return Object.keys(lock.packages).filter((key) => key.startsWith('node_modules/')).map((key) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length));
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tarballs = packAll();
writeFileSync(
  join(outDir, 'package.json'),
  JSON.stringify({ name: 'tradepipe-services-image', private: true, type: 'module', dependencies: tarballs, overrides: tarballs, allowScripts: rootManifest.allowScripts }, null, 2),
);
run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], outDir);
rmSync(join(outDir, '.tarballs'), { recursive: true, force: true });
pruneOtherPlatforms();
const summary = { outDir, bytes: treeBytes(outDir), packages: installedPackages(), platform: `${process.platform}-${process.arch}` };
if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
else process.stdout.write(`runtime tree ${outDir}: ${(summary.bytes / 1e6).toFixed(1)} MB, ${summary.packages.length} packages, ONNX Runtime for ${summary.platform} only\n`);
