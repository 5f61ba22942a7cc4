import type { Command } from '../command.js';
import { RUN_OPTIONS } from '../prepare-run.js';
import { runBacktest } from './backtest.js';

/** `tradepipe run`: the README's main job. */
export const runCommand: Command = {
  name: 'run',
  summary: 'the main job: the bundled BTC-USD hold-out year through every stage, on paper',
  description: [
    'The embedded pipeline on embedded defaults, with no server and no network: the bundled BTC-USD daily candles',
    'before 2024-09-25 warm the features, and the hold-out year the default model never saw is replayed candle by',
    'candle through every stage, paper trading. Prints what each stage did and the paper account. Every option of',
    "'tradepipe backtest' applies (another file, your model, Ollama, --out for the report).",
  ].join('\n'),
  options: { ...RUN_OPTIONS, out: { type: 'string', value: '<dir>', description: 'also write <dir>/report.json (and report.html)' } },
  examples: ['tradepipe run', 'tradepipe run --out reports/main-job', 'tradepipe run --model my-model.onnx'],
  run: (input) => runBacktest(input, 'tradepipe run — the main job'),
};
