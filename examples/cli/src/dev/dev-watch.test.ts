import { describe, expect, it } from 'vitest';
import { candleCloseMs, type Candle } from '@tradepipe/core';
import { createEventTracker, type DevSnapshot } from './dev-watch.js';
import { lastClosedCandle } from './replay-market.js';

describe('the replay', () => {
  const candles: Candle[] = [0, 1, 2].map((index) => ({ productId: 'BTC-USD', granularity: 'ONE_DAY', startMs: Date.UTC(2024, 10, 8 + index), open: 1, high: 2, low: 1, close: 100 + index, volume: 1, gapFilled: false }));

  it('quotes the last candle closed by now, never one still open', () => {
    expect(lastClosedCandle(candles, candles[0]!.startMs)).toBeUndefined();
    expect(lastClosedCandle(candles, candleCloseMs(candles[0]!) - 1)).toBeUndefined();
    expect(lastClosedCandle(candles, candleCloseMs(candles[0]!))?.close).toBe(100);
    expect(lastClosedCandle(candles, candleCloseMs(candles[2]!) - 1)?.close).toBe(101);
    expect(lastClosedCandle(candles, Date.UTC(2030, 0, 1))?.close).toBe(102);
  });

  it('prints each signal, ended recommendation and ended order once, and a rule rejection by its failed rules', () => {
    const snapshot = (recommendationState: string, orderStatus: string): DevSnapshot => ({
      generatedAtMs: Date.UTC(2024, 10, 11),
      health: { status: 'ok' },
      funnel: {},
      signals: [
        { productId: 'BTC-USD', candleStartMs: Date.UTC(2024, 10, 9), action: 'BUY', confidence: 0.45 },
        { productId: 'BTC-USD', candleStartMs: Date.UTC(2024, 10, 1), action: 'SELL', confidence: 0.5 },
      ],
      recommendations: [
        { id: 'r1', productId: 'BTC-USD', side: 'SELL', origin: 'signal', createdAtMs: 1, state: recommendationState, reason: 'rules: fail: confidence 0.376 < minimum 0.4; pass: candles reach the decision candle', verdicts: [{ validator: 'rules', decision: 'REJECT', reasons: [] }] },
      ],
      orders: [{ id: 'o1', productId: 'BTC-USD', side: 'BUY', status: orderStatus, filledBaseSize: '0.001', averageFillPrice: '90000.5', totalFees: '1.0812', createdAtMs: 1 }],
      balances: [],
    });
    const tracker = createEventTracker({ signalsFromMs: Date.UTC(2024, 10, 10) });
    const first = tracker.next(snapshot('PENDING_RISK', 'ACKNOWLEDGED'));
    expect(first.map((event) => event.text)).toEqual(['candle 2024-11-09 BTC-USD: signal BUY (confidence 0.45)']);
    const second = tracker.next(snapshot('REJECTED', 'EXECUTED'));
    expect(second.map((event) => event.text)).toEqual([
      '  recommendation SELL (signal) → REJECTED: rules: fail: confidence 0.376 < minimum 0.4 (rules REJECT)',
      '  order BUY EXECUTED: 0.001 BTC at 90000.5, fees $1.08',
    ]);
    expect(tracker.next(snapshot('REJECTED', 'EXECUTED'))).toEqual([]);
  });
});
