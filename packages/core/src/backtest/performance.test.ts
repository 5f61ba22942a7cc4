import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEquityCurve, drawdownSeries, resampleToUtcDays, type EquityPoint } from './equity-curve.js';
import { isTradepipeError } from '../errors.js';
import { MIN_CAGR_PERIOD_DAYS, computePerformanceMetrics, measureMaxDrawdown } from './performance.js';
import { executionsFromFills } from './round-trips.js';
import { dailyCandle, dayMs, numberFill } from './test-helpers.js';

fc.configureGlobal({ seed: 20261206, numRuns: 200 });

const point = (atMs: number, equityQuote: number, positionBase = 0): EquityPoint => ({ atMs, equityQuote, cashQuote: equityQuote, positionBase, priceQuote: 1 });
const HOUR = 3_600_000;

describe('equity curve', () => {
  // Day 0: 100 → 110; day 1: 110 → 99; day 2: 99 → 121. BUY 1 @ 110 (fee 1.1) at day 0's close, SELL 1 @ 121 (fee 1.21) at day 2's.
  const candles = [dailyCandle(0, 100, 110), dailyCandle(1, 110, 99), dailyCandle(2, 99, 121)];
  const fills = [
    numberFill({ orderId: 'b1', side: 'BUY', price: '110', size: '1', fee: '1.1', atMs: dayMs(1) }),
    numberFill({ orderId: 's1', side: 'SELL', price: '121', size: '1', fee: '1.21', atMs: dayMs(3) }),
  ];

  it('marks cash plus position at each close, after the fills up to it (computed by hand)', () => {
    const curve = buildEquityCurve({ fills, candles, startingQuote: 1000 });
    expect(curve.map((p) => p.atMs)).toEqual([dayMs(0), dayMs(1), dayMs(2), dayMs(3)]);
    // 1000; 1000 − 111.1 + 110 = 998.9; 888.9 + 99 = 987.9; 888.9 + 121 − 1.21 = 1008.69 after the sale.
    expect(curve.map((p) => p.equityQuote)).toEqual([1000, expect.closeTo(998.9, 9), expect.closeTo(987.9, 9), expect.closeTo(1008.69, 9)]);
    expect(curve.map((p) => p.positionBase)).toEqual([0, 1, 1, 0]);
  });

  it('gives every figure of the run (computed by hand)', () => {
    const metrics = computePerformanceMetrics({ equity: buildEquityCurve({ fills, candles, startingQuote: 1000 }), executions: executionsFromFills(fills) });
    expect(metrics.totalReturnFraction).toBeCloseTo(0.00869, 10);
    expect(metrics.periodDays).toBe(3);
    expect(metrics.cagrFraction).toBeNull(); // three days: too short to annualise (MIN_CAGR_PERIOD_DAYS)
    expect(metrics.maxDrawdown).toEqual({ depthFraction: expect.closeTo(0.0121, 10), peakAtMs: dayMs(0), troughAtMs: dayMs(2), recoveredAtMs: dayMs(3), durationMs: 3 * 86_400_000, longestUnderwaterMs: 3 * 86_400_000 });
    expect(metrics.calmar).toBeNull();
    expect(metrics.feesQuote).toBeCloseTo(2.31, 10);
    expect(metrics.tradedNotionalQuote).toBeCloseTo(231, 10);
    expect(metrics.turnover).toBeCloseTo(0.231, 10);
    // In the market from day 1's start to day 3's start: 2 of 3 days.
    expect(metrics.exposureFraction).toBeCloseTo(2 / 3, 12);
    // One round trip: (121 − 110) × 1 − 2.31 = 8.69.
    expect(metrics).toMatchObject({ roundTrips: 1, winRate: 1, profitFactor: null, expectancyQuote: expect.closeTo(8.69, 9), averageHoldingMs: 2 * 86_400_000 });
  });

  it('takes ratios from end-of-day equity, and drawdowns from every point', () => {
    // End-of-day equity 100, 110, 99, 108.9 (returns +10 %, −10 %, +10 %), with an intraday dip to 88 on day 1.
    const equity = [point(dayMs(0), 100), point(dayMs(0) + 12 * HOUR, 105), point(dayMs(1), 110), point(dayMs(1) + 6 * HOUR, 88), point(dayMs(2), 99), point(dayMs(3), 108.9)];
    expect(resampleToUtcDays(equity).map((p) => p.equityQuote)).toEqual([100, 110, 99, 108.9]);
    const metrics = computePerformanceMetrics({ equity, executions: [] });
    // mean 0.033333; sd √(((0.066667)² × 2 + 0.133333²) / 2) = 0.1154701; × √365 → 5.51513
    expect(metrics.sharpe).toBeCloseTo(5.51513, 4);
    // downside √(0.01 / 3) = 0.0577350; 0.033333 / 0.057735 × √365 = 11.03026
    expect(metrics.sortino).toBeCloseTo(11.03026, 4);
    expect(metrics.maxDrawdown.depthFraction).toBeCloseTo(0.2, 12); // 88 / 110 − 1
    expect(metrics.maxDrawdown.recoveredAtMs).toBeNull();
    expect(metrics.maxDrawdown.durationMs).toBe(2 * 86_400_000); // peak at day 1, not recovered by day 3
    expect(metrics).toMatchObject({ roundTrips: 0, winRate: null, profitFactor: null, expectancyQuote: null });
  });

  it('counts the profit factor as gross profit over gross loss', () => {
    const trips = [
      numberFill({ orderId: 'b1', side: 'BUY', price: '100', size: '1', fee: '0', atMs: 1 }),
      numberFill({ orderId: 's1', side: 'SELL', price: '130', size: '1', fee: '0', atMs: 2 }),
      numberFill({ orderId: 'b2', side: 'BUY', price: '100', size: '1', fee: '0', atMs: 3 }),
      numberFill({ orderId: 's2', side: 'SELL', price: '90', size: '1', fee: '0', atMs: 4 }),
      numberFill({ orderId: 'b3', side: 'BUY', price: '100', size: '1', fee: '0', atMs: 5 }),
      numberFill({ orderId: 's3', side: 'SELL', price: '95', size: '1', fee: '0', atMs: 6 }),
    ];
    const metrics = computePerformanceMetrics({ equity: [point(0, 100), point(6, 115)], executions: executionsFromFills(trips) });
    expect(metrics).toMatchObject({ roundTrips: 3, winRate: 1 / 3, profitFactor: 2, expectancyQuote: 5 }); // 30 / (10 + 5); (30 − 15) / 3
  });

  it('annualises a period of a month or more only: shorter, CAGR and Calmar are not defined', () => {
    // +1 % a day, with a 2 % dip on the second day.
    const equityOver = (days: number): EquityPoint[] => Array.from({ length: days + 1 }, (_, index) => point(dayMs(index), 100 * 1.01 ** index * (index === 1 ? 0.97 : 1)));
    const short = computePerformanceMetrics({ equity: equityOver(MIN_CAGR_PERIOD_DAYS - 1), executions: [] });
    expect(short).toMatchObject({ periodDays: 29, cagrFraction: null, calmar: null });
    expect(short.sharpe).not.toBeNull(); // daily ratios stand on their own
    const month = computePerformanceMetrics({ equity: equityOver(MIN_CAGR_PERIOD_DAYS), executions: [] });
    expect(month.cagrFraction).toBeCloseTo(1.01 ** 365 - 1, 6); // 30 days at +1 % a day, compounded to 365
    expect(month.calmar).toBeCloseTo(month.cagrFraction! / month.maxDrawdown.depthFraction, 9);
  });

  it('refuses a NaN or an infinity in a point or an execution with a typed error, never a NaN figure', () => {
    const fill = (price: string) => numberFill({ orderId: 'b1', side: 'BUY', price, size: '1', fee: '0.1', atMs: dayMs(1) });
    const equity = [point(dayMs(0), 100), point(dayMs(1), 101)];
    const refused = (run: () => unknown): string | undefined => {
      try {
        run();
        return undefined;
      } catch (error) {
        return isTradepipeError(error) ? error.code : 'untyped';
      }
    };
    expect(refused(() => computePerformanceMetrics({ equity, executions: executionsFromFills([fill('100')]) }))).toBeUndefined();
    expect(refused(() => computePerformanceMetrics({ equity, executions: [{ ...executionsFromFills([fill('100')])[0]!, priceQuote: Number.NaN }] }))).toBe('validation_failed');
    expect(refused(() => computePerformanceMetrics({ equity, executions: [{ ...executionsFromFills([fill('100')])[0]!, feeQuote: Infinity }] }))).toBe('validation_failed');
    expect(refused(() => computePerformanceMetrics({ equity: [point(dayMs(0), 100), point(dayMs(1), Number.NaN)], executions: [] }))).toBe('validation_failed');
    expect(refused(() => computePerformanceMetrics({ equity: [point(dayMs(1), 100), point(dayMs(0), 101)], executions: [] }))).toBe('validation_failed');
  });

  it('measures a drawdown from its peak to its recovery', () => {
    const drawdown = measureMaxDrawdown([point(0, 100), point(1, 120), point(2, 90), point(3, 100), point(4, 125), point(5, 120), point(6, 124)]);
    expect(drawdown).toEqual({ depthFraction: 0.25, peakAtMs: 1, troughAtMs: 2, recoveredAtMs: 4, durationMs: 3, longestUnderwaterMs: 3 });
  });

  const series = fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 60 });

  it('gives a flat equity zero drawdown and no Sharpe ratio (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e6, noNaN: true }), fc.integer({ min: 2, max: 50 }), (value, length) => {
        const metrics = computePerformanceMetrics({ equity: Array.from({ length }, (_, index) => point(dayMs(index), value)), executions: [] });
        return metrics.maxDrawdown.depthFraction === 0 && metrics.maxDrawdown.durationMs === 0 && metrics.sharpe === null && metrics.totalReturnFraction === 0;
      }),
    );
  });

  it('leaves returns, ratios and drawdowns unchanged when every value is scaled (property)', () => {
    fc.assert(
      fc.property(series, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (values, scale) => {
        const base = computePerformanceMetrics({ equity: values.map((value, index) => point(dayMs(index), value)), executions: [] });
        const scaled = computePerformanceMetrics({ equity: values.map((value, index) => point(dayMs(index), value * scale)), executions: [] });
        const close = (a: number | null, b: number | null): boolean => (a === null ? b === null : b !== null && Math.abs(a - b) <= 1e-6 * (1 + Math.abs(a)));
        return close(base.totalReturnFraction, scaled.totalReturnFraction) && close(base.sharpe, scaled.sharpe) && close(base.maxDrawdown.depthFraction, scaled.maxDrawdown.depthFraction);
      }),
    );
  });

  it('keeps drawdowns in [−1, 0] and zero at each new high (property)', () => {
    fc.assert(
      fc.property(series, (values) => {
        const drawdowns = drawdownSeries(values.map((value, index) => ({ atMs: index, equityQuote: value })));
        let peak = 0;
        return drawdowns.every((p, index) => {
          const isHigh = values[index]! >= peak;
          peak = Math.max(peak, values[index]!);
          return p.drawdownFraction <= 0 && p.drawdownFraction > -1 && (!isHigh || p.drawdownFraction === 0);
        });
      }),
    );
  });
});
