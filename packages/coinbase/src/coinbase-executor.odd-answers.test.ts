// Issue 13: odd exchange answers about a placed order must neither end its tracking nor mislead the books. A proxy
// on 127.0.0.1 rewrites the fake's answers; the pipeline (execution + fills) runs the live executor on a manual clock.
import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createPipeline } from '@tradepipe/core';
import { CoinbaseOrderExecutor, createCoinbaseClient } from './index.js';
import { createExecutorKit } from './executor-test-kit.js';
import { startFakeSetup } from './test-fixtures.js';

type Rewrite = (request: { readonly method: string; readonly path: string }, body: Record<string, unknown>) => Record<string, unknown>;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A pass-through proxy to `target` that rewrites the JSON of 2xx answers. */
async function rewritingProxy(target: string, rewrite: Rewrite): Promise<string> {
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
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function pipelineBehind(rewrite: Rewrite) {
  const kit = await createExecutorKit({ startAtMs: Date.now() });
  const setup = await startFakeSetup({ clock: kit.clock });
  cleanups.push(() => setup.close());
  const client = createCoinbaseClient({ baseUrl: await rewritingProxy(setup.fake.url, rewrite), key: setup.key, clock: kit.clock, retryBaseDelayMs: 1 });
  cleanups.push(() => client.close());
  const executor = new CoinbaseOrderExecutor({ client, approvalSigner: kit.signer, followTimeoutMs: 0, liveTrading: { enabled: true, acknowledgeRealMoney: true } });
  const pipeline = createPipeline({ pipelineId: 'test', store: kit.store, executor, stages: ['execution', 'fills'], clock: kit.clock });
  const { recommendation } = await kit.approve();
  const runUntilFinished = async (): Promise<string | undefined> => {
    for (let second = 0; second < 60; second += 1) {
      await pipeline.runUntilIdle();
      const state = (await kit.store.getRecommendation(recommendation.id))?.status.state;
      if (state !== 'PENDING_EXECUTION' && state !== 'SUBMITTED') return state;
      kit.clock.advance(1_000);
    }
    return (await kit.store.getRecommendation(recommendation.id))?.status.state;
  };
  return { kit, setup, runUntilFinished };
}

describe('live executor: odd answers about a placed order', () => {
  it('keeps following an order whose status Coinbase names in a way it does not know yet', async () => {
    let oddAnswers = 3;
    const { kit, setup, runUntilFinished } = await pipelineBehind((request, body) => {
      const order = body.order as Record<string, unknown> | undefined;
      if (request.path.startsWith('/orders/historical/') && order !== undefined && oddAnswers-- > 0) return { ...body, order: { ...order, status: 'SETTLING_SOMEHOW' } };
      return body;
    });
    expect(await runUntilFinished()).toBe('EXECUTED');
    expect(oddAnswers).toBeLessThan(0);
    expect((await kit.store.listOrders({}))[0]).toMatchObject({ status: 'EXECUTED', filledBaseSize: setup.fake.orders()[0]!.filled_size });
    expect((await kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(setup.fake.orders()[0]!.filled_size);
  });

  it('records no fill that belongs to another order, product or side', async () => {
    const { kit, setup, runUntilFinished } = await pipelineBehind((request, body) => {
      if (request.path !== '/orders/historical/fills') return body;
      const [real] = body.fills as Record<string, unknown>[];
      const foreign = [
        { ...real, entry_id: 'foreign-order', trade_id: 'foreign-order', order_id: 'someone-elses-order' },
        { ...real, entry_id: 'foreign-product', trade_id: 'foreign-product', product_id: 'ETH-USD' },
        { ...real, entry_id: 'foreign-side', trade_id: 'foreign-side', side: 'SELL' },
      ];
      return { ...body, fills: [...(body.fills as unknown[]), ...foreign] };
    });
    expect(await runUntilFinished()).toBe('EXECUTED');
    const [order] = await kit.store.listOrders({});
    expect((await kit.store.listFills(order!.id)).map((fill) => fill.id)).toEqual([`cb-${setup.fake.fills()[0]!.entry_id}`]);
    expect((await kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(setup.fake.orders()[0]!.filled_size);
  });

  it('records no fills beyond the size Coinbase reports filled for the order', async () => {
    const { kit, setup, runUntilFinished } = await pipelineBehind((request, body) => {
      if (request.path !== '/orders/historical/fills') return body;
      const [real] = body.fills as Record<string, unknown>[];
      return { ...body, fills: [real, { ...real, entry_id: 'echo-1', trade_id: 'echo-1' }, { ...real, entry_id: 'echo-2', trade_id: 'echo-2' }] };
    });
    expect(await runUntilFinished()).toBe('EXECUTED');
    const [order] = await kit.store.listOrders({});
    expect(await kit.store.listFills(order!.id)).toHaveLength(1);
    expect((await kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(setup.fake.orders()[0]!.filled_size);
    expect(order!.filledBaseSize).toBe(setup.fake.orders()[0]!.filled_size);
  });

  it.each([false, true])('books no fill priced at zero (size_in_quote %s): the order waits for a real answer', async (sizeInQuote) => {
    let zeroAnswers = 2;
    const { kit, setup, runUntilFinished } = await pipelineBehind((request, body) => {
      if (request.path !== '/orders/historical/fills' || zeroAnswers-- <= 0) return body;
      // The fake's quote-sized BUY fills carry their size in quote; as base, the same fill is size ÷ price.
      const zeroPriced = (fill: Record<string, unknown>) => ({ ...fill, price: '0', size_in_quote: sizeInQuote, ...(sizeInQuote ? {} : { size: (Number(fill.size) / Number(fill.price)).toFixed(8) }) });
      return { ...body, fills: (body.fills as Record<string, unknown>[]).map(zeroPriced) };
    });
    expect(await runUntilFinished()).toBe('EXECUTED');
    expect(zeroAnswers).toBeLessThan(0);
    const [order] = await kit.store.listOrders({});
    const fills = await kit.store.listFills(order!.id);
    expect(fills.map((fill) => fill.price)).toEqual([setup.fake.fills()[0]!.price]);
    expect((await kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(setup.fake.orders()[0]!.filled_size);
  });

  it('books a fill larger than the order as Coinbase reports it, and records why', async () => {
    // Coinbase reports twice what the $100 BUY could buy: the books follow the venue, and the order says so.
    const doubled = (value: unknown) => String(Number(value) * 2);
    const { kit, runUntilFinished } = await pipelineBehind((request, body) => {
      if (request.path === '/orders/historical/fills') return { ...body, fills: (body.fills as Record<string, unknown>[]).map((fill) => ({ ...fill, size: doubled(fill.size) })) };
      const order = body.order as Record<string, unknown> | undefined;
      if (!request.path.startsWith('/orders/historical/') || order === undefined) return body;
      return { ...body, order: { ...order, filled_size: doubled(order.filled_size), filled_value: doubled(order.filled_value) } };
    });
    expect(await runUntilFinished()).toBe('EXECUTED');
    const [order] = await kit.store.listOrders({});
    expect(order).toMatchObject({ status: 'EXECUTED', filledBaseSize: '0.00395256', statusReason: 'FILLED_BEYOND_ORDER_SIZE' });
    expect((await kit.store.getPosition('BTC-USD'))?.sizeBase).toBe('0.00395256');
  });
});
