import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readImageLayout, treePathOf } from './image-layout.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BUILT = ['packages/core', 'packages/storage-pg', 'examples/services'].every((path) => existsSync(join(ROOT, path, 'dist')));
const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
/** Packages of development only: none may reach the image. */
const DEV_PACKAGES = ['vitest', 'typescript', 'tsup', 'tsx', 'typedoc', 'esbuild', 'rollup', 'fast-check', 'playwright-core', 'kubernetes-models', 'technicalindicators', 'trading-signals', 'yaml', '@vitest/runner', 'vite'];

if (!BUILT) {
  const message = 'the repository is not built (npm run build): the image runtime tree test is SKIPPED';
  if (IN_CI) throw new Error(`${message} (and CI is set, so this fails)`);
  process.stderr.write(`\n!!! ${message}\n\n`);
}

describe.skipIf(!BUILT)('the image runtime tree (scripts/image-runtime-tree.mjs, as the Dockerfile builds it)', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'tradepipe-image-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('is under 150 MB, production packages only, ONNX Runtime for this platform only, and the services start', { timeout: 600_000 }, () => {
    const output = execFileSync(process.execPath, [join(ROOT, 'scripts/image-runtime-tree.mjs'), '--out', outDir, '--json'], { encoding: 'utf8', cwd: ROOT });
    const summary = JSON.parse(output.trim().split('\n').at(-1)!) as { bytes: number; packages: string[]; platform: string };
    process.stdout.write(`image runtime tree: ${(summary.bytes / 1e6).toFixed(1)} MB, ${summary.packages.length} packages\n`);
    expect(summary.bytes).toBeLessThan(150e6);
    expect(summary.packages.filter((name) => DEV_PACKAGES.includes(name) || name.startsWith('@vitest/') || name.startsWith('@rollup/') || name.startsWith('@esbuild/'))).toEqual([]);
    const binaries = execFileSync('find', [join(outDir, 'node_modules/onnxruntime-node/bin'), '-mindepth', '3', '-maxdepth', '3', '-type', 'd'], { encoding: 'utf8' });
    expect(binaries.trim().split('\n').map((path) => path.split('/').slice(-2).join('-'))).toEqual([summary.platform]);
    // The entry point runs from the tree alone, as `node dist/main.js` in the image's WORKDIR (what `kubectl exec`
    // runs): an unknown service is refused with the list of services.
    const workdir = join(outDir, treePathOf(readImageLayout(), '.')!);
    let refusal = '';
    try {
      execFileSync(process.execPath, ['dist/main.js', 'no-such-service'], { encoding: 'utf8', cwd: workdir, stdio: 'pipe', env: { PATH: process.env.PATH } });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      refusal = `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
    }
    expect(refusal).toMatch(/no-such-service/);
    expect(refusal).toMatch(/trade-executor/);
    // The native ONNX Runtime binding loads from the tree.
    const loaded = execFileSync(process.execPath, ['--input-type=module', '-e', "const ort = await import('onnxruntime-node'); console.log(typeof ort.InferenceSession.create)"], { encoding: 'utf8', cwd: outDir });
    expect(loaded.trim()).toBe('function');
  });
});
