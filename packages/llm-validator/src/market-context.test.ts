import { describe, expect, it } from 'vitest';
import { buildMarketContext } from './market-context.js';
import { DEFAULT_SYSTEM_PROMPT, buildChatMessages } from './prompt.js';
import { makeInput } from './test-helpers.js';

describe('market context and prompt', () => {
  it('summarises candles, features and the signal compactly and deterministically', () => {
    const input = makeInput('context');
    const context = buildMarketContext(input);
    expect(context).toEqual(buildMarketContext(input));
    expect(context.recommendation).toMatchObject({ productId: 'BTC-USD', side: 'BUY', quoteAmount: '100', origin: 'signal (confidence 0.72)' });
    expect(context.model).toMatchObject({ action: 'BUY', confidence: 0.72, modelVersion: '1.0.0' });
    expect(context.candles).toMatchObject({ count: 30, trend: 'up', gapFilledCount: 0 });
    expect(context.candles?.recentCloses).toHaveLength(10);
    expect(context.features).toEqual({ rsi_14: 61.5, return_1: 0.0123, macd_hist: -0.4 });
    expect(JSON.stringify(context).length).toBeLessThan(1500);
    expect(buildMarketContext({ ...input, signal: undefined, recentCandles: [] })).toEqual({ recommendation: context.recommendation });
  });

  it('puts the system prompt first and the context as JSON second', () => {
    const messages = buildChatMessages(buildMarketContext(makeInput()));
    expect(messages[0]).toEqual({ role: 'system', content: DEFAULT_SYSTEM_PROMPT });
    expect(messages[1]?.content).toContain('"referencePrice":105.2');
  });
});
