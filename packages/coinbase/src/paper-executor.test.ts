import { describe, expect, it } from 'vitest';
import { decimal, GRANULARITIES, type DecimalString } from '@tradepipe/core';
import { testCandle } from '@tradepipe/core/testing';
import { createExecutorKit, fund } from './executor-test-kit.js';
import { createPaperExecutor, PaperExecutor } from './paper-executor.js';

const HOUR = GRANULARITIES.ONE_HOUR;

describe('PaperExecutor', () => {
  it('fills at the open of the first candle starting at or after the order, never the signal close', async () => {
    const kit = await createExecutorKit();
    await fund(kit, { USD: '1000' });
    const executor = createPaperExecutor({ approvalSigner: kit.signer, slippageBps: 10, takerFeeRateBps: 120 });
    const { recommendation, approval } = await kit.approve();
    // The signal saw candle 0 (close 100). The order is created at the start of candle 1.
    await kit.store.putCandles([testCandle({ index: 0, open: 99, close: 100 })]);
    const acknowledged = await executor.execute({ recommendation, approval }, kit.context);
    expect(acknowledged).toMatchObject({ status: 'ACKNOWLEDGED', venue: 'paper', quoteSize: '100', clientOrderId: approval.clientOrderId });
    kit.clock.advance(HOUR);
    await kit.store.putCandles([testCandle({ index: 1, open: 120, close: 130 })]);
    const executed = await executor.refresh(acknowledged, kit.context);
    // price = 120 × 1.001 = 120.12; size = floor(100 / 1.012 / 120.12, 1e-8) = 0.82262928; value = 98.8142291136; fee = 1.1857707493632.
    expect(executed).toMatchObject({ status: 'EXECUTED', averageFillPrice: '120.12', filledBaseSize: '0.82262928', filledQuoteValue: '98.8142291136', totalFees: '1.1857707493632' });
    const [fill] = await kit.store.listFills(executed.id);
    expect(fill).toMatchObject({ price: '120.12', sizeBase: '0.82262928', commission: '1.1857707493632', liquidity: 'TAKER', venue: 'paper' });
    const balances = await kit.store.listBalances();
    // 1000 − 98.8142291136 − 1.1857707493632 = 900.0000001370368
    expect(balances.find((balance) => balance.currency === 'USD')?.available).toBe('900.0000001370368');
    expect((await kit.store.getPosition('BTC-USD'))?.sizeBase).toBe('0.82262928');
  });

  it('uses an injected quote source when given', async () => {
    const kit = await createExecutorKit();
    await fund(kit, { USD: '1000' });
    const seen: number[] = [];
    const executor = createPaperExecutor({
      approvalSigner: kit.signer,
      slippageBps: 0,
      takerFeeRateBps: 0,
      quoteSource: async ({ afterMs }) => {
        seen.push(afterMs);
        return decimal('50000') as DecimalString;
      },
    });
    const { recommendation, approval } = await kit.approve();
    const order = await executor.execute({ recommendation, approval }, kit.context);
    expect(order).toMatchObject({ status: 'EXECUTED', filledBaseSize: '0.002', averageFillPrice: '50000', totalFees: '0' });
    expect(seen).toEqual([order.createdAtMs]);
  });

  it('rejects with INSUFFICIENT_FUND, consuming the approval', async () => {
    const kit = await createExecutorKit();
    await fund(kit, { USD: '50' });
    const executor = createPaperExecutor({ approvalSigner: kit.signer });
    const { recommendation, approval } = await kit.approve();
    const order = await executor.execute({ recommendation, approval }, kit.context);
    expect(order).toMatchObject({ status: 'REJECTED', statusReason: 'INSUFFICIENT_FUND' });
    // A retry finds the order: it does not place another or reuse the approval.
    expect(await executor.execute({ recommendation, approval }, kit.context)).toMatchObject({ id: order.id, status: 'REJECTED' });
  });

  it('rejects below the minimum size and rounds to increments', async () => {
    const kit = await createExecutorKit({ product: { quoteMinSize: decimal('5'), quoteIncrement: decimal('1') } });
    await fund(kit, { USD: '1000' });
    const executor = createPaperExecutor({ approvalSigner: kit.signer, takerFeeRateBps: 0, slippageBps: 0, quoteSource: async () => decimal('10') });
    const small = await kit.approve({ quoteAmount: decimal('4.99') });
    expect(await executor.execute(small, kit.context)).toMatchObject({ status: 'REJECTED', statusReason: 'PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL', quoteSize: '4' });
    const odd = await kit.approve({ quoteAmount: decimal('12.75'), index: 1 });
    expect(await executor.execute(odd, kit.context)).toMatchObject({ status: 'EXECUTED', quoteSize: '12', filledBaseSize: '1.2' });
  });

  it('sells a base size out of the position and reads the fee tier once', async () => {
    const kit = await createExecutorKit();
    await fund(kit, { USD: '1000' });
    let tierReads = 0;
    const executor = new PaperExecutor({
      approvalSigner: kit.signer,
      slippageBps: 0,
      quoteSource: async () => decimal('100'),
      feeTierSource: { getFeeTier: async () => ((tierReads += 1), { takerFeeRate: '0.006' }) },
    });
    await executor.execute(await kit.approve(), kit.context);
    const sell = await kit.approve({ side: 'SELL', baseSize: decimal('0.5'), quoteAmount: decimal('50'), index: 1 });
    const sold = await executor.execute(sell, kit.context);
    expect(sold).toMatchObject({ status: 'EXECUTED', side: 'SELL', filledBaseSize: '0.5', filledQuoteValue: '50', totalFees: '0.3' });
    expect(tierReads).toBe(1);
  });

  it('refuses a forged or expired approval without recording anything', async () => {
    const kit = await createExecutorKit();
    await fund(kit, { USD: '1000' });
    const executor = createPaperExecutor({ approvalSigner: kit.signer });
    const { recommendation, approval } = await kit.approve();
    await expect(executor.execute({ recommendation, approval: { ...approval, maxQuoteAmount: decimal('100000') } }, kit.context)).rejects.toMatchObject({ code: 'approval_invalid' });
    kit.clock.advance(61_000);
    await expect(executor.execute({ recommendation, approval }, kit.context)).rejects.toMatchObject({ code: 'approval_expired' });
    expect(await kit.store.listOrders({})).toHaveLength(0);
  });

  it('refuses a product that is not online before consuming the approval', async () => {
    const kit = await createExecutorKit({ product: { status: 'cancel_only' } });
    await fund(kit, { USD: '1000' });
    const executor = createPaperExecutor({ approvalSigner: kit.signer });
    await expect(executor.execute(await kit.approve(), kit.context)).rejects.toMatchObject({ code: 'product_not_tradable' });
    expect(await kit.store.listOrders({})).toHaveLength(0);
  });

  it('funds an empty store from startingBalances', async () => {
    const kit = await createExecutorKit();
    const executor = createPaperExecutor({ approvalSigner: kit.signer, startingBalances: { USD: '250' }, quoteSource: async () => decimal('100') });
    expect(await executor.execute(await kit.approve(), kit.context)).toMatchObject({ status: 'EXECUTED' });
  });

  // Issue 13: a quote source that answers zero, a negative price or junk must not crash, mislabel or abandon.
  it.each([
    ['zero', '0'],
    ['negative', '-5'],
    ['NaN', 'NaN'],
    ['empty', ''],
  ])('ends the order FAILED with INVALID_REFERENCE_PRICE for a %s quote: no fill, reservation released', async (_, quote) => {
    for (const side of ['BUY', 'SELL'] as const) {
      const kit = await createExecutorKit();
      await fund(kit, { USD: '1000' });
      let broken = side === 'BUY';
      const executor = createPaperExecutor({ approvalSigner: kit.signer, slippageBps: 10, takerFeeRateBps: 120, quoteSource: async () => (broken ? quote : decimal('100')) as DecimalString });
      if (side === 'SELL') {
        expect(await executor.execute(await kit.approve(), kit.context)).toMatchObject({ status: 'EXECUTED' }); // a position to sell
        broken = true;
      }
      const input = await kit.approve(side === 'SELL' ? { side, baseSize: decimal('0.5'), quoteAmount: decimal('50'), index: 1 } : {});
      const order = await executor.execute(input, kit.context);
      expect(order, side).toMatchObject({ status: 'FAILED', statusReason: 'INVALID_REFERENCE_PRICE', filledBaseSize: '0' });
      expect(await kit.store.listFills(order.id)).toEqual([]);
      expect(await kit.store.listActiveReservations()).toEqual([]);
      expect((await kit.store.listOrders({ statuses: ['ACKNOWLEDGED'] })).length).toBe(0);
    }
  });
});
