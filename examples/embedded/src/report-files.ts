import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderHtmlReport } from '@tradepipe/cli';
import type { BacktestReport } from '@tradepipe/core';

/**
 * Writes `report.json` and `report.html` (the self-contained page, `@tradepipe/cli`'s renderer) into `directory`.
 * @returns the HTML file's path, relative to the repository when inside it
 */
export function writeReportFiles(report: BacktestReport, directory: string): string {
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const htmlPath = join(directory, 'report.html');
  writeFileSync(htmlPath, renderHtmlReport(report));
  const shown = relative(fileURLToPath(new URL('../../../', import.meta.url)), htmlPath);
  return shown.startsWith('..') ? htmlPath : shown;
}
