// Issue 13: odd exchange answers about a placed order must neither end its tracking nor mislead the books. A proxy
// on 127.0.0.1 rewrites the fake's answers; the pipeline (execution + fills) runs the live executor on a manual clock.
import { afterEach, describe, expect, it } from 'vitest';
import { startPipelineBehindProxy, type AnswerRewrite } from './answer-rewriting-proxy.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function pipelineBehind(rewrite: AnswerRewrite) {
  const harness = await startPipelineBehindProxy(rewrite);
  cleanups.push(() => harness.close());
  return { kit: harness.kit, setup: harness.setup, runUntilFinished: () => harness.runUntilFinished() };
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
