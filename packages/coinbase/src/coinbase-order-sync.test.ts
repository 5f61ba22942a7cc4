// Following a placed order: a real fill must never be lost (an order ended with filled 0 is never polled again) nor
// booked twice, and an answer about another order must not move this one. The live executor runs in the pipeline
// (execution + fills) on a manual clock; its client talks HTTP to the fake through a proxy on 127.0.0.1 that rewrites
// the fake's answers into the odd ones Coinbase can send ("" for absent amounts, totals lagging the fills list, a fills
// list lagging the order, fills repeated under new ids); market orders fill in several fills where the fake is told to
// (`marketOrderFills`).
import { afterEach, describe, expect, it } from 'vitest';
import { addDecimal, decimal, multiplyDecimal, subtractDecimal, type DecimalString, type Fill, type Order } from '@tradepipe/core';
import { exchangeFills, startPipelineBehindProxy, type AnswerRewrite, type PipelineBehindProxy } from './answer-rewriting-proxy.js';
import { mismatchedAnswerFields } from './coinbase-order-sync.js';
import { isHeldOrder, settleHeldOrder } from './held-orders.js';
import type { CoinbaseOrder } from './client-orders.js';
import { createCapturingLogger } from './test-fixtures.js';

type Wire = Record<string, unknown>;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const isOrderAnswer = (path: string): boolean => path.startsWith('/orders/historical/') && path !== '/orders/historical/fills' && path !== '/orders/historical/batch';

/** A rewrite of the order answers (`GET /orders/historical/{id}`) and of the fills answers (`GET /orders/historical/fills`). */
function rewriting(changes: { readonly order?: (order: Wire) => Wire; readonly fills?: (fills: Wire[]) => Wire[] }): AnswerRewrite {
  return (request, body) => {
    if (request.path === '/orders/historical/fills' && changes.fills !== undefined) return { ...body, fills: changes.fills(body.fills as Wire[]) };
    if (isOrderAnswer(request.path) && body.order !== undefined && changes.order !== undefined) return { ...body, order: changes.order(body.order as Wire) };
    return body;
  };
}

async function pipelineBehind(rewrite: AnswerRewrite, options: Parameters<typeof startPipelineBehindProxy>[1] = {}): Promise<PipelineBehindProxy & { readonly lines: string[] }> {
  const logger = createCapturingLogger();
  const harness = await startPipelineBehindProxy(rewrite, { logger, ...options });
  cleanups.push(() => harness.close());
  return Object.assign(harness, { lines: logger.lines });
}

async function theOrder(harness: PipelineBehindProxy): Promise<Order> {
  const [order] = await harness.kit.store.listOrders({});
  return order!;
}

/** The fake's own view: what the exchange really filled. */
function exchangeFilled(harness: PipelineBehindProxy): { readonly filledSize: string; readonly fillIds: string[] } {
  return { filledSize: harness.setup.fake.orders()[0]!.filled_size as string, fillIds: harness.setup.fake.fills().map((fill) => `cb-${fill.entry_id}`) };
}

/** Expects the exchange's one fill booked once, the position equal to it and the order EXECUTED with its size. */
async function expectBookedOnce(harness: PipelineBehindProxy, statusReason?: string): Promise<void> {
  const real = exchangeFilled(harness);
  const order = await theOrder(harness);
  expect(order).toMatchObject({ status: 'EXECUTED', filledBaseSize: real.filledSize, ...(statusReason === undefined ? {} : { statusReason }) });
  expect((await harness.kit.store.listFills(order.id)).map((fill) => fill.id)).toEqual(real.fillIds);
  expect((await harness.kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(real.filledSize);
}

const OPEN_STATUSES: readonly Order['status'][] = ['ACKNOWLEDGED', 'PARTIALLY_FILLED'];

describe('order sync: an order Coinbase reports ended ends only once its fills are recorded', () => {
  it('FILLED with filled_size "" and no number_of_fills: the fill is read from the fills list and booked', async () => {
    const harness = await pipelineBehind(rewriting({ order: ({ number_of_fills: _count, ...order }) => ({ ...order, filled_size: '' }) }));
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    await expectBookedOnce(harness);
  });

  it('FILLED with filled_size "" while the fills list lags: stays open, then books the fill', async () => {
    let laggingAnswers = 3;
    const harness = await pipelineBehind(rewriting({
      order: ({ number_of_fills: _count, ...order }) => ({ ...order, filled_size: '' }),
      fills: (fills) => (laggingAnswers-- > 0 ? [] : fills),
    }));
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    expect(laggingAnswers).toBeLessThan(0);
    await expectBookedOnce(harness);
  });

  it('FILLED with totals lagging at "0": stays open while they lag, never abandoned, then ends with the fill', async () => {
    let laggingAnswers = 8;
    const harness = await pipelineBehind(rewriting({
      order: (order) => (laggingAnswers-- > 0 ? { ...order, filled_size: '0', filled_value: '0', number_of_fills: '0', total_fees: '0' } : order),
    }));
    expect(await harness.runUntilFinished(5)).toBe('SUBMITTED'); // still followed: not ended with filled 0
    expect(OPEN_STATUSES).toContain((await theOrder(harness)).status);
    expect(harness.lines.some((line) => line.includes('fills are not accounted for'))).toBe(true);
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    expect(harness.statusesSeen.filter((status) => status === 'EXECUTED')).toHaveLength(1);
    await expectBookedOnce(harness);
  });

  it('CANCELLED with filled_size "0" while the exchange filled: not FAILED without fill; ends with the fill', async () => {
    let laggingAnswers = 2;
    const harness = await pipelineBehind(rewriting({
      order: (order) => ({ ...order, status: 'CANCELLED', ...(laggingAnswers-- > 0 ? { filled_size: '0', filled_value: '0', number_of_fills: '0', total_fees: '0' } : {}) }),
    }));
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    expect(harness.statusesSeen).not.toContain('FAILED');
    await expectBookedOnce(harness, 'CANCELLED_AFTER_PARTIAL_FILL');
  });

  it('CANCELLED with filled_size "": the listed fill makes it EXECUTED, not FAILED CANCELLED_WITHOUT_FILL', async () => {
    const harness = await pipelineBehind(rewriting({ order: (order) => ({ ...order, status: 'CANCELLED', filled_size: '' }) }));
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    await expectBookedOnce(harness, 'CANCELLED_AFTER_PARTIAL_FILL');
  });

  it('FAILED with no fill mentioned while the fills list has one: the fill is booked, and the order EXECUTED that far (money moved)', async () => {
    const harness = await pipelineBehind(rewriting({ order: (order) => ({ ...order, status: 'FAILED', reject_reason: 'HOLD_FAILURE', filled_size: '', number_of_fills: '0' }) }));
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    const order = await theOrder(harness);
    expect(order).toMatchObject({ status: 'EXECUTED', statusReason: 'FAILED_AFTER_PARTIAL_FILL:HOLD_FAILURE' });
    expect((await harness.kit.store.listFills(order.id)).map((fill) => fill.id)).toEqual(exchangeFilled(harness).fillIds);
    expect((await harness.kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(exchangeFilled(harness).filledSize);
  });
});

describe('order sync: never books more than the order can have filled', () => {
  it('filled_size "" and the fill repeated under new ids: one booked, held open while repeats last, then EXECUTED', async () => {
    let repeatingAnswers = 6;
    const harness = await pipelineBehind(rewriting({
      order: (order) => ({ ...order, filled_size: '' }),
      fills: (fills) => (repeatingAnswers-- > 0 ? [fills[0]!, { ...fills[0]!, entry_id: `echo-a-${repeatingAnswers}`, trade_id: `echo-a-${repeatingAnswers}` }, { ...fills[0]!, entry_id: `echo-b-${repeatingAnswers}`, trade_id: `echo-b-${repeatingAnswers}` }] : fills),
    }));
    expect(await harness.runUntilFinished(4)).toBe('SUBMITTED');
    expect((await harness.kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(exchangeFilled(harness).filledSize);
    expect(harness.lines.some((line) => line.includes('exceed what it can have filled'))).toBe(true);
    // Why it is held is on the order, written once (its updatedAtMs then stays put for the stale_orders check); the
    // first hold is an error in the log, the polls after it warnings.
    const held = await theOrder(harness);
    expect(held.statusReason).toBe('HELD_FILLS_NOT_BOOKED');
    expect(harness.lines.filter((line) => line.includes('the order stays open (and its reservation held)'))).toHaveLength(1);
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    await expectBookedOnce(harness, 'SETTLED_AFTER_HELD_FILLS_NOT_BOOKED');
  });

  it('a quote-sized BUY: a fill worth more than the quote size (with commission) is refused, the order held', async () => {
    let oversizedAnswers = 3;
    const harness = await pipelineBehind(rewriting({
      order: (order) => ({ ...order, filled_size: '' }),
      // size_in_quote fills carry their value: twice it is ~$197.6 + commission on a $100 order.
      fills: (fills) => (oversizedAnswers-- > 0 ? fills.map((fill) => ({ ...fill, entry_id: 'oversized', trade_id: 'oversized', size: String(Number(fill.size) * 2) })) : fills),
    }));
    expect(await harness.runUntilFinished(2)).toBe('SUBMITTED');
    expect(await harness.kit.store.getPosition('BTC-USD')).toBeUndefined();
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    await expectBookedOnce(harness);
  });

  it('a base-sized SELL with filled_size "": repeats of its fill past its base size are refused', async () => {
    let rewriteNow = false;
    let repeatingAnswers = 3;
    const harness = await pipelineBehind(rewriting({
      order: (order) => (rewriteNow ? { ...order, filled_size: '' } : order),
      fills: (fills) => (rewriteNow && repeatingAnswers-- > 0 ? [fills[0]!, { ...fills[0]!, entry_id: 'echo', trade_id: 'echo' }] : fills),
    }));
    expect(await harness.runUntilFinished()).toBe('EXECUTED'); // the BUY: a position to sell
    const { recommendation } = await harness.kit.approve({ side: 'SELL', index: 1 }); // 0.001 BTC
    rewriteNow = true;

    expect(await harness.runUntilFinished(60, recommendation.id)).toBe('EXECUTED');

    expect(repeatingAnswers).toBeLessThan(0);
    const sell = (await harness.kit.store.listOrders({})).find((order) => order.side === 'SELL')!;
    const exchangeSell = harness.setup.fake.fills().find((fill) => fill.side === 'SELL')!;
    expect(sell).toMatchObject({ status: 'EXECUTED', baseSize: '0.001', filledBaseSize: '0.001' });
    expect((await harness.kit.store.listFills(sell.id)).map((fill) => fill.id)).toEqual([`cb-${exchangeSell.entry_id}`]);
    const bought = harness.setup.fake.orders().find((order) => order.side === 'BUY')!.filled_size as string;
    expect((await harness.kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(subtractDecimal(decimal(bought), decimal('0.001')));
  });
});

/** The fills of the order in the store, and their sums: base size, value (size × price) and commission. */
async function bookedFills(harness: PipelineBehindProxy): Promise<{ readonly ids: string[]; readonly sizeBase: DecimalString; readonly valueQuote: DecimalString; readonly commission: DecimalString }> {
  const fills: Fill[] = await harness.kit.store.listFills((await theOrder(harness)).id);
  const sum = (of: (fill: Fill) => DecimalString): DecimalString => fills.reduce((total, fill) => addDecimal(total, of(fill)), decimal('0'));
  return { ids: fills.map((fill) => fill.id), sizeBase: sum((fill) => fill.sizeBase), valueQuote: sum((fill) => multiplyDecimal(fill.sizeBase, fill.price)), commission: sum((fill) => fill.commission) };
}

/** Every real answer of the fake, unchanged. */
const unchanged: AnswerRewrite = (_request, body) => body;

describe('order sync: a market order filled in several fills', () => {
  it('books every fill once; the order EXECUTED with totals and position equal to the sums of its fills', async () => {
    const harness = await pipelineBehind(unchanged, { fake: { marketOrderFills: { count: 3 } } });
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    const exchange = harness.setup.fake.orders()[0]!;
    expect(harness.setup.fake.fills()).toHaveLength(3);
    await expectBookedOnce(harness);
    const booked = await bookedFills(harness);
    expect(new Set(booked.ids).size).toBe(3);
    expect(booked).toMatchObject({ sizeBase: exchange.filled_size, valueQuote: exchange.filled_value, commission: exchange.total_fees });
    expect(await theOrder(harness)).toMatchObject({ filledBaseSize: booked.sizeBase, filledQuoteValue: booked.valueQuote, totalFees: booked.commission, averageFillPrice: exchange.average_filled_price });
    expect((await harness.kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(booked.sizeBase);
  });

  it('partial fills seen across several polls, each listed again in later answers, are booked once each', async () => {
    const harness = await pipelineBehind(unchanged, { fake: { marketOrderFills: { count: 3, intervalMs: 5_000 } } });
    const fillsAnswers = (): number => harness.setup.fake.requests.filter((request) => request.path === '/orders/historical/fills').length;
    // Seconds 0–2: the first fill only; the order is open, partly filled, with that fill booked.
    expect(await harness.runUntilFinished(3)).toBe('SUBMITTED');
    expect(await theOrder(harness)).toMatchObject({ status: 'PARTIALLY_FILLED', filledBaseSize: harness.setup.fake.orders()[0]!.filled_size });
    expect((await bookedFills(harness)).ids).toEqual(exchangeFilled(harness).fillIds);
    // Second 5: the second fill, at a lower ask (a re-listed first fill then fits within filled_size: only its id keeps
    // it from being counted twice); the first is listed again.
    harness.setup.fake.setPrice('BTC-USD', '49500');
    const answersBefore = fillsAnswers();
    expect(await harness.runUntilFinished(5)).toBe('SUBMITTED');
    expect(fillsAnswers()).toBeGreaterThan(answersBefore + 1);
    expect((await bookedFills(harness)).ids).toEqual(exchangeFilled(harness).fillIds);
    expect(exchangeFilled(harness).fillIds).toHaveLength(2);
    // Second 10: the last fill ends the order FILLED.
    harness.setup.fake.setPrice('BTC-USD', '49000');
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    expect(harness.setup.fake.fills().map((fill) => fill.price)).toEqual(['50000', '49500', '49000']);
    expect(harness.statusesSeen).toContain('PARTIALLY_FILLED');
    await expectBookedOnce(harness);
    expect((await bookedFills(harness)).sizeBase).toBe(harness.setup.fake.orders()[0]!.filled_size);
  });

  it('a fill listed again under new ids while filled_size is "": booked, then reported when the true filled_size comes', async () => {
    // An IOC market BUY filling in parts: while it is open Coinbase answers filled_size "" and lists its first fill
    // twice (new entry_id and trade_id); its book runs out after two fills, and the ended order's answer has the true
    // filled_size, below the three fills booked meanwhile.
    let anomaly = true;
    const harness = await pipelineBehind(
      rewriting({
        order: (order) => (anomaly ? { ...order, filled_size: '' } : order),
        fills: (fills) => (anomaly ? [...fills, { ...fills[0]!, entry_id: 'echo', trade_id: 'echo' }] : fills),
      }),
      { fake: { marketOrderFills: { count: 3, intervalMs: 5_000 } } },
    );
    expect(await harness.runUntilFinished(8)).toBe('SUBMITTED'); // two fills made, three booked
    const exchangeOrderId = harness.setup.fake.orders()[0]!.order_id as string;
    harness.setup.fake.finishOrder(exchangeOrderId, 'CANCELLED');
    anomaly = false;
    expect(await harness.runUntilFinished()).toBe('EXECUTED');

    const real = exchangeFilled(harness);
    expect(real.fillIds).toHaveLength(2);
    const order = await theOrder(harness);
    // The order carries Coinbase's figure and says the books hold more; the fills booked stay booked (the
    // position with them), each within what the $100 order could have filled when it was booked.
    expect(order).toMatchObject({ status: 'EXECUTED', statusReason: 'FILLS_BEYOND_FILLED_SIZE', filledBaseSize: real.filledSize });
    const booked = await bookedFills(harness);
    expect(booked.ids).toEqual([real.fillIds[0], 'cb-echo', real.fillIds[1]]);
    expect((await harness.kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(booked.sizeBase);
    expect(Number(addDecimal(booked.valueQuote, booked.commission))).toBeLessThanOrEqual(100 * 1.001);
    const errors = harness.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.message === 'recorded fills exceed what coinbase reports filled for the order');
    expect(errors).toEqual([expect.objectContaining({ level: 'error', orderId: order.id, filledSize: real.filledSize, recordedSizeBase: booked.sizeBase })]);
  });

  it.each([
    ['filled_value', 'FILLED_VALUE_BEHIND_FILLS', {}],
    ['number_of_fills', 'NUMBER_OF_FILLS_BEHIND_FILLS', { filled_value: '' }],
  ] as const)('the same, the order ending while filled_size is still "": held (%s below the fills booked), not ended unreported', async (_below, heldBecause, alsoEmpty) => {
    // It used to end EXECUTED CANCELLED_AFTER_PARTIAL_FILL at once, no error, the position 50 % over the venue's.
    let anomaly = true;
    const harness = await pipelineBehind(
      rewriting({
        order: (order) => (anomaly ? { ...order, filled_size: '', ...alsoEmpty } : order),
        fills: (fills) => (anomaly ? [...fills, { ...fills[0]!, entry_id: 'echo', trade_id: 'echo' }] : fills),
      }),
      { fake: { marketOrderFills: { count: 3, intervalMs: 5_000 } } },
    );
    expect(await harness.runUntilFinished(8)).toBe('SUBMITTED');
    harness.setup.fake.finishOrder(harness.setup.fake.orders()[0]!.order_id as string, 'CANCELLED');
    expect(await harness.runUntilFinished(3)).toBe('SUBMITTED');
    expect(await theOrder(harness)).toMatchObject({ status: 'PARTIALLY_FILLED', statusReason: `HELD_${heldBecause}` });
    expect(harness.lines.filter((line) => line.includes('"level":"error"') && line.includes(heldBecause))).toHaveLength(1);
    anomaly = false;
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    expect(await theOrder(harness)).toMatchObject({ status: 'EXECUTED', statusReason: 'FILLS_BEYOND_FILLED_SIZE', filledBaseSize: exchangeFilled(harness).filledSize });
    expect(harness.lines.filter((line) => line.includes('recorded fills exceed what coinbase reports filled'))).toHaveLength(1);
  });

  it('the fill listed twice more: its real second fill can never be booked, and the order stays held, saying so once', async () => {
    // Three parts booked from the first fill (within the $100 the order could fill); Coinbase's second fill then
    // finds the books past its filled_size. The hold is what the order says: it used to flip to
    // FILLS_BEYOND_FILLED_SIZE and log two errors on every poll.
    let anomaly = true;
    const harness = await pipelineBehind(
      rewriting({
        order: (order) => (anomaly ? { ...order, filled_size: '' } : order),
        fills: (fills) => (anomaly ? [...fills, ...['echo-a', 'echo-b'].map((id) => ({ ...fills[0]!, entry_id: id, trade_id: id }))] : fills),
      }),
      { fake: { marketOrderFills: { count: 3, intervalMs: 5_000 } } },
    );
    expect(await harness.runUntilFinished(8)).toBe('SUBMITTED');
    harness.setup.fake.finishOrder(harness.setup.fake.orders()[0]!.order_id as string, 'CANCELLED');
    anomaly = false;
    expect(await harness.runUntilFinished(10)).toBe('SUBMITTED');
    const real = exchangeFilled(harness);
    expect((await bookedFills(harness)).ids).toEqual([real.fillIds[0], 'cb-echo-a', 'cb-echo-b']);
    expect(await theOrder(harness)).toMatchObject({ status: 'PARTIALLY_FILLED', statusReason: 'HELD_FILLS_NOT_BOOKED' });
    const levels = harness.lines.map((line) => JSON.parse(line) as { level: string; message: string }).filter((line) => line.message.startsWith('coinbase reports the order ended') || line.message.startsWith('recorded fills exceed'));
    expect(levels[0]).toMatchObject({ level: 'error', message: expect.stringContaining('stays open'), heldBecause: 'FILLS_NOT_BOOKED', filledSize: real.filledSize });
    expect(levels.length).toBeGreaterThan(2);
    expect(levels.slice(1).every((line) => line.level === 'warn')).toBe(true);
  });
});

describe('order sync: a held order keeps its HELD_… reason', () => {
  it('while Coinbase reports more filled than the order asked: one hold error, the order still found as held', async () => {
    const harness = await pipelineBehind(rewriting({
      order: ({ number_of_fills: _count, ...order }) => ({ ...order, filled_size: '', filled_value: '150' }),
      fills: () => [],
    }));
    expect(await harness.runUntilFinished(5)).toBe('SUBMITTED');
    const held = await theOrder(harness);
    expect(held.statusReason).toMatch(/^HELD_/);
    expect(isHeldOrder(held)).toBe(true);
    expect(harness.lines.filter((line) => line.includes('the order stays open (and its reservation held)'))).toHaveLength(1);
  });
});

describe('order sync: entries that adjust fills are not fills', () => {
  it('a CORRECTION listed beside the fill is not booked (it would add to the position): the order is held, an error logged, until an operator settles it', async () => {
    const harness = await pipelineBehind(rewriting({
      order: ({ number_of_fills: _count, ...order }) => ({ ...order, filled_size: '' }),
      fills: (fills) => [...fills, { ...fills[0]!, entry_id: 'correction-1', trade_id: 'correction-1', trade_type: 'CORRECTION', size: '0.00000001', size_in_quote: false, commission: '0' }],
    }));
    expect(await harness.runUntilFinished(5)).toBe('SUBMITTED');
    const held = await theOrder(harness);
    expect(held.statusReason).toBe('HELD_FILL_ADJUSTED');
    const real = exchangeFilled(harness);
    expect((await harness.kit.store.listFills(held.id)).map((fill) => fill.id)).toEqual(real.fillIds);
    expect((await harness.kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(real.filledSize);
    expect(harness.lines.some((line) => line.includes('adjust its fills') && line.includes('CORRECTION'))).toBe(true);
    // The operator checks the account: the correction changed nothing it holds. The recorded fill ends the order.
    const settled = await settleHeldOrder(harness.kit.store, { orderId: held.id, fills: [], recordedFillsComplete: true, reason: 'correction checked: no change to the account', nowMs: harness.kit.clock.nowMs() });
    expect(settled.order).toMatchObject({ status: 'EXECUTED', filledBaseSize: real.filledSize });
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
  });
});

describe('order sync: an adjusting entry holds the order whatever the figures', () => {
  it('a REVERSAL listed with Coinbase\'s full filled_size: held HELD_FILL_ADJUSTED, not ended as if it were a repeat', async () => {
    const harness = await pipelineBehind(rewriting({ fills: (fills) => [...fills, { ...fills[0]!, entry_id: 'reversal-1', trade_id: 'reversal-1', trade_type: 'REVERSAL' }] }));
    expect(await harness.runUntilFinished(5)).toBe('SUBMITTED');
    expect((await theOrder(harness)).statusReason).toBe('HELD_FILL_ADJUSTED');
    expect(harness.lines.some((line) => line.includes('adjust its fills') && line.includes('REVERSAL'))).toBe(true);
  });
});

describe('order sync: an answer about another order', () => {
  it('moves nothing of the order: it is held (one error, then warnings) until Coinbase answers about it, then settles', async () => {
    let foreignAnswers = 3;
    const harness = await pipelineBehind(rewriting({ order: (order) => (foreignAnswers-- > 0 ? { ...order, side: 'SELL', product_id: 'ETH-USD', client_order_id: 'someone-elses' } : order) }));
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    expect(foreignAnswers).toBeLessThan(0);
    const entries = harness.lines.map((line) => JSON.parse(line) as { level: string; message: string; mismatchedFields?: string });
    const about = entries.filter((entry) => entry.message.startsWith('coinbase') && entry.message.includes('answer') && entry.message.includes('another order'));
    expect(about.map((entry) => entry.level)).toEqual(['error', 'warn', 'warn']);
    expect(about[0]!.mismatchedFields).toBe('client_order_id,product_id,side');
    await expectBookedOnce(harness, 'SETTLED_AFTER_HELD_ANSWER_ABOUT_ANOTHER_ORDER');
  });

  it('an order Coinbase only ever answers about as another is held (nothing of the other recorded), and settled only on the operator\'s word that it ended', async () => {
    const harness = await pipelineBehind(rewriting({ order: (order) => ({ ...order, order_id: 'someone-elses-order', status: 'FILLED', filled_size: '5', filled_value: '500000' }) }));
    expect(await harness.runUntilFinished(5)).toBe('SUBMITTED');
    const order = await theOrder(harness);
    expect(order).toMatchObject({ status: 'ACKNOWLEDGED', statusReason: 'HELD_ANSWER_ABOUT_ANOTHER_ORDER', filledBaseSize: '0', filledQuoteValue: '0' });
    expect(isHeldOrder(order)).toBe(true);
    expect(await harness.kit.store.listFills(order.id)).toEqual([]);
    expect(await harness.kit.store.listActiveReservations()).toHaveLength(1);
    // Polled again: nothing moves, not even its updatedAtMs (stale_orders then speaks up).
    harness.kit.clock.advance(60_000);
    expect(await harness.runUntilFinished(3)).toBe('SUBMITTED');
    expect(await theOrder(harness)).toEqual(order);
    const fills = exchangeFills(harness);
    const settle = (orderEndedOnCoinbase?: true) =>
      settleHeldOrder(harness.kit.store, { orderId: order.id, fills, reason: 'the account shows the fill', nowMs: harness.kit.clock.nowMs(), ...(orderEndedOnCoinbase === undefined ? {} : { orderEndedOnCoinbase }) });
    // Nothing says the real order ended (it may still be resting): refused without the operator's word.
    await expect(settle()).rejects.toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/cancel it if it is open/) });
    expect(await harness.kit.store.listFills(order.id)).toEqual([]);
    const settled = await settle(true);
    expect(settled.order).toMatchObject({ status: 'EXECUTED', statusReason: 'OPERATOR_SETTLED_AFTER_HELD_ANSWER_ABOUT_ANOTHER_ORDER: the account shows the fill' });
    expect(await harness.runUntilFinished()).toBe('EXECUTED');
    await expectBookedOnce(harness);
  });

  it('names the fields that differ', () => {
    const order = { id: 'order-1', exchangeOrderId: 'ex-1', clientOrderId: 'client-1', productId: 'BTC-USD', side: 'BUY' } as Order;
    const wire = { order_id: 'ex-2', client_order_id: 'client-1', product_id: 'BTC-USD', side: 'SELL', status: 'FILLED' } as CoinbaseOrder;
    expect(mismatchedAnswerFields(order, wire)).toEqual(['order_id', 'side']);
    expect(mismatchedAnswerFields(order, { ...wire, order_id: 'ex-1', side: 'BUY' })).toEqual([]);
  });
});
