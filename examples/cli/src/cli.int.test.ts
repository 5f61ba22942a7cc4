// The built `tradepipe` bin run as a child process, as a user runs it (CI builds before testing; the build of
// this package is redone here so the test sees the current source).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDirectory = fileURLToPath(new URL('..', import.meta.url));
const bin = join(packageDirectory, 'dist', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'tradepipe-cli-'));

function tradepipe(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 300_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  execFileSync('npx', ['tsup'], { cwd: packageDirectory, stdio: 'ignore' });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('tradepipe (the built bin)', () => {
  it('answers --help for the program, every command and every subcommand group, exit 0', () => {
    const main = tradepipe('--help');
    expect(main.status).toBe(0);
    for (const name of ['run', 'backtest', 'download', 'train', 'check lookahead', 'dev', 'service', 'migrate', 'health', 'kill-switch engage', 'dead-letters requeue', 'Exit codes']) expect(main.stdout).toContain(name);
    for (const command of [['run'], ['backtest'], ['download'], ['train'], ['check', 'lookahead'], ['dev'], ['service'], ['migrate'], ['health'], ['kill-switch', 'status'], ['kill-switch', 'engage'], ['kill-switch', 'release'], ['dead-letters', 'list'], ['dead-letters', 'requeue'], ['dead-letters', 'discard']]) {
      const help = tradepipe(...command, '--help');
      expect(help.status, command.join(' ')).toBe(0);
      expect(help.stdout).toContain(`Usage: tradepipe ${command.join(' ')}`);
      expect(help.stdout).toContain('--json');
    }
    expect(tradepipe('check', '--help').stdout).toContain('check lookahead');
  });

  it('refuses bad arguments with exit 2 and one line on stderr, no stack', () => {
    for (const args of [['bogus'], ['backtest', '--bogus'], ['backtest', '--granularity', 'TEN_MINUTES'], ['backtest', '--from', 'yesterday'], ['check'], ['download', '--from', '2024-01-01'], ['check', 'lookahead', '--cut-points', '0'], ['service', 'nope'], ['train'], ['dev', '--rate', '0'], ['dev', '--schema', 'x'], ['dev', '--database-url', 'mysql://x']]) {
      const result = tradepipe(...args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr).toMatch(/^tradepipe: usage: /);
    }
  });

  it('fails with one line naming the error code, and details only with --verbose', () => {
    const missing = tradepipe('backtest', '--candles', 'no-such-file.csv');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^tradepipe: not_found: cannot read the candle file .*no-such-file\.csv\n$/);
    const verbose = tradepipe('backtest', '--candles', 'no-such-file.csv', '--verbose');
    expect(verbose.stderr.split('\n').length).toBeGreaterThan(2);
    const json = tradepipe('backtest', '--candles', 'no-such-file.csv', '--json');
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'not_found' } });
  });

  it('backtests a few hundred bundled candles twice into the same report.json (apart from generatedAtMs)', () => {
    const args = ['backtest', '--from', '2025-03-01', '--to', '2025-09-01'];
    const first = tradepipe(...args, '--out', 'first');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('buy_and_hold');
    expect(first.stderr).toContain('replay: 184/184');
    const second = tradepipe(...args, '--out', 'second', '--json');
    expect(second.status).toBe(0);
    const printed = JSON.parse(second.stdout) as { report: { generatedAtMs: number } };
    const [a, b] = ['first', 'second'].map((directory) => JSON.parse(readFileSync(join(work, directory, 'report.json'), 'utf8')) as { generatedAtMs: number; period: { candles: number } });
    expect(a!.period.candles).toBe(184);
    expect({ ...b!, generatedAtMs: 0 }).toEqual({ ...a!, generatedAtMs: 0 });
    expect(printed.report.generatedAtMs).toBe(b!.generatedAtMs);
    // --out writes the HTML page beside the JSON; `tradepipe report` renders it again from the JSON alone.
    const html = readFileSync(join(work, 'first', 'report.html'), 'utf8');
    expect(html).toContain('<!doctype html');
    expect(html).toContain('Performance beside the baselines');
    const rendered = tradepipe('report', join('first', 'report.json'), '--out', 'again.html');
    expect(rendered.status, rendered.stderr).toBe(0);
    expect(rendered.stdout).toContain('buy-and-hold');
    expect(readFileSync(join(work, 'again.html'), 'utf8')).toBe(html);
    writeFileSync(join(work, 'not-a-report.json'), '{"schemaVersion": 99}');
    const refused = tradepipe('report', 'not-a-report.json');
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(work, 'not-a-report.html'))).toBe(false);
  });

  it('checks lookahead at 20 cut points on a small range and passes the default pipeline', () => {
    const result = tradepipe('check', 'lookahead', '--from', '2025-07-01', '--to', '2025-09-01', '--cut-points', '20', '--json');
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { passed: boolean; cutStartMs: number[]; decisionsCompared: number };
    expect(report.cutStartMs).toHaveLength(20);
    expect(report.decisionsCompared).toBeGreaterThan(20);
    expect(report.passed).toBe(true);
  });
});
