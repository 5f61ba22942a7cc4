import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDecimal, compareDecimal, decimal, floorToIncrement } from '@tradepipe/core';
import { simulatePaperFill, type PaperFill } from './paper-fill-model.js';

const btc = { baseIncrement: decimal('0.00000001'), priceIncrement: decimal('0.01'), baseMinSize: decimal('0.00000001') };

describe('simulatePaperFill', () => {
  it('fills a $100 quote BUY by hand: 10 bps slippage, 1.2 % fee taken out of the quote amount', () => {
    // price = 50000 × 1.001 = 50050; spend = 100 / 1.012 = 98.814229249011857707;
    // size = floor(98.814229249011857707 / 50050, 1e-8) = 0.00197431 (0.00197431 × 50050 = 98.8142155 ≤ 98.8142292…);
    // value = 98.8142155; fee = 98.8142155 × 0.012 = 1.185770586; value + fee = 99.999986086 ≤ 100.
    const fill = simulatePaperFill({ side: 'BUY', quoteSize: decimal('100'), referencePrice: decimal('50000'), slippageBps: 10, feeRateBps: 120, product: btc }) as PaperFill;
    expect(fill).toEqual({ price: '50050', sizeBase: '0.00197431', valueQuote: '98.8142155', commission: '1.185770586' });
  });

  it('fills a base SELL by hand: price rounded down after slippage, fee out of the proceeds', () => {
    // price = 3000.55 × 0.9995 = 2999.049725 → 2999.04; value = 0.5 × 2999.04 = 1499.52; fee = 1499.52 × 0.006 = 8.99712.
    const fill = simulatePaperFill({ side: 'SELL', baseSize: decimal('0.5'), referencePrice: decimal('3000.55'), slippageBps: 5, feeRateBps: 60, product: btc }) as PaperFill;
    expect(fill).toEqual({ price: '2999.04', sizeBase: '0.5', valueQuote: '1499.52', commission: '8.99712' });
  });

  it('rounds sizes down to the increment and refuses what falls below the minimum', () => {
    const coarse = { baseIncrement: decimal('0.01'), priceIncrement: decimal('0.01'), baseMinSize: decimal('0.1') };
    expect(simulatePaperFill({ side: 'SELL', baseSize: decimal('0.129'), referencePrice: decimal('10'), slippageBps: 0, feeRateBps: 0, product: coarse })).toMatchObject({ sizeBase: '0.12' });
    expect(simulatePaperFill({ side: 'SELL', baseSize: decimal('0.099'), referencePrice: decimal('10'), slippageBps: 0, feeRateBps: 0, product: coarse })).toEqual({ reason: 'PREVIEW_INVALID_BASE_SIZE_TOO_SMALL' });
    expect(simulatePaperFill({ side: 'BUY', quoteSize: decimal('0.5'), referencePrice: decimal('10'), slippageBps: 0, feeRateBps: 120, product: coarse })).toEqual({ reason: 'PREVIEW_INVALID_BASE_SIZE_TOO_SMALL' });
  });

  it('never spends more than the quote size, fee included, and sizes stay on the increment (fast-check seed 9)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 10_000_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 250 }),
        (quoteCents, priceCents, slippageBps, feeRateBps) => {
          const quoteSize = decimal((quoteCents / 100).toFixed(2));
          const fill = simulatePaperFill({ side: 'BUY', quoteSize, referencePrice: decimal((priceCents / 100).toFixed(2)), slippageBps, feeRateBps, product: btc });
          if ('reason' in fill) return true;
          return compareDecimal(addDecimal(fill.valueQuote, fill.commission), quoteSize) <= 0 && floorToIncrement(fill.sizeBase, btc.baseIncrement) === fill.sizeBase;
        },
      ),
      { seed: 9, numRuns: 300 },
    );
  });

  // Issue 13: zero, negative or junk prices and sizes give a reason, never a fill with a negative or NaN figure.
  it('refuses a price or size that is not a usable decimal with a reason', () => {
    const base = { side: 'SELL' as const, slippageBps: 5, feeRateBps: 60, product: btc };
    for (const referencePrice of ['0', '-3000', 'NaN', '', 'Infinity', '1e3']) {
      expect(simulatePaperFill({ ...base, baseSize: decimal('0.5'), referencePrice: referencePrice as never }), referencePrice).toEqual({ reason: 'INVALID_REFERENCE_PRICE' });
    }
    for (const size of ['-0.5', 'NaN', '', '1e-3']) {
      expect(simulatePaperFill({ ...base, baseSize: size as never, referencePrice: decimal('3000') }), size).toEqual({ reason: 'INVALID_SIZE' });
      expect(simulatePaperFill({ ...base, side: 'BUY', quoteSize: size as never, referencePrice: decimal('3000') }), size).toEqual({ reason: 'INVALID_SIZE' });
    }
    expect(simulatePaperFill({ ...base, baseSize: decimal('0'), referencePrice: decimal('3000') })).toEqual({ reason: 'PREVIEW_INVALID_BASE_SIZE_TOO_SMALL' });
  });

  it('refuses slippage or fee rates outside 0…10000 bps with validation_failed', () => {
    const request = { side: 'BUY' as const, quoteSize: decimal('100'), referencePrice: decimal('100'), product: btc };
    for (const [slippageBps, feeRateBps] of [[Number.NaN, 0], [0, Number.POSITIVE_INFINITY], [-1, 0], [0, 10_001]] as const) {
      expect(() => simulatePaperFill({ ...request, slippageBps, feeRateBps })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    }
  });

  it('gives a reason or a fill whose every figure is a non-negative decimal, price and size positive (fast-check seed 13)', () => {
    const text = fc.oneof(fc.constantFrom('0', '-1', 'NaN', '', '1e2', '0.00000001', '100', '99999.99'), fc.double({ noNaN: false }).map(String));
    fc.assert(
      fc.property(fc.constantFrom('BUY' as const, 'SELL' as const), text, text, (side, price, size) => {
        const fill = simulatePaperFill({ side, ...(side === 'BUY' ? { quoteSize: size as never } : { baseSize: size as never }), referencePrice: price as never, slippageBps: 5, feeRateBps: 60, product: btc });
        if ('reason' in fill) return true;
        return compareDecimal(fill.price, decimal('0')) > 0 && compareDecimal(fill.sizeBase, decimal('0')) > 0 && [fill.valueQuote, fill.commission].every((figure) => compareDecimal(figure, decimal('0')) >= 0);
      }),
      { seed: 13, numRuns: 500 },
    );
  });
});
