import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ProductSchema,
  createHmacApprovalSigner,
  createManualClock,
  createMemoryStore,
  createPipeline,
  parseCandleCsv,
  replayCandles,
  silentLogger,
  type SignalModel,
} from '@tradepipe/core';
import { PaperExecutor } from '@tradepipe/coinbase';
import { createFeatureSet } from '@tradepipe/features';
import { createRuleValidator } from '@tradepipe/llm-validator';
import { createExitPolicy, createRiskManager } from '@tradepipe/risk';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type ServiceHttpServer } from '../http-server.js';
import { renderStatusPage } from './status-html.js';
import { readStatusSnapshot } from './status-snapshot.js';

const CHROMIUM = '/usr/bin/chromium';
const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const DATA = fileURLToPath(new URL('../../../../data/btc-usd-1d.csv', import.meta.url));
/** The docs' screenshot: written only by `npm run docs:images` (TRADEPIPE_DOCS_IMAGES=1); a plain test run writes to a temporary directory. */
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../../../docs/images/status-page.png', import.meta.url));
const UPDATE_DOCS_IMAGES = process.env.TRADEPIPE_DOCS_IMAGES === '1';

if (!existsSync(CHROMIUM)) {
  const message = `${CHROMIUM} is absent (apt-get install -y chromium): the status page browser test is SKIPPED`;
  if (IN_CI) throw new Error(`${message} (and CI is set, so this fails)`);
  process.stderr.write(`\n!!! ${message}\n\n`);
}

/** In the page: the most distinct colours any chart canvas holds (a blank canvas has one). */
const CANVAS_COLOURS = `Math.max(...[...document.querySelectorAll('#price canvas')].map((canvas) => {
  const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
  if (data === undefined || data.length === 0) return 0;
  const colours = new Set();
  for (let index = 0; index < data.length; index += 64) colours.add(data[index] * 65536 + data[index + 1] * 256 + data[index + 2]);
  return colours.size;
}))`;

/** A model that alternates BUY and SELL every ten candles, so the page has orders to show. */
function alternatingModel(names: readonly string[], version: string): SignalModel {
  let calls = 0;
  const predict = async () => {
    calls += 1;
    const phase = Math.floor(calls / 10) % 3;
    const action = phase === 0 ? 'BUY' : phase === 1 ? 'HOLD' : 'SELL';
    return { action, confidence: 0.9, probabilities: { BUY: action === 'BUY' ? 0.9 : 0.05, SELL: action === 'SELL' ? 0.9 : 0.05, HOLD: action === 'HOLD' ? 0.9 : 0.05 } } as const;
  };
  return { modelId: 'alternating', modelVersion: 'test-1', featureNames: names, featureSetVersion: version, predict, predictBatch: (vectors) => Promise.all(vectors.map(predict)) };
}

describe.skipIf(!existsSync(CHROMIUM) && !UPDATE_DOCS_IMAGES)('the health monitor status page in headless Chromium', () => {
  let server: ServiceHttpServer;
  let deadLetterId = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const candles = parseCandleCsv({ text: readFileSync(DATA, 'utf8'), productId: 'BTC-USD', granularity: 'ONE_DAY' });
    const split = candles.length - 90;
    const clock = createManualClock(candles[split]!.startMs);
    const store = createMemoryStore({ clock });
    await store.putProduct(ProductSchema.parse({ productId: 'BTC-USD', baseCurrency: 'BTC', quoteCurrency: 'USD', baseIncrement: '0.00000001', quoteIncrement: '0.01', priceIncrement: '0.01', baseMinSize: '0.00000001', quoteMinSize: '1', status: 'online' }));
    await store.putCandles(candles.slice(split - 1000, split), { state: 'DONE' });
    const features = createFeatureSet();
    const signer = createHmacApprovalSigner({ keyId: 'status', secret: 'a secret of at least thirty-two bytes' });
    const pipeline = createPipeline({
      pipelineId: 'status-page', store, clock, logger: silentLogger, features,
      model: alternatingModel(features.featureNames, features.featureSetVersion),
      validator: createRuleValidator({ minConfidence: 0.5 }),
      risk: createRiskManager({ signer, approvalTtlMs: 300_000, limits: { maxOrderQuote: 100, maxPositionQuote: 600, maxTotalExposureQuote: 600, maxPortfolioHeat: 2, maxDailyLossFraction: 0.5, maxOrdersPerHour: 10 } }),
      exits: createExitPolicy({}),
      executor: new PaperExecutor({ approvalSigner: signer, startingBalances: { USD: '1000' } }),
    });
    await replayCandles({ pipeline, store, clock, candles: candles.slice(split) });
    // One candle failed for good (its model broke), three hours ago: the page lists it and names the command.
    await store.putCandles([candles[split - 1001]!], { state: 'PENDING' });
    const [claim] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'status-test', leaseMs: 60_000, limit: 1 });
    await store.fail(claim!, { error: { code: 'model_failed', message: 'the model file is corrupt' }, retryable: false, maxAttempts: 3, backoffMs: 0, terminalState: 'DEAD_LETTER' });
    deadLetterId = claim!.id;
    clock.advance(3 * 3_600_000);
    const series = [{ productId: 'BTC-USD', granularity: 'ONE_DAY' as const }];
    server = await startHttpServer({
      port: 0, host: '127.0.0.1', logger: silentLogger,
      handlers: {
        health: () => pipeline.health('health-monitor'),
        ready: async () => ({ ready: true }),
        metrics: async () => ({ contentType: 'text/plain', body: '' }),
        status: { page: () => renderStatusPage({ refreshMs: 1_000 }), snapshot: () => readStatusSnapshot({ store, pipelineId: 'status-page', series, health: () => pipeline.health('health-monitor'), nowMs: clock.nowMs() }) },
      },
    });
  }, 240_000);
  afterAll(() => server?.close());

  it('draws the price chart, fills every table from the store, shows nothing secret, and is saved as a screenshot', { timeout: 180_000 }, async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
      page.on('console', (message) => { if (message.type() === 'error') pageErrors.push(message.text()); });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`http://127.0.0.1:${server.port}/`);
      await page.waitForSelector('#orders table tr:nth-child(2)', { timeout: 120_000 });
      const canvasVariance = await page.evaluate<number>(CANVAS_COLOURS);
      expect(canvasVariance).toBeGreaterThan(5);
      const text = await page.locator('main').innerText();
      expect(text).toMatch(/BUY/);
      expect(text).toMatch(/EXECUTED/);
      expect(text).toMatch(/rules (APPROVE|REJECT)/);
      expect(await page.locator('#status').innerText()).toMatch(/ok|degraded|failing/);
      const deadLetters = await page.locator('#dead-letters').innerText();
      expect(deadLetters).toMatch(/candle\s+1/);
      expect(deadLetters).toMatch(/recommendation\s+0/);
      expect(deadLetters).toContain(deadLetterId);
      expect(deadLetters).toMatch(/the model file is corrupt\s+PENDING\s+3 h/);
      expect(deadLetters).toContain('settle them with tradepipe dead-letters list, then requeue or discard each');
      const html = await page.content();
      expect(html).not.toMatch(/a secret of at least|BEGIN [A-Z ]*PRIVATE KEY|postgres:\/\/[^ ]*:[^ ]*@/);
      const screenshotDirectory = UPDATE_DOCS_IMAGES ? undefined : mkdtempSync(join(tmpdir(), 'tradepipe-status-page-'));
      const screenshot = screenshotDirectory === undefined ? DOCS_SCREENSHOT : join(screenshotDirectory, 'status-page.png');
      try {
        mkdirSync(dirname(screenshot), { recursive: true });
        await page.screenshot({ path: screenshot, fullPage: true });
        expect(existsSync(screenshot)).toBe(true);
      } finally {
        if (screenshotDirectory !== undefined) rmSync(screenshotDirectory, { recursive: true, force: true });
      }
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('serves the dead letters in status.json: count per kind, the oldest with id, kind, reason, origin and age, and the command', async () => {
    const snapshot = (await (await fetch(`http://127.0.0.1:${server.port}/status.json`)).json()) as { deadLetters: unknown };
    expect(snapshot.deadLetters).toEqual({
      counts: { candle: 1, signal: 0, recommendation: 0 },
      oldest: [{ id: deadLetterId, kind: 'candle', reason: 'the model file is corrupt', fromState: 'PENDING', ageMs: 3 * 3_600_000 }],
      command: 'tradepipe dead-letters',
    });
  });

  it('answers only GET and HEAD: the page is read-only', async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/status.json`, { method: 'POST' });
    expect(response.status).toBe(405);
  });
});
