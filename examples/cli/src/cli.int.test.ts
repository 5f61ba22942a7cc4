// The built `tradepipe` bin run as a child process, as a user runs it (the `examples` project's global setup,
// build-for-tests.ts, rebuilds this package before the tests so they see the current source).
import { startFakeCoinbase } from '@tradepipe/coinbase/testing';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runBin, runBinAsync, type BinResult } from './run-bin.js';

const work = mkdtempSync(join(tmpdir(), 'tradepipe-cli-'));
/** The working directory as the bin sees it (process.cwd() resolves symbolic links, e.g. a /tmp link). */
const cwd = realpathSync(work);
const bundledCandles = fileURLToPath(new URL('../../../data/btc-usd-1d.csv', import.meta.url));

const tradepipe = (...args: string[]): BinResult => runBin(args, { cwd: work, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 300_000 });

/** The bin run without blocking this process (the fake exchange it talks to answers from here). */
const tradepipeAsync = (...args: string[]): Promise<BinResult> => runBinAsync(args, { cwd: work, env: { ...process.env, NO_COLOR: '1' } });

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('tradepipe (the built bin)', () => {
  it('answers --help for the program, every command and every subcommand group, exit 0', () => {
    const main = tradepipe('--help');
    expect(main.status).toBe(0);
    for (const name of ['run', 'backtest', 'download', 'train', 'check lookahead', 'check warmup', 'dev', 'service', 'migrate', 'health', 'kill-switch engage', 'dead-letters requeue', 'Exit codes']) expect(main.stdout).toContain(name);
    for (const command of [['run'], ['backtest'], ['download'], ['train'], ['check', 'lookahead'], ['check', 'warmup'], ['dev'], ['service'], ['migrate'], ['health'], ['kill-switch', 'status'], ['kill-switch', 'engage'], ['kill-switch', 'release'], ['dead-letters', 'list'], ['dead-letters', 'requeue'], ['dead-letters', 'discard']]) {
      const help = tradepipe(...command, '--help');
      expect(help.status, command.join(' ')).toBe(0);
      expect(help.stdout).toContain(`Usage: tradepipe ${command.join(' ')}`);
      expect(help.stdout).toContain('--json');
    }
    const check = tradepipe('check', '--help').stdout;
    for (const name of ['check lookahead', 'check warmup']) expect(check).toContain(name);
  });

  it('refuses bad arguments with exit 2 and one line on stderr, no stack', () => {
    for (const args of [['bogus'], ['backtest', '--bogus'], ['backtest', '--granularity', 'TEN_MINUTES'], ['backtest', '--from', 'yesterday'], ['check'], ['download', '--from', '2024-01-01'], ['check', 'lookahead', '--cut-points', '0'], ['service', 'nope'], ['train'], ['dev', '--rate', '0'], ['dev', '--schema', 'x'], ['dev', '--database-url', 'mysql://x'], ['train', '--out', 'x.onnx', '--horizon', '5 days'], ['train', '--out', 'x.onnx', '--horizon', '36h'], ['train', '--out', 'x.onnx', '--min-train', '90m'], ['train', '--out', 'x.onnx', '--features', 'rsi_14,atr_14'], ['train', '--out', 'x.onnx', '--product', 'BTC-USD,ETH-USD', '--candles', 'a.csv'], ['check', 'warmup', '--warmup', '60'], ['check', 'warmup', '--history', '100,20000']]) {
      const result = tradepipe(...args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr).toMatch(/^tradepipe: usage: /);
    }
  });

  it('says why a training option is refused: the candle size, the valid feature names', () => {
    const horizon = tradepipe('train', '--out', 'x.onnx', '--horizon', '36h');
    expect(horizon.stderr).toBe("tradepipe: usage: --horizon 36h is not a whole number of ONE_DAY candles (1d each) (run 'tradepipe train --help')\n");
    const features = tradepipe('train', '--out', 'x.onnx', '--features', 'rsi_14,atr_14');
    expect(features.stderr).toMatch(/^tradepipe: usage: unknown feature 'atr_14' in --features; give default, all, or names among: log_return_1, .*, true_range_to_atr_14, .*, day_of_week_cos \(run 'tradepipe train --help'\)\n$/);
    expect(existsSync(join(work, 'x.onnx'))).toBe(false);
  });

  it('fails with one line naming the error code, and details only with --verbose', () => {
    const missing = tradepipe('backtest', '--candles', 'no-such-file.csv');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`tradepipe: not_found: cannot read the candle file ${join(cwd, 'no-such-file.csv')}: no such file or directory\n`);
    const verbose = tradepipe('backtest', '--candles', 'no-such-file.csv', '--verbose');
    expect(verbose.stderr.split('\n').length).toBeGreaterThan(2);
    const json = tradepipe('backtest', '--candles', 'no-such-file.csv', '--json');
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'not_found' } });
  });

  it('names a missing or unreadable input file in one line, exit 1, as for the candle file (not internal: ENOENT)', () => {
    mkdirSync(join(work, 'a-directory.json'), { recursive: true });
    for (const [args, line] of [
      [['report', 'nonexist.json'], `cannot read the report file ${join(cwd, 'nonexist.json')}: no such file or directory`],
      [['report', 'a-directory.json'], `cannot read the report file ${join(cwd, 'a-directory.json')}: it is a directory`],
      [['backtest', '--model', 'no-such-model.onnx', '--from', '2025-08-01'], `cannot read the model file ${join(cwd, 'no-such-model.onnx')}: no such file or directory`],
      [['check', 'warmup', '--candles', join('no-dir', 'btc.csv')], `cannot read the candle file ${join(cwd, 'no-dir', 'btc.csv')}: no such file or directory`],
    ] as const) {
      const result = tradepipe(...args);
      expect([result.status, result.stdout, result.stderr], args.join(' ')).toEqual([1, '', `tradepipe: not_found: ${line}\n`]);
      const json = tradepipe(...args, '--json');
      expect(JSON.parse(json.stderr), args.join(' ')).toEqual({ error: { code: 'not_found', message: line } });
    }
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
    const unwritable = tradepipe('report', join('first', 'report.json'), '--out', join('no-such-dir', 'again.html'));
    expect([unwritable.status, unwritable.stderr]).toEqual([1, `tradepipe: not_found: cannot write the HTML report file ${join(cwd, 'no-such-dir', 'again.html')}: no such file or directory\n`]);
    writeFileSync(join(work, 'not-a-report.json'), '{"schemaVersion": 99}');
    const refused = tradepipe('report', 'not-a-report.json');
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(work, 'not-a-report.html'))).toBe(false);
    // A report whose in-sample count is not one a page can show: a usage error, not a TypeError or RangeError.
    const report = JSON.parse(readFileSync(join(work, 'first', 'report.json'), 'utf8')) as Record<string, unknown>;
    for (const [name, inSample] of [['null', null], ['far', { candles: 1, trainingFromMs: 0, trainingToMs: 1e17 }]] as const) {
      writeFileSync(join(work, `bad-in-sample-${name}.json`), JSON.stringify({ ...report, inSample }));
      const bad = tradepipe('report', `bad-in-sample-${name}.json`);
      expect(bad.status, `${name}: ${bad.stderr}`).toBe(2);
      expect(bad.stderr).toMatch(/inSample/);
    }
  });

  it('checks lookahead at 20 cut points on a small range and passes the default pipeline', () => {
    const result = tradepipe('check', 'lookahead', '--from', '2025-07-01', '--to', '2025-09-01', '--cut-points', '20', '--json');
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { passed: boolean; cutStartMs: number[]; decisionsCompared: number };
    expect(report.cutStartMs).toHaveLength(20);
    expect(report.decisionsCompared).toBeGreaterThan(20);
    expect(report.passed).toBe(true);
  });

  it('trains a small model with durations and chosen features that tradepipe backtest --model loads and trades', () => {
    const trained = tradepipe('train', '--from', '2021-01-01', '--horizon', '5d', '--folds', '3', '--min-train', '200d', '--features', 'rsi_14,close_to_ema_50,natr_14,log_return_5', '--out', 'small.onnx', '--report', 'small.json');
    expect(trained.status, trained.stderr).toBe(0);
    const lines = trained.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^trained linear on BTC-USD ONE_DAY: \d+ labelled rows \(2022-12-01 … 2024-09-24\), labels BUY \d+, SELL \d+, HOLD \d+$/);
    expect(lines[1]).toBe('horizon 5d (5 candles), thresholds 0.02 / -0.02, 4 features (rsi_14, close_to_ema_50, natr_14, …)');
    expect(lines[2]).toMatch(/^walk-forward \(3 folds, first trained on 200d, 125 bps a trade\): balanced accuracy 0\.\d{4} \(chance 0\.\d{4}\)/);
    expect(lines[3]).toContain(`wrote ${join(work, 'small.onnx')}`);
    const report = JSON.parse(readFileSync(join(work, 'small.json'), 'utf8')) as { walkForward: { folds: unknown[] }; options: { labeling: { horizon: number } }; trainingRange: { toMs: number } };
    expect(report.walkForward.folds).toHaveLength(3);
    expect(report.options.labeling.horizon).toBe(5);
    expect(report.trainingRange.toMs).toBeLessThan(Date.UTC(2024, 8, 25)); // the bundled hold-out year is left out
    const backtested = tradepipe('backtest', '--model', 'small.onnx', '--from', '2025-06-01', '--to', '2025-09-01', '--json');
    expect(backtested.status, backtested.stderr).toBe(0);
    const output = JSON.parse(backtested.stdout) as { pipeline: { model: string }; summary: { signals: Record<string, number> }; report: { inSample: { candles: number } } };
    expect(output.pipeline.model).toBe('model tradepipe-btc-usd-one_day 0.1.0');
    expect(Object.values(output.summary.signals).reduce((sum, count) => sum + count, 0)).toBe(92);
    expect(output.report.inSample.candles).toBe(0); // traded after its training range
    // Replayed over candles it was trained on: said before any figure, and in report.json's notes.
    const inSample = tradepipe('backtest', '--model', 'small.onnx', '--from', '2024-01-01', '--to', '2024-03-01');
    expect(inSample.status, inSample.stderr).toBe(0);
    const warning = inSample.stdout.split('\n').findIndex((line) => /^ {2}WARNING {10}In sample: 60 of 60 candles \(100 %\) lie inside the model's training range \(2022-\d\d-\d\d … 2024-09-24\): not a test of the model\. Trade from after 2024-09-24 \(--from\)/.test(line));
    expect(warning, inSample.stdout).toBeGreaterThan(0);
    expect(warning).toBeLessThan(inSample.stdout.split('\n').findIndex((line) => line.trimStart().startsWith('strategy')));
  });

  it('pools two products into one model, which loads for either and is refused for a product it never saw', () => {
    const candles = `${bundledCandles},${bundledCandles}`;
    const pooled = tradepipe('train', '--product', 'BTC-USD,ETH-USD', '--candles', candles, '--from', '2021-01-01', '--to', '2024-09-25', '--horizon', '3d', '--folds', '2', '--min-train', '200d', '--out', 'pooled.onnx', '--json');
    expect(pooled.status, pooled.stderr).toBe(0);
    const printed = JSON.parse(pooled.stdout) as { products: string[]; features: string[]; horizonMs: number; report: { labelledRows: number } };
    expect(printed.products).toEqual(['BTC-USD', 'ETH-USD']);
    expect(printed.features).toHaveLength(49); // default on daily candles: no hour of day
    expect(printed.horizonMs).toBe(3 * 86_400_000);
    const single = tradepipe('train', '--from', '2021-01-01', '--horizon', '3d', '--folds', '0', '--out', 'single.onnx', '--json');
    expect((JSON.parse(single.stdout) as { report: { labelledRows: number } }).report.labelledRows * 2).toBe(printed.report.labelledRows);
    for (const product of ['BTC-USD', 'ETH-USD']) {
      const run = tradepipe('backtest', '--model', 'pooled.onnx', '--candles', bundledCandles, '--product', product, '--from', '2025-08-01', '--to', '2025-09-01');
      expect(run.status, `${product}: ${run.stderr}`).toBe(0);
    }
    const refused = tradepipe('backtest', '--model', 'pooled.onnx', '--candles', bundledCandles, '--product', 'SOL-USD', '--from', '2025-08-01', '--to', '2025-09-01');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe("tradepipe: model_mismatch: The model was trained on 'BTC-USD', 'ETH-USD', not on 'SOL-USD'; pass --allow-untrained-markets to run it there anyway\n");
    const allowed = tradepipe('backtest', '--model', 'pooled.onnx', '--candles', bundledCandles, '--product', 'SOL-USD', '--from', '2025-08-01', '--to', '2025-09-01', '--allow-untrained-markets', '--json');
    expect(allowed.status, allowed.stderr).toBe(0);
    const signals = (JSON.parse(allowed.stdout) as { summary: { signals: Record<string, number> } }).summary.signals;
    expect(Object.values(signals).reduce((sum, count) => sum + count, 0)).toBe(31);
  });

  it('checks the warm-up on the bundled candles: the declared 700 passes, 300 is too short (exit 3)', () => {
    const passed = tradepipe('check', 'warmup', '--samples', '20', '--json');
    expect(passed.status, passed.stderr).toBe(0);
    const report = JSON.parse(passed.stdout) as { passed: boolean; warmupCandles: number; neededCandles: number; candles: number; features: { name: string; neededCandles: number }[] };
    expect(report).toMatchObject({ passed: true, warmupCandles: 700, candles: 5152 });
    expect(report.features).toHaveLength(51);
    expect(report.neededCandles).toBeGreaterThan(300);
    expect(report.neededCandles).toBeLessThanOrEqual(700);
    const short = tradepipe('check', 'warmup', '--samples', '20', '--warmup', '300');
    expect(short.status).toBe(3);
    expect(short.stdout).toContain('close_to_ema_50');
    expect(short.stdout).toMatch(/result {11}FAILED: the warm-up of 300 candles is shorter than the \d+ needed\n$/);
  });

  it('downloads hourly candles from the fake exchange into a CSV, resumes with nothing new, checks their warm-up and trains on them', async () => {
    const fake = await startFakeCoinbase();
    try {
      const args = ['download', '--product', 'ETH-USD', '--granularity', '1h', '--from', '2025-01-01', '--to', '2025-03-01', '--out', 'eth-usd-1h.csv', '--rate', '10', '--coinbase-url', fake.url];
      const first = await tradepipeAsync(...args);
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toBe(`downloaded 1416 ETH-USD ONE_HOUR candles in 5 requests into csv ${join(work, 'eth-usd-1h.csv')} (from 2025-01-01); it holds up to 2025-02-28T23:00:00.000Z\n`);
      const again = await tradepipeAsync(...args);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^downloaded 0 ETH-USD ONE_HOUR candles in 0 requests .*\(resumed at 2025-03-01\)/);
      expect(readFileSync(join(work, 'eth-usd-1h.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + 1416);
      // check warmup downloads three times the longest history it measures (here 3 × 1,000 hours), not years.
      const warmup = await tradepipeAsync('check', 'warmup', '--source', 'coinbase', '--product', 'ETH-USD', '--granularity', '1h', '--cache-dir', 'cache', '--coinbase-url', fake.url, '--samples', '10', '--json');
      expect(warmup.status, warmup.stderr).toBe(0);
      const checked = JSON.parse(warmup.stdout) as { candles: number; granularity: string; passed: boolean };
      expect(checked).toMatchObject({ granularity: 'ONE_HOUR', passed: true });
      expect(checked.candles).toBeGreaterThanOrEqual(2_999);
      expect(checked.candles).toBeLessThanOrEqual(3_001);
    } finally {
      await fake.close();
    }
    const trained = tradepipe('train', '--candles', 'eth-usd-1h.csv', '--product', 'ETH-USD', '--granularity', '1h', '--horizon', '24h', '--folds', '2', '--min-train', '10d', '--out', 'eth-1h.onnx', '--json');
    expect(trained.status, trained.stderr).toBe(0);
    const printed = JSON.parse(trained.stdout) as { granularity: string; horizonMs: number; features: string[]; report: { options: { labeling: { horizon: number } } } };
    expect(printed).toMatchObject({ granularity: 'ONE_HOUR', horizonMs: 86_400_000 });
    expect(printed.features).toHaveLength(51); // hourly: the hour of day varies, so the default keeps it
    expect(printed.report.options.labeling.horizon).toBe(24);
    const refused = tradepipe('train', '--candles', 'eth-usd-1h.csv', '--product', 'ETH-USD', '--granularity', '1h', '--horizon', '90m', '--out', 'x.onnx');
    expect(refused.stderr).toBe("tradepipe: usage: --horizon 90m is not a whole number of ONE_HOUR candles (1h each) (run 'tradepipe train --help')\n");
  });
});
