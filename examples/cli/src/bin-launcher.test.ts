// The `tradepipe` bin npm links is a committed launcher, not a build output: npm links a workspace's bin only if
// its target exists at install time, and dist/ exists only after `npm run build` (a fresh `npm ci` then left no
// node_modules/.bin/tradepipe, and `npx tradepipe` asked the registry). These tests need no build of their own.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const packageDirectory = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(packageDirectory, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
const launcher = join(packageDirectory, manifest.bin.tradepipe ?? '');
const scratch = mkdtempSync(join(tmpdir(), 'tradepipe-launcher-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Copies the launcher into `root/bin/`, as in a checkout or an installed package without or with a dist. */
function launcherIn(root: string): string {
  mkdirSync(join(root, 'bin'), { recursive: true });
  const copy = join(root, 'bin', 'tradepipe.js');
  copyFileSync(launcher, copy);
  return copy;
}

describe('the tradepipe bin (package.json bin.tradepipe)', () => {
  it('is a committed, executable ESM launcher outside dist, shipped in the package files', () => {
    const target = normalize(manifest.bin.tradepipe ?? '');
    expect(target.split(/[\\/]/)[0]).not.toBe('dist');
    expect(existsSync(launcher)).toBe(true);
    expect(statSync(launcher).mode & 0o111).not.toBe(0);
    const source = readFileSync(launcher, 'utf8');
    expect(source.split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(source).toContain("'../dist/main.js'");
    expect(manifest.files).toContain(target.split(/[\\/]/)[0]);
  });

  it('without a build, says to run npm run build in one line and exits 1', () => {
    const copy = launcherIn(join(scratch, 'unbuilt'));
    const result = spawnSync(process.execPath, [copy, '--help'], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain("run 'npm run build' first");
  });

  it('runs dist/main.js with the arguments and the exit code as given', () => {
    const root = join(scratch, 'built');
    const copy = launcherIn(root);
    mkdirSync(join(root, 'dist'));
    // A stand-in for the built command: it reads its arguments where main.js reads them and sets an exit code.
    writeFileSync(join(root, 'dist', 'main.js'), 'process.stdout.write(JSON.stringify(process.argv.slice(2)));\nprocess.exitCode = 7;\n');
    const result = spawnSync(process.execPath, [copy, 'kill-switch', 'status', '--schema', 'live'], { encoding: 'utf8', timeout: 60_000 });
    expect([result.status, result.stderr, JSON.parse(result.stdout)]).toEqual([7, '', ['kill-switch', 'status', '--schema', 'live']]);
  });

  it.runIf(process.platform !== 'win32')('runs the built command when executed itself, as npm links it', () => {
    // The examples project's global setup has built dist/main.js.
    const result = spawnSync(launcher, ['--version'], { encoding: 'utf8', timeout: 60_000 });
    expect([result.status, result.stdout]).toEqual([0, `${(JSON.parse(readFileSync(join(packageDirectory, 'package.json'), 'utf8')) as { version: string }).version}\n`]);
  });
});
