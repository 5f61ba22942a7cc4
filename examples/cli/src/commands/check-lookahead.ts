import { checkLookahead } from '@tradepipe/core';
import { isoDay, numberOption } from '../arguments.js';
import { EXIT_CODES } from '../cli-errors.js';
import type { Command } from '../command.js';
import { createProgress } from '../io.js';
import { RUN_OPTIONS, prepareRun } from '../prepare-run.js';

/** `tradepipe check lookahead`. */
export const checkLookaheadCommand: Command = {
  name: 'check lookahead',
  summary: 'find decisions that use candles from their future',
  description: [
    'Runs the pipeline once on the candles as given, then once per cut point t with every candle after t poisoned',
    '(prices scaled away from their values, volumes changed), and reports every decision made at or before t',
    '(signal, recommendation, verdict, risk assessment, order, fill) that changed — and who made it. A pipeline',
    "that only reads what the store gives it at step t passes. Freqtrade's lookahead-analysis, for tradepipe.",
    'Exit code 3 when a decision changed.',
  ].join('\n'),
  options: { ...RUN_OPTIONS, 'cut-points': { type: 'string', value: '<n>', description: 'how many cut points t, spread over the traded candles (default 20)' } },
  examples: ['tradepipe check lookahead --from 2025-06-01', 'tradepipe check lookahead --candles my.csv --model my.onnx --cut-points 40 --json'],
  async run({ values, io, flags }) {
    const prepared = await prepareRun(values, io, flags);
    const cutPoints = numberOption(values, 'cut-points', { min: 1, max: 1_000, integer: true }) ?? 20;
    const progress = createProgress(io, flags, 'check lookahead');
    const report = await checkLookahead({ ...prepared.options, cutPoints, onCut: ({ cutsDone, cutsTotal }) => progress.update(cutsDone, cutsTotal, 'cut points') });
    progress.done();
    if (flags.json) {
      io.stdout.write(`${JSON.stringify(report)}\n`);
      return report.passed ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
    }
    const lines = [
      `check lookahead — ${prepared.input.productId} ${prepared.input.granularity}, ${prepared.modelName}, validator ${prepared.validatorName}`,
      `  cut points       ${report.cutStartMs.length} (${isoDay(report.cutStartMs[0]!)} … ${isoDay(report.cutStartMs.at(-1)!)})`,
      `  decisions        ${report.decisionsCompared} compared at or before their cut point`,
    ];
    if (report.passed) lines.push('  result           passed: no decision at or before t changed when the candles after t did');
    else {
      lines.push(`  result           FAILED: ${report.differences.length} decisions changed; suspects: ${report.suspects.slice(0, 5).join(', ')}`);
      for (const difference of report.differences.slice(0, 10)) {
        lines.push(`    t=${isoDay(difference.cutStartMs)}  ${difference.kind} by ${difference.decidedBy} at ${new Date(difference.decidedAtMs).toISOString()}: ${difference.fields.join(', ')}${difference.features === undefined ? '' : ` (features ${difference.features.slice(0, 5).join(', ')})`}`);
      }
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    return report.passed ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
  },
};
