import { describe, expect, it } from 'vitest';
import { buildMarketContext } from './market-context.js';
import { DEFAULT_SYSTEM_PROMPT, buildChatMessages } from './prompt.js';
import { makeInput } from './test-helpers.js';

describe('market context and prompt', () => {
  it('summarises candles, features and the signal compactly and deterministically', () => {
    const input = { ...makeInput('context'), revealMarket: true };
    const context = buildMarketContext(input);
    expect(context).toEqual(buildMarketContext(input));
    expect(context.recommendation).toMatchObject({ productId: 'BTC-USD', side: 'BUY', quoteAmount: '100', origin: 'signal (confidence 0.72)' });
    expect(context.model).toMatchObject({ action: 'BUY', confidence: 0.72, modelVersion: '1.0.0' });
    expect(context.candles).toMatchObject({ count: 30, trend: 'up', gapFilledCount: 0 });
    expect(context.candles?.recentCloses).toHaveLength(10);
    expect(context.features).toEqual({ rsi_14: 61.5, return_1: 0.0123, macd_hist: -0.4 });
    expect(JSON.stringify(context).length).toBeLessThan(1500);
    expect(buildMarketContext({ ...input, signal: undefined, recentCandles: [] })).toEqual({ recommendation: context.recommendation, prices: 'quote' });
  });

  it('names no product, date or volume by default and gives prices as an index (the last close = 100): nothing to recall', () => {
    const input = makeInput('context');
    const revealed = buildMarketContext({ ...input, revealMarket: true });
    const hidden = buildMarketContext(input);
    const text = JSON.stringify(hidden);
    expect(hidden.prices).toBe('index');
    for (const leak of ['BTC', 'USD', '2025', '2024', 'StartAt', 'meanVolume', 'baseSize']) expect(text).not.toContain(leak);
    const lastClose = input.recentCandles.at(-1)!.close;
    expect(hidden.candles!.lastClose).toBe(100);
    expect(hidden.recommendation.referencePrice).toBeCloseTo((input.recommendation.referencePrice / lastClose) * 100, 3);
    expect(hidden.candles!.recentCloses.at(-2)).toBeCloseTo((input.recentCandles.at(-2)!.close / lastClose) * 100, 3);
    // What the judgement rests on is the same: returns, volatility, trend, gaps, the signal and the features.
    for (const key of ['changePct', 'volatilityPct', 'trend', 'gapFilledCount', 'count'] as const) expect(hidden.candles![key]).toEqual(revealed.candles![key]);
    expect(hidden.model).toEqual(revealed.model);
    expect(hidden.features).toEqual(revealed.features);
  });

  it('puts the system prompt first and the context as JSON second', () => {
    const messages = buildChatMessages(buildMarketContext({ ...makeInput(), revealMarket: true }));
    expect(messages[0]).toEqual({ role: 'system', content: DEFAULT_SYSTEM_PROMPT });
    expect(messages[1]?.content).toContain('"referencePrice":105.2');
  });
});
