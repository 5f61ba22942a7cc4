import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRoundTrips, matchRoundTrips, type TradeExecution } from './round-trips.js';
import { numberFill } from './test-helpers.js';

fc.configureGlobal({ seed: 20261206, numRuns: 200 });

describe('round trips, FIFO lots', () => {
  it('matches partial exits against the oldest lots with fees pro rata (computed by hand)', () => {
    const fills = [
      // Lot b1 in two fills: 0.5 @ 98 and 0.5 @ 102 → 1 @ 100, fee 1.
      numberFill({ orderId: 'b1', side: 'BUY', price: '98', size: '0.5', fee: '0.5', atMs: 1 }),
      numberFill({ orderId: 'b1', side: 'BUY', price: '102', size: '0.5', fee: '0.5', atMs: 1, index: 2 }),
      numberFill({ orderId: 'b2', side: 'BUY', price: '120', size: '1', fee: '1.2', atMs: 2 }),
      numberFill({ orderId: 's1', side: 'SELL', price: '130', size: '1.5', fee: '1.95', atMs: 3 }),
      numberFill({ orderId: 's2', side: 'SELL', price: '90', size: '0.5', fee: '0.45', atMs: 5 }),
    ];
    const { roundTrips, openLots } = buildRoundTrips(fills);
    expect(openLots).toEqual([]);
    expect(roundTrips.map((trip) => [trip.entryOrderId, trip.exitOrderId, trip.sizeBase, trip.holdingMs])).toEqual([
      ['b1', 's1', 1, 2],
      ['b2', 's1', 0.5, 1],
      ['b2', 's2', 0.5, 3],
    ]);
    // b1/s1: fees 1 + 1.95 × 1/1.5 = 2.3; PnL 30 − 2.3 = 27.7; return 27.7 / 101.
    expect(roundTrips[0]!.feesQuote).toBeCloseTo(2.3, 10);
    expect(roundTrips[0]!.pnlQuote).toBeCloseTo(27.7, 10);
    expect(roundTrips[0]!.returnFraction).toBeCloseTo(27.7 / 101, 10);
    // b2/s1: fees 0.6 + 0.65 = 1.25; PnL 5 − 1.25 = 3.75.
    expect(roundTrips[1]!.pnlQuote).toBeCloseTo(3.75, 10);
    // b2/s2: fees 0.6 + 0.45 = 1.05; PnL −15 − 1.05 = −16.05.
    expect(roundTrips[2]!.pnlQuote).toBeCloseTo(-16.05, 10);
    expect(roundTrips[0]!.entryPriceQuote).toBeCloseTo(100, 10);
  });

  it('keeps what is not sold as an open lot with its share of the entry fee', () => {
    const { roundTrips, openLots } = buildRoundTrips([
      numberFill({ orderId: 'b1', side: 'BUY', price: '100', size: '1', fee: '1', atMs: 1 }),
      numberFill({ orderId: 's1', side: 'SELL', price: '110', size: '0.4', fee: '0.44', atMs: 2 }),
    ]);
    expect(roundTrips).toHaveLength(1);
    expect(roundTrips[0]!.pnlQuote).toBeCloseTo(3.16, 10); // 4 − 0.4 − 0.44
    expect(openLots).toEqual([expect.objectContaining({ entryOrderId: 'b1', sizeBase: expect.closeTo(0.6, 12), entryFeeQuote: expect.closeTo(0.6, 12) })]);
  });

  it('ignores the part of a SELL beyond what the fills bought', () => {
    const { roundTrips } = buildRoundTrips([
      numberFill({ orderId: 'b1', side: 'BUY', price: '100', size: '1', fee: '0', atMs: 1 }),
      numberFill({ orderId: 's1', side: 'SELL', price: '100', size: '3', fee: '0', atMs: 2 }),
    ]);
    expect(roundTrips.map((trip) => trip.sizeBase)).toEqual([1]);
  });

  it('sums round-trip PnL to the cash gained once flat (property)', () => {
    const trade = fc.record({ buySize: fc.double({ min: 0.01, max: 5, noNaN: true }), buyPrice: fc.double({ min: 1, max: 1000, noNaN: true }), sellPrice: fc.double({ min: 1, max: 1000, noNaN: true }), parts: fc.integer({ min: 1, max: 3 }), feeRate: fc.double({ min: 0, max: 0.02, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(trade, { minLength: 1, maxLength: 6 }), (trades) => {
        const executions: TradeExecution[] = [];
        let cash = 0;
        trades.forEach((t, index) => {
          executions.push({ orderId: `b${index}`, productId: 'BTC-USD', side: 'BUY', atMs: index * 10, sizeBase: t.buySize, priceQuote: t.buyPrice, feeQuote: t.buySize * t.buyPrice * t.feeRate });
          cash -= t.buySize * t.buyPrice * (1 + t.feeRate);
        });
        trades.forEach((t, index) => {
          for (let part = 0; part < t.parts; part += 1) {
            const size = t.buySize / t.parts;
            executions.push({ orderId: `s${index}-${part}`, productId: 'BTC-USD', side: 'SELL', atMs: 1000 + index * 10 + part, sizeBase: size, priceQuote: t.sellPrice, feeQuote: size * t.sellPrice * t.feeRate });
            cash += size * t.sellPrice * (1 - t.feeRate);
          }
        });
        const { roundTrips } = matchRoundTrips(executions);
        const pnl = roundTrips.reduce((sum, trip) => sum + trip.pnlQuote, 0);
        const closed = roundTrips.reduce((sum, trip) => sum + trip.sizeBase, 0);
        const bought = trades.reduce((sum, t) => sum + t.buySize, 0);
        return Math.abs(pnl - cash) <= 1e-6 * (1 + Math.abs(cash)) && Math.abs(closed - bought) <= 1e-9 * bought;
      }),
    );
  });
});
