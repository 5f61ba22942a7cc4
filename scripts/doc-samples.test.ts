// Every TypeScript sample of the READMEs and docs/ is compiled against the workspace packages (their sources,
// through the `@tradepipe/source` condition), and the ones marked `run` are run. A fence's info string says
// how a block is checked:
//   ```ts                  a module, type-checked; names it uses without defining come from docs/sample-context.d.ts
//   ```ts run              the same, then run (no network: fakes on loopback, bundled data, memory store or PGlite)
//   ```ts continued        the next part of the file's previous compiled block: compiled (and run) as one module with it
//   ```ts excerpt=<path>   lines of a file that is compiled and run elsewhere: each line but the imports must be in it, in order
//   ```ts fragment         not checked (shown as a skipped test here; keep these rare)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { markdownFiles, typeScriptSamples, type TypeScriptSample } from './markdown-files.mjs';

const root = resolve(import.meta.dirname, '..');
const outDir = join(root, '.tmp', 'doc-samples');
const contextFile = join(root, 'docs', 'sample-context.d.ts');

const samples = markdownFiles(root).flatMap((file) => typeScriptSamples(file, readFileSync(join(root, file), 'utf8')));
const nameOf = (sample: TypeScriptSample): string => `${sample.file}:${sample.line}`;
const excerptOf = (sample: TypeScriptSample): string | undefined => sample.flags.find((flag) => flag.startsWith('excerpt='))?.slice('excerpt='.length);
const isFragment = (sample: TypeScriptSample): boolean => sample.flags.includes('fragment');

/** Compiled samples, grouped: a block marked `continued` joins the previous compiled block of its file. */
const units: TypeScriptSample[][] = [];
for (const sample of samples) {
  if (isFragment(sample) || excerptOf(sample) !== undefined) continue;
  const previous = units.at(-1);
  if (sample.flags.includes('continued')) {
    if (previous === undefined || previous[0]!.file !== sample.file) throw new Error(`${nameOf(sample)} is marked continued but follows no compiled block of its file`);
    previous.push(sample);
  } else {
    units.push([sample]);
  }
}
const compiled = units.flat();
const unitOf = (sample: TypeScriptSample): TypeScriptSample[] => units.find((unit) => unit.includes(sample))!;
const fileOf = (sample: TypeScriptSample): string => {
  const first = unitOf(sample)[0]!;
  return join(outDir, `${first.file.replace(/[/.]/g, '_')}_${first.line}.ts`);
};

// Each unit becomes a module of its own (`export {}`), so a name it defines shadows the shared context's.
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
for (const unit of units) writeFileSync(fileOf(unit[0]!), `${unit.map((sample) => sample.code).join('\n')}\nexport {};\n`);

/** The sample of a unit that holds a 0-based line of the unit's file, and the line within that sample. */
function sampleAtLine(unit: TypeScriptSample[], line: number): { sample: TypeScriptSample; line: number } {
  let start = 0;
  for (const sample of unit) {
    const lines = sample.code.split('\n').length;
    if (line < start + lines) return { sample, line: line - start };
    start += lines;
  }
  return { sample: unit.at(-1)!, line: line - start };
}

/** The compiler's complaints about each sample file, with the Markdown line they point at. */
let diagnostics: Map<string, string[]>;

beforeAll(() => {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config;
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root);
  // Samples may show a value without using it (`const many = await model.predictBatch(vectors)`).
  const options = { ...parsed.options, noEmit: true, noUnusedLocals: false };
  const program = ts.createProgram({ rootNames: [contextFile, ...compiled.map(fileOf)], options });
  diagnostics = new Map(compiled.map((sample) => [nameOf(sample), []]));
  for (const unit of units) {
    const source = program.getSourceFile(fileOf(unit[0]!))!;
    for (const diagnostic of ts.getPreEmitDiagnostics(program, source)) {
      const unitLine = diagnostic.file !== undefined && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line : 0;
      const { sample, line } = sampleAtLine(unit, unitLine);
      diagnostics.get(nameOf(sample))!.push(`${sample.file}:${sample.line + 1 + line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    }
  }
}, 300_000);

describe('documentation samples', () => {
  it('are found, and few are left unchecked', () => {
    expect(samples.length).toBeGreaterThan(40);
    expect(samples.filter(isFragment).length).toBeLessThanOrEqual(Math.ceil(samples.length / 10));
  });

  for (const sample of samples) {
    const excerpt = excerptOf(sample);
    if (isFragment(sample)) {
      it.skip(`${nameOf(sample)} (fragment: not compiled)`, () => undefined);
    } else if (excerpt !== undefined) {
      it(`${nameOf(sample)} is an excerpt of ${excerpt}`, () => {
        const normalize = (text: string): string[] => text.split('\n').map((line) => line.trim().replace(/\s+/g, ' ')).filter((line) => line !== '');
        const target = normalize(readFileSync(join(root, excerpt), 'utf8'));
        let at = 0;
        for (const line of normalize(sample.code).filter((line) => !line.startsWith('import '))) {
          const found = target.indexOf(line, at);
          expect(found, `not in ${excerpt} (in order): ${line}`).toBeGreaterThanOrEqual(0);
          at = found + 1;
        }
      });
    } else {
      it(`${nameOf(sample)} compiles`, () => {
        expect(diagnostics.get(nameOf(sample))).toEqual([]);
      });
      const unit = unitOf(sample);
      if (sample === unit.at(-1) && unit.some((part) => part.flags.includes('run'))) {
        it(`${unit.map(nameOf).join(' + ')} runs`, async () => {
          await import(pathToFileURL(fileOf(sample)).href);
        });
      }
    }
  }
});
