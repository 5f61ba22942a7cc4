import { z } from 'zod';
import { DEFAULT_BLOCKING_RISK_FLAGS, RiskFlagSchema } from './verdict.js';

/**
 * zod schema of the options of {@link OllamaTradeValidator}. Defaults: a local Ollama at
 * `http://127.0.0.1:11434`, temperature 0 and seed 42 (reproducible answers), 30 s per request (2 s per health check), two
 * requests at a time and up to 100 waiting. A custom `systemPrompt` must come with its own `promptVersion`,
 * so every recorded verdict names the prompt that produced it.
 * @example
 * const options = OllamaValidatorOptionsSchema.parse({ model: 'llama3.2' });
 */
export const OllamaValidatorOptionsSchema = z
  .object({
    /** The validator's name, recorded in each validation and part of its id. */
    name: z.string().min(1).max(64).default('ollama'),
    /** The Ollama server, an http(s) URL (`file:` or `javascript:` is refused). */
    host: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).default('http://127.0.0.1:11434'),
    model: z.string().min(1).max(200),
    /** Deadline of one request, from sending to the last byte of the answer. */
    timeoutMs: z.number().int().positive().max(600_000).default(30_000),
    /** Deadline of the health check's `GET /api/tags` (`checkHealth`): short, so a stuck server shows at once. */
    healthTimeoutMs: z.number().int().positive().max(60_000).default(2_000),
    /** Requests in flight at once (an Ollama server answers a few at a time: `OLLAMA_NUM_PARALLEL`). */
    concurrency: z.number().int().min(1).max(64).default(2),
    /** Validations waiting for a slot; past it, `validate` throws `llm_unavailable` (retryable) at once. */
    queueLimit: z.number().int().min(0).max(100_000).default(100),
    temperature: z.number().min(0).max(2).default(0),
    seed: z.number().int().default(42),
    /** Most tokens the model may answer (`num_predict`); a longer answer is truncated and rejected. */
    maxAnswerTokens: z.number().int().positive().max(32_768).default(512),
    /** Context window (`num_ctx`); the server's default when absent. */
    contextTokens: z.number().int().positive().optional(),
    keepAlive: z.union([z.string().min(1), z.number()]).default('5m'),
    systemPrompt: z.string().min(1).max(20_000).optional(),
    promptVersion: z.string().min(1).max(100).optional(),
    blockingRiskFlags: z.array(RiskFlagSchema).default([...DEFAULT_BLOCKING_RISK_FLAGS]),
    /** Candles summarised in the market context (newest kept). */
    maxCandles: z.number().int().min(1).max(1000).default(50),
    /** Features included in the market context. */
    maxFeatures: z.number().int().min(0).max(200).default(16),
    /**
     * Name the product and the dates and quote prices as traded in the market context (default false: prices as an
     * index, no product, date or volume). The model cannot then recall what followed a date it knows: lookahead in
     * a backtest over days before its training cut-off. Recorded in the prompt version (`+market` when true).
     */
    revealMarket: z.boolean().default(false),
    /** Validations remembered per recommendation id, so none is sent twice (0 disables). */
    cacheSize: z.number().int().min(0).max(1_000_000).default(1000),
  })
  .strict()
  .refine((options) => options.systemPrompt === undefined || options.promptVersion !== undefined, {
    message: 'a custom systemPrompt needs its own promptVersion',
    path: ['promptVersion'],
  });

/** Options as given (defaults optional); see {@link OllamaValidatorOptionsSchema}. */
export interface OllamaValidatorOptionsInput extends z.input<typeof OllamaValidatorOptionsSchema> {}

/** Options after defaults; see {@link OllamaValidatorOptionsSchema}. */
export interface OllamaValidatorOptions extends z.output<typeof OllamaValidatorOptionsSchema> {}
