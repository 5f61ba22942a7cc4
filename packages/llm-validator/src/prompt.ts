import { RISK_FLAGS } from './verdict.js';
import type { MarketContext } from './market-context.js';

/**
 * Version of the default system prompt, the verdict schema and the market-context format together.
 * Recorded with every verdict. Any change to one of the three bumps it (see the README's prompt policy).
 * @example
 * validation.promptVersion === SYSTEM_PROMPT_VERSION; // for validations made with the default prompt
 */
export const SYSTEM_PROMPT_VERSION = 'trade-validator/2026-12.1';

/**
 * The default system prompt; see {@link SYSTEM_PROMPT_VERSION}. To change it, pass `systemPrompt` with your
 * own `promptVersion`.
 * @example
 * createOllamaTradeValidator({ model: 'llama3.2', systemPrompt: `${DEFAULT_SYSTEM_PROMPT}\nNever approve on weekends.`, promptVersion: 'mine/1' });
 */
export const DEFAULT_SYSTEM_PROMPT = [
  'You are a cautious risk reviewer for an automated crypto-trading system that trades real money.',
  'You receive one trade recommendation as JSON: the recommendation, the model signal behind it with its',
  'confidence, a summary of recent candles and the key features. Decide whether the trade should go ahead.',
  'When "prices" is "index", prices are scaled so that the last close is 100 and no product or date is named:',
  'judge the numbers given, never what you remember of a market, a price level or a date.',
  'Answer ONLY with a JSON object with these keys:',
  '- "decision": "APPROVE" or "REJECT";',
  '- "reasons": 1 to 10 short reasons, each under 500 characters, citing the numbers you relied on;',
  '- "confidence": your confidence in the decision, a number from 0 to 1;',
  `- "riskFlags": any of ${RISK_FLAGS.map((flag) => `"${flag}"`).join(', ')} that apply, or [].`,
  'Reject when the data is missing, stale or gappy, when the move is extreme, or when the trend contradicts',
  'the side. Never approve a trade you raise extreme_volatility, data_gap, stale_data or insufficient_data for.',
  'When in doubt, REJECT.',
].join('\n');

/** One chat message in Ollama's `/api/chat` shape. */
export interface ChatMessage {
  /** `system` for the instructions, `user` for the market context. */
  readonly role: 'system' | 'user';
  /** The message text: the system prompt, or the market context as JSON. */
  readonly content: string;
}

/**
 * The messages sent for one validation: the system prompt, then the market context as JSON.
 * @param systemPrompt the prompt to use (default {@link DEFAULT_SYSTEM_PROMPT})
 * @returns two messages, system then user
 * @example
 * const messages = buildChatMessages(buildMarketContext(input));
 */
export function buildChatMessages(context: MarketContext, systemPrompt: string = DEFAULT_SYSTEM_PROMPT): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt },
    { role: 'user', content: `Recommendation to review:\n${JSON.stringify(context)}` },
  ];
}
