/**
 * Benchmarks of @tradepipe/llm-validator (run: `npm run bench`, `BENCH_QUICK=1` for the CI-sized run).
 * 1. Overhead per validation (ollama client + prompt + parsing + record) against the fake answering at
 *    once, beside a raw fetch of the same /api/chat request body to the same server.
 * 2. Throughput with a fake taking 200 ms per answer, at validator concurrency 1, 2 and 4.
 * The fake runs in this process, so its own cost is in both sides of the overhead ratio.
 */
import { createOllamaTradeValidator } from '@tradepipe/llm-validator';
import { startFakeOllama } from '@tradepipe/llm-validator/testing';
import { makeClock, makeContext, makeInput } from '../src/test-helpers.js';

const quick = process.env.BENCH_QUICK === '1';

interface Row {
  readonly measure: string;
  readonly value: string;
  readonly reference: string;
  readonly ratio: number;
  readonly target: string;
  readonly met: boolean;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function overhead(): Promise<Row> {
  const ollama = await startFakeOllama();
  const validator = createOllamaTradeValidator({ host: ollama.url, model: 'llama3.2', cacheSize: 0 });
  const context = makeContext({ clock: makeClock() });
  await validator.validate(makeInput('capture'), context);
  const requestBody = JSON.stringify(ollama.requests[0]?.body);
  const perRound = quick ? 100 : 1000;
  const rounds = quick ? 3 : 7;
  let key = 0;
  const runValidator = async (count: number): Promise<number> => {
    const startedAt = performance.now();
    for (let index = 0; index < count; index += 1) await validator.validate(makeInput(`bench-${(key += 1)}`), context);
    return ((performance.now() - startedAt) * 1000) / count;
  };
  const runRawFetch = async (count: number): Promise<number> => {
    const startedAt = performance.now();
    for (let index = 0; index < count; index += 1) {
      const response = await fetch(`${ollama.url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: requestBody });
      await response.json();
    }
    return ((performance.now() - startedAt) * 1000) / count;
  };
  await runValidator(50);
  await runRawFetch(50);
  const validatorMicros: number[] = [];
  const rawMicros: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    rawMicros.push(await runRawFetch(perRound));
    validatorMicros.push(await runValidator(perRound));
    ollama.reset();
  }
  await ollama.close();
  const measured = median(validatorMicros);
  const reference = median(rawMicros);
  const ratio = measured / reference;
  return {
    measure: `validation overhead (median of ${rounds} × ${perRound})`,
    value: `${measured.toFixed(0)} µs/validation`,
    reference: `${reference.toFixed(0)} µs raw fetch`,
    ratio,
    target: 'ratio ≤ 2.0',
    met: ratio <= 2,
  };
}

async function throughput(concurrency: number): Promise<Row> {
  const answerMs = 200;
  const ollama = await startFakeOllama({ delayMs: answerMs });
  const validator = createOllamaTradeValidator({ host: ollama.url, model: 'llama3.2', concurrency, queueLimit: 10_000 });
  const count = concurrency * (quick ? 4 : 25);
  const context = makeContext({ clock: makeClock() });
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: count }, (_, index) => validator.validate(makeInput(`throughput-${concurrency}-${index}`), context)));
  const elapsedS = (performance.now() - startedAt) / 1000;
  const maxInFlight = ollama.stats().maxInFlight;
  await ollama.close();
  const measured = count / elapsedS;
  const ideal = (concurrency * 1000) / answerMs;
  const ratio = measured / ideal;
  return {
    measure: `throughput, concurrency ${concurrency} (${count} validations, max in flight ${maxInFlight})`,
    value: `${measured.toFixed(2)} /s`,
    reference: `${ideal.toFixed(2)} /s ideal (${concurrency} × 1/200 ms)`,
    ratio,
    target: 'ratio ≥ 0.90',
    met: ratio >= 0.9 && maxInFlight <= concurrency,
  };
}

const rows: Row[] = [await overhead()];
for (const concurrency of [1, 2, 4]) rows.push(await throughput(concurrency));

const header = ['measure', 'measured', 'reference (same run)', 'ratio', 'target', 'status'];
const lines = rows.map((row) => [row.measure, row.value, row.reference, row.ratio.toFixed(2), row.target, row.met ? 'MET' : 'MISSED']);
console.log(`\n@tradepipe/llm-validator bench (${quick ? 'BENCH_QUICK' : 'full'}), Node ${process.version}\n`);
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map(() => '---').join('|')}|`);
for (const line of lines) console.log(`| ${line.join(' | ')} |`);
