import { TradepipeError, isTradepipeError, parseWith, recordId } from '@tradepipe/core';
import type { LlmValidation, StageContext, TradeRecommendation, TradeValidator, ValidationInput } from '@tradepipe/core';
import { exchangeChat } from './exchange.js';
import type { ChatRequestBody, ExchangeOutcome } from './exchange.js';
import { clipRawResponse, failClosedValidation } from './fail-closed.js';
import type { FailClosedDetails } from '@tradepipe/core';
import { checkOllamaHealth } from './health.js';
import type { OllamaHealth } from './health.js';
import { interpretChatAnswer } from './interpret.js';
import { createConcurrencyLimiter } from './limiter.js';
import type { ConcurrencyLimiter } from './limiter.js';
import { buildMarketContext } from './market-context.js';
import { OllamaValidatorOptionsSchema } from './options.js';
import type { OllamaValidatorOptions, OllamaValidatorOptionsInput } from './options.js';
import { DEFAULT_SYSTEM_PROMPT, SYSTEM_PROMPT_VERSION, buildChatMessages } from './prompt.js';
import { verdictJsonSchema } from './verdict.js';

/** What the validator takes besides its options: injection points for tests and proxies. */
export interface OllamaValidatorDependencies {
  /** The fetch the `ollama` client uses (default: the global fetch). */
  readonly fetch?: typeof fetch;
}

const RETRYABLE_STATUSES = new Set([408, 429, 499]);

function unavailable(message: string, details: Record<string, string | number | boolean>, cause?: unknown): TradepipeError {
  return new TradepipeError('llm_unavailable', message, { details, ...(cause === undefined ? {} : { cause }) });
}

/**
 * A {@link TradeValidator} that asks a local Ollama server for an APPROVE/REJECT through `/api/chat` with
 * a structured-output `format`, temperature 0 and a fixed seed. Fail-closed: a transient failure
 * (refused, timed out, HTTP 5xx, queue full) throws `llm_unavailable` (retryable); a permanent one
 * (model not found, invalid JSON, schema mismatch, truncated, contradiction, expired) is returned as a
 * REJECT with `failure` set. Nothing else leaves `validate`, and nothing approves by default.
 * Requests run at most `concurrency` at a time with a bounded queue; a recommendation is sent once
 * (finished validations are cached by recommendation id, concurrent calls share one request).
 * @example
 * const validator = new OllamaTradeValidator({ model: 'llama3.2' });
 * const validation = await validator.validate(input, context);
 */
export class OllamaTradeValidator implements TradeValidator {
  /**
   * The validator's name from the options (default `ollama`): recorded as `validator` on every verdict; unique within a
   * pipeline.
   */
  readonly name: string;
  /** The options after defaults. */
  readonly options: OllamaValidatorOptions;
  /** The version recorded with each verdict: {@link SYSTEM_PROMPT_VERSION} or the override's. */
  readonly promptVersion: string;
  private readonly systemPrompt: string;
  private readonly fetchImpl: typeof fetch;
  private readonly limiter: ConcurrencyLimiter;
  private readonly cache = new Map<string, LlmValidation>();
  private readonly inFlight = new Map<string, Promise<LlmValidation>>();

  /**
   * @param options see {@link OllamaValidatorOptionsSchema}
   * @throws TradepipeError `validation_failed` if the options do not parse.
   */
  constructor(options: OllamaValidatorOptionsInput, dependencies: OllamaValidatorDependencies = {}) {
    this.options = parseWith(OllamaValidatorOptionsSchema, options, 'Ollama validator options');
    this.name = this.options.name;
    this.systemPrompt = this.options.systemPrompt ?? DEFAULT_SYSTEM_PROMPT;
    // The context's format is part of the version: a revealed market reads otherwise than an index.
    this.promptVersion = this.options.promptVersion ?? (this.options.revealMarket ? `${SYSTEM_PROMPT_VERSION}+market` : SYSTEM_PROMPT_VERSION);
    this.fetchImpl = dependencies.fetch ?? fetch;
    this.limiter = createConcurrencyLimiter({ concurrency: this.options.concurrency, queueLimit: this.options.queueLimit });
  }

  /**
   * Validates one recommendation.
   * @returns the recorded validation: the model's verdict, or a fail-closed REJECT naming the failure
   * @throws TradepipeError `llm_unavailable` (retryable) when Ollama is unreachable, times out, answers
   * 5xx/429, the queue is full, or `context.signal` aborts.
   */
  async validate(input: ValidationInput, context: StageContext): Promise<LlmValidation> {
    const { recommendation } = input;
    try {
      if (context.signal.aborted) throw unavailable('Validation aborted', { aborted: true });
      const nowMs = context.clock.nowMs();
      const cached = this.cache.get(recommendation.id);
      if (cached !== undefined) return cached;
      if (recommendation.expiresAtMs <= nowMs) return this.remember(this.expired(recommendation, nowMs, 'before validation'));
      const pending = this.inFlight.get(recommendation.id);
      if (pending !== undefined) return await pending;
      const promise = this.limiter.run(() => this.ask(input, context), context.signal);
      this.inFlight.set(recommendation.id, promise);
      try {
        return this.remember(await promise);
      } finally {
        this.inFlight.delete(recommendation.id);
      }
    } catch (error) {
      if (isTradepipeError(error, 'llm_unavailable')) throw error;
      const message = error instanceof Error ? error.message : 'unexpected failure';
      context.logger.error('llm validator failed unexpectedly', { recommendationId: recommendation.id, error });
      return failClosedValidation(recommendation, this.name, 'validator_error', message, context.clock.nowMs(), this.baseDetails());
    }
  }

  /**
   * Checks the Ollama server this validator asks (one `GET /api/tags` under `healthTimeoutMs`, through the
   * validator's fetch): `failing` with `ollama_unreachable`, `ollama_timeout`, `ollama_http_error`,
   * `ollama_bad_response` or `model_missing` when validations would fail closed; `degraded` with `queue_full`
   * when the server is fine but the validator's queue is full. Never throws; names no host.
   * @param options `signal` ends the check early (reported as `ollama_timeout`)
   * @example
   * const health = await validator.checkHealth();
   * if (health.status !== 'ok') logger.warn('ollama', { reason: health.reason });
   */
  async checkHealth(options: { readonly signal?: AbortSignal } = {}): Promise<OllamaHealth> {
    const health = await checkOllamaHealth({
      host: this.options.host,
      model: this.options.model,
      timeoutMs: this.options.healthTimeoutMs,
      fetch: this.fetchImpl,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const { queued } = this.limiter.stats();
    if (health.status !== 'ok' || this.options.queueLimit === 0 || queued < this.options.queueLimit) return health;
    return { ...health, status: 'degraded', reason: 'queue_full', message: `queue_full: ${queued} validations wait (queueLimit ${this.options.queueLimit})` };
  }

  /** Validations waiting and running now. */
  queueStats(): { readonly active: number; readonly queued: number } {
    return this.limiter.stats();
  }

  private remember(record: LlmValidation): LlmValidation {
    if (this.options.cacheSize === 0) return record;
    this.cache.delete(record.recommendationId);
    this.cache.set(record.recommendationId, record);
    if (this.cache.size > this.options.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return record;
  }

  private baseDetails(): FailClosedDetails {
    return { model: this.options.model, promptVersion: this.promptVersion };
  }

  private expired(recommendation: TradeRecommendation, nowMs: number, when: string, details: FailClosedDetails = {}): LlmValidation {
    const message = `the recommendation expired ${when} (expiresAtMs ${recommendation.expiresAtMs}, now ${nowMs})`;
    return failClosedValidation(recommendation, this.name, 'expired', message, nowMs, { ...this.baseDetails(), ...details });
  }

  /**
   * The `/api/chat` request this validator sends for `input` (model, messages with the market context,
   * format, options): what a verdict depends on, e.g. to key a cache of verdicts.
   */
  chatRequest(input: ValidationInput): ChatRequestBody {
    const context = buildMarketContext({
      recommendation: input.recommendation,
      signal: input.signal,
      recentCandles: input.recentCandles,
      featureNames: input.featureNames,
      maxCandles: this.options.maxCandles,
      maxFeatures: this.options.maxFeatures,
      revealMarket: this.options.revealMarket,
    });
    return {
      model: this.options.model,
      messages: buildChatMessages(context, this.systemPrompt),
      stream: false,
      format: verdictJsonSchema(),
      options: {
        temperature: this.options.temperature,
        seed: this.options.seed,
        num_predict: this.options.maxAnswerTokens,
        ...(this.options.contextTokens === undefined ? {} : { num_ctx: this.options.contextTokens }),
      },
      keep_alive: this.options.keepAlive,
    };
  }

  private async ask(input: ValidationInput, context: StageContext): Promise<LlmValidation> {
    const { recommendation } = input;
    const startedAtMs = context.clock.nowMs();
    if (recommendation.expiresAtMs <= startedAtMs) return this.expired(recommendation, startedAtMs, 'while queued');
    const request = this.chatRequest(input);
    const timeoutSignal = AbortSignal.timeout(this.options.timeoutMs);
    const expiry = new AbortController();
    const stopExpiryTimer = new AbortController();
    context.clock.sleep(recommendation.expiresAtMs - startedAtMs, stopExpiryTimer.signal).then(
      () => expiry.abort(),
      () => undefined,
    );
    let outcome: ExchangeOutcome;
    try {
      const signal = AbortSignal.any([context.signal, timeoutSignal, expiry.signal]);
      outcome = await exchangeChat({ host: this.options.host, request, signal, fetch: this.fetchImpl });
    } finally {
      stopExpiryTimer.abort();
    }
    const finishedAtMs = context.clock.nowMs();
    const details: FailClosedDetails = { ...this.baseDetails(), latencyMs: finishedAtMs - startedAtMs, ...('raw' in outcome ? { rawResponse: outcome.raw } : {}) };
    if (expiry.signal.aborted || recommendation.expiresAtMs <= finishedAtMs) {
      return this.expired(recommendation, finishedAtMs, 'while it was being validated', details);
    }
    const record = this.judge(recommendation, outcome, { timeoutSignal, callerSignal: context.signal }, details, finishedAtMs);
    context.logger.debug('llm validation finished', {
      recommendationId: recommendation.id,
      decision: record.decision,
      failureKind: record.failure?.kind,
      latencyMs: record.latencyMs,
    });
    return record;
  }

  private judge(
    recommendation: TradeRecommendation,
    outcome: ExchangeOutcome,
    signals: { readonly timeoutSignal: AbortSignal; readonly callerSignal: AbortSignal },
    details: FailClosedDetails,
    nowMs: number,
  ): LlmValidation {
    const reject = (kind: Parameters<typeof failClosedValidation>[2], message: string, extra: FailClosedDetails = {}): LlmValidation =>
      failClosedValidation(recommendation, this.name, kind, message, nowMs, { ...details, ...extra });
    switch (outcome.kind) {
      case 'transport':
        if (signals.callerSignal.aborted) throw unavailable('Validation aborted', { aborted: true });
        if (signals.timeoutSignal.aborted) throw unavailable('Ollama did not answer in time', { timeoutMs: this.options.timeoutMs });
        throw unavailable('Ollama is unreachable', { model: this.options.model }, outcome.error);
      case 'http_error':
        if (outcome.status === 404 && /not found/i.test(outcome.message)) {
          return reject('model_not_found', `model ${this.options.model} not found on the Ollama server: ${outcome.message}`);
        }
        if (outcome.status >= 500 || RETRYABLE_STATUSES.has(outcome.status)) {
          throw unavailable(`Ollama answered HTTP ${outcome.status}`, { status: outcome.status });
        }
        return reject('validator_error', `Ollama refused the request with HTTP ${outcome.status}: ${outcome.message || 'no error text'}`);
      case 'too_large':
        if (outcome.status >= 500 || RETRYABLE_STATUSES.has(outcome.status)) {
          throw unavailable(`Ollama answered HTTP ${outcome.status}`, { status: outcome.status });
        }
        return reject('validator_error', `the response body (HTTP ${outcome.status}) is longer than ${outcome.limitBytes} bytes; it was not read further`);
      case 'not_json':
        return reject('invalid_json', 'the response body is not JSON');
      case 'answer':
        return this.recordAnswer(recommendation, outcome, details, nowMs);
    }
  }

  private recordAnswer(recommendation: TradeRecommendation, answer: { readonly body: unknown; readonly raw: string }, details: FailClosedDetails, nowMs: number): LlmValidation {
    const interpretation = interpretChatAnswer(answer.body, this.options.blockingRiskFlags, answer.raw);
    if (interpretation.kind === 'failure') {
      const verdict = interpretation.verdict;
      return failClosedValidation(recommendation, this.name, interpretation.failureKind, interpretation.message, nowMs, {
        ...details,
        ...interpretation.tokens,
        ...(verdict === undefined ? {} : { confidence: verdict.confidence, riskFlags: verdict.riskFlags, extraReasons: verdict.reasons }),
      });
    }
    const { verdict, tokens } = interpretation;
    return {
      id: recordId('validation', [recommendation.id, this.name]),
      recommendationId: recommendation.id,
      validator: this.name,
      decision: verdict.decision,
      reasons: [...verdict.reasons],
      confidence: verdict.confidence,
      riskFlags: [...verdict.riskFlags],
      model: this.options.model,
      promptVersion: this.promptVersion,
      ...(details.rawResponse === undefined ? {} : { rawResponse: clipRawResponse(details.rawResponse) }),
      ...tokens,
      ...(details.latencyMs === undefined ? {} : { latencyMs: Math.max(0, details.latencyMs) }),
      validatedAtMs: nowMs,
    };
  }
}

/**
 * Creates an {@link OllamaTradeValidator}.
 * @param options see {@link OllamaValidatorOptionsSchema}
 * @returns the validator
 * @throws TradepipeError `validation_failed` if the options do not parse.
 * @example
 * const validator = createOllamaTradeValidator({ host: 'http://127.0.0.1:11434', model: 'llama3.2', concurrency: 2 });
 */
export function createOllamaTradeValidator(options: OllamaValidatorOptionsInput, dependencies: OllamaValidatorDependencies = {}): OllamaTradeValidator {
  return new OllamaTradeValidator(options, dependencies);
}
