/**
 * @packageDocumentation
 * `@tradepipe/cli`: the `tradepipe` command and what it renders. The HTML report renderer turns core's
 * `BacktestReport` into one self-contained page.
 */
export { renderHtmlReport, type RenderHtmlReportOptions } from './report/render-html-report.js';
export { escapeHtml, jsonForScript } from './report/html-escape.js';
export { renderTextSummary } from './report/text-summary.js';
