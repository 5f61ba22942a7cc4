// Opens the HTML report in a real headless Chromium (Debian's, through playwright-core): every chart drew, no
// console error, nothing fetched from the network; takes a screenshot, into the test's temporary directory (the
// README's docs/images/backtest-report.png only when asked: `npm run docs:images`, which sets TRADEPIPE_DOCS_IMAGES=1).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledDailyReport } from './bundled-run.js';
import { renderHtmlReport } from './render-html-report.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** The README's screenshot: written only by `npm run docs:images`, so that running the tests leaves the tracked file alone. */
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../../../docs/images/backtest-report.png', import.meta.url));
const UPDATE_DOCS_IMAGES = process.env.TRADEPIPE_DOCS_IMAGES === '1';
const CHART_IDS = ['chart-price', 'chart-equity', 'chart-drawdown', 'chart-funnel'] as const;

if (!existsSync(CHROMIUM)) {
  // Loud, and never in CI: there the launch below fails instead (`.ci/run` installs chromium).
  console.warn(`${CHROMIUM} is absent: the browser test of the HTML report is skipped (apt-get install -y chromium)`);
}

/** Run in the page: the pixel variance (grey levels) of the largest canvas inside each chart's element, by id. */
const CANVAS_VARIANCES = `(ids) => {
  const result = {};
  for (const id of ids) {
    const element = document.getElementById(id);
    const canvases = element instanceof HTMLCanvasElement ? [element] : [...element.querySelectorAll('canvas')];
    const canvas = canvases.sort((a, b) => b.width * b.height - a.width * a.height)[0];
    const context = canvas && canvas.getContext('2d');
    if (!context || canvas.width === 0 || canvas.height === 0) { result[id] = 0; continue; }
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0, squares = 0;
    const count = pixels.length / 4;
    for (let index = 0; index < pixels.length; index += 4) {
      const grey = 0.299 * pixels[index] + 0.587 * pixels[index + 1] + 0.114 * pixels[index + 2];
      sum += grey;
      squares += grey * grey;
    }
    result[id] = squares / count - (sum / count) ** 2;
  }
  return result;
}`;
const variancesExpression = `(${CANVAS_VARIANCES})(${JSON.stringify(CHART_IDS)})`;

describe.skipIf(!existsSync(CHROMIUM) && process.env.CI === undefined && !UPDATE_DOCS_IMAGES)('HTML report in headless Chromium', () => {
  let browser: Browser;
  let directory: string;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    directory = mkdtempSync(join(tmpdir(), 'tradepipe-report-'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  it('draws every chart with no console error and no network, and saves a screenshot', async () => {
    const report = await bundledDailyReport();
    expect(report.executions.length).toBeGreaterThan(0);
    const file = join(directory, 'report.html');
    writeFileSync(file, renderHtmlReport(report));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-charts-ready="true"]', { timeout: 60_000 });
    // The charting library paints on animation frames: wait until every chart holds a picture, not for a fixed time.
    await page.waitForFunction(`Object.values(${variancesExpression}).every((variance) => variance > 50)`, undefined, { timeout: 60_000 });
    const variances = (await page.evaluate(variancesExpression)) as Record<string, number>;
    for (const id of CHART_IDS) expect(variances[id], id).toBeGreaterThan(50);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const screenshot = UPDATE_DOCS_IMAGES ? DOCS_SCREENSHOT : join(directory, 'backtest-report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(existsSync(screenshot)).toBe(true);
    await page.close();
  }, 300_000);
});
