import { createServer, request as httpRequest, type Server } from 'node:http';
import { createPipeline, type Logger, type Order, type Pipeline, type TradeRecommendation } from '@tradepipe/core';
import { CoinbaseOrderExecutor } from './coinbase-executor.js';
import { createCoinbaseClient } from './client.js';
import { createExecutorKit, type ExecutorKit } from './executor-test-kit.js';
import type { OperatorFill } from './held-orders.js';
import { startFakeSetup, type FakeSetup } from './test-fixtures.js';
import type { FakeCoinbaseOptions } from './testing/fake-server.js';

/** Rewrites the JSON of one 2xx answer of the fake; `path` is under `/api/v3/brokerage`, without the query. @internal */
export type AnswerRewrite = (request: { readonly method: string; readonly path: string }, body: Record<string, unknown>) => Record<string, unknown>;

/**
 * Starts a pass-through HTTP proxy on 127.0.0.1 to `target` (the fake) that rewrites the JSON of 2xx answers, so
 * a test can give the client odd but well-formed exchange answers over real HTTP.
 * @returns the proxy's base URL and a `close`
 * @internal
 */
export async function startAnswerRewritingProxy(target: string, rewrite: AnswerRewrite): Promise<{ readonly url: string; close(): Promise<void> }> {
  const to = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const upstream = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        const body: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => body.push(chunk));
        answer.on('end', () => {
          let text = Buffer.concat(body).toString();
          const path = (req.url ?? '').replace('/api/v3/brokerage', '').split('?')[0]!;
          if ((answer.statusCode ?? 500) < 300) text = JSON.stringify(rewrite({ method: req.method ?? 'GET', path }, JSON.parse(text) as Record<string, unknown>));
          res.writeHead(answer.statusCode ?? 500, { 'content-type': 'application/json' });
          res.end(text);
        });
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A live pipeline (execution + fills) whose client reaches the fake through an answer-rewriting proxy. @internal */
export interface PipelineBehindProxy {
  readonly kit: ExecutorKit;
  readonly setup: FakeSetup;
  readonly pipeline: Pipeline;
  /** The recommendation approved at the start (by default a BUY of $100 of BTC-USD). */
  readonly recommendationId: string;
  /** Every order status the pipeline reported (`order:updated`), in order. */
  readonly statusesSeen: Order['status'][];
  /**
   * Runs the pipeline one second of the manual clock at a time until the recommendation (default the one approved at
   * the start) leaves PENDING_EXECUTION/SUBMITTED or `seconds` pass; returns its state.
   */
  runUntilFinished(seconds?: number, recommendationId?: string): Promise<string | undefined>;
  /** Stops the client, the proxy and the fake. */
  close(): Promise<void>;
}

/**
 * Starts the fake, the proxy, a live executor and a pipeline on a manual clock, and approves one recommendation.
 * @param options.recommendation overrides of the approved recommendation (e.g. `{ side: 'SELL' }`: 0.001 BTC)
 * @param options.fake options of the fake (e.g. balances)
 * @internal
 */
export async function startPipelineBehindProxy(
  rewrite: AnswerRewrite,
  options: { readonly logger?: Logger; readonly recommendation?: Partial<TradeRecommendation>; readonly fake?: Omit<FakeCoinbaseOptions, 'clock' | 'keys'> } = {},
): Promise<PipelineBehindProxy> {
  const kit = await createExecutorKit({ startAtMs: Date.now(), ...(options.logger === undefined ? {} : { logger: options.logger }) });
  const setup = await startFakeSetup({ clock: kit.clock, ...(options.fake === undefined ? {} : { fake: options.fake }) });
  const proxy = await startAnswerRewritingProxy(setup.fake.url, rewrite);
  const client = createCoinbaseClient({ baseUrl: proxy.url, key: setup.key, clock: kit.clock, retryBaseDelayMs: 1 });
  const executor = new CoinbaseOrderExecutor({ client, approvalSigner: kit.signer, followTimeoutMs: 0, liveTrading: { enabled: true, acknowledgeRealMoney: true } });
  const pipeline = createPipeline({ pipelineId: 'test', store: kit.store, executor, stages: ['execution', 'fills'], clock: kit.clock, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  const statusesSeen: Order['status'][] = [];
  pipeline.on('order:updated', ({ order }) => void statusesSeen.push(order.status));
  const { recommendation } = await kit.approve(options.recommendation);
  const stateNow = async (id: string): Promise<string | undefined> => (await kit.store.getRecommendation(id))?.status.state;
  return {
    kit,
    setup,
    pipeline,
    recommendationId: recommendation.id,
    statusesSeen,
    async runUntilFinished(seconds = 60, recommendationId = recommendation.id) {
      for (let second = 0; second < seconds; second += 1) {
        await pipeline.runUntilIdle();
        const state = await stateNow(recommendationId);
        if (state !== 'PENDING_EXECUTION' && state !== 'SUBMITTED') return state;
        kit.clock.advance(1_000);
      }
      return stateNow(recommendationId);
    },
    async close() {
      await client.close();
      await proxy.close();
      await setup.close();
    },
  };
}

/** The fake's real fills of the order, as an operator reads them off Coinbase (for `settleHeldOrder`). @internal */
export function exchangeFills(harness: Pick<PipelineBehindProxy, 'setup'>): OperatorFill[] {
  return harness.setup.fake.fills().map((fill) => ({
    coinbaseFillId: String(fill.entry_id),
    price: String(fill.price),
    size: String(fill.size),
    sizeInQuote: fill.size_in_quote === true,
    commissionQuote: String(fill.commission),
    filledAtMs: Date.parse(String(fill.trade_time)),
  }));
}
