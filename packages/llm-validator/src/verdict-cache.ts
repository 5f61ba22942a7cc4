import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LlmValidationSchema, TradepipeError, contentHash, parseWith, recordId } from '@tradepipe/core';
import type { LlmValidation, StageContext, TradeValidator, ValidationInput } from '@tradepipe/core';
import type { OllamaTradeValidator } from './ollama-validator.js';

/** Failures that come from the model's answer itself: asking again with the same prompt answers the same. */
const DETERMINISTIC_FAILURES = new Set(['invalid_json', 'schema_mismatch', 'truncated', 'contradiction']);

/** What a cache file holds: the key's parts, for people reading the directory, and the verdict. */
const CacheEntrySchema = z.object({
  model: z.string(),
  promptVersion: z.string(),
  inputDigest: z.string(),
  verdict: LlmValidationSchema.omit({ id: true, recommendationId: true, validator: true, validatedAtMs: true }),
});

/** Options of {@link withVerdictCache}. */
export interface VerdictCacheOptions {
  /** Directory of the cache (created if missing): one JSON file per verdict. */
  readonly directory: string;
}

/** A validator whose verdicts come from the cache when it has them. */
export interface CachedTradeValidator extends TradeValidator {
  /** Verdicts served from the cache and verdicts asked of the model, since creation. */
  stats(): { readonly hits: number; readonly misses: number };
}

/** The cache key of one verdict: model, prompt version and the digest of the request's input. */
function keyOf(validator: OllamaTradeValidator, input: ValidationInput): { readonly model: string; readonly promptVersion: string; readonly inputDigest: string; readonly file: string } {
  const model = validator.options.model;
  const promptVersion = validator.promptVersion;
  const inputDigest = contentHash(validator.chatRequest(input));
  return { model, promptVersion, inputDigest, file: `${contentHash({ model, promptVersion, inputDigest })}.json` };
}

async function readEntry(path: string): Promise<z.output<typeof CacheEntrySchema> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TradepipeError('storage_failed', 'The verdict cache could not be read', { cause: error });
  }
  try {
    return parseWith(CacheEntrySchema, JSON.parse(text), 'verdict cache entry');
  } catch (error) {
    throw new TradepipeError('validation_failed', 'A verdict cache file is not a cached verdict: delete it to ask again', { cause: error, details: { file: path } });
  }
}

/**
 * Caches an Ollama validator's verdicts on disk, keyed by model, prompt version and a digest of the request
 * (the market context, signal and recommendation the prompt carries), so a backtest re-run with a real Ollama
 * gives identical verdicts and makes no LLM call. Only answers of the model are kept (and failures its answer
 * caused: invalid JSON, schema mismatch, truncation, contradiction); transient failures, expiries and a missing
 * model are asked again next time. Files are written whole (temporary file, then rename). For backtests: a live
 * pipeline should ask the model each time.
 * @returns a validator with the wrapped one's name
 * @throws TradepipeError from `validate`: `storage_failed` when the cache cannot be read or written,
 * `validation_failed` for a corrupt cache file, or what the wrapped validator throws
 * @example
 * const validator = withVerdictCache(createOllamaTradeValidator({ model: 'llama3.2' }), { directory: '.tradepipe/verdicts' });
 */
export function withVerdictCache(validator: OllamaTradeValidator, options: VerdictCacheOptions): CachedTradeValidator {
  let hits = 0;
  let misses = 0;
  let directoryReady: Promise<unknown> | undefined;
  return {
    name: validator.name,
    stats: () => ({ hits, misses }),
    async validate(input: ValidationInput, context: StageContext): Promise<LlmValidation> {
      // An expired recommendation is the wrapped validator's to refuse, whatever the cache holds.
      if (input.recommendation.expiresAtMs <= context.clock.nowMs()) return validator.validate(input, context);
      const key = keyOf(validator, input);
      const path = join(options.directory, key.file);
      const cached = await readEntry(path);
      if (cached !== undefined) {
        hits += 1;
        return { ...cached.verdict, id: recordId('validation', [input.recommendation.id, validator.name]), recommendationId: input.recommendation.id, validator: validator.name, validatedAtMs: context.clock.nowMs() };
      }
      misses += 1;
      const verdict = await validator.validate(input, context);
      if (verdict.failure !== undefined && !DETERMINISTIC_FAILURES.has(verdict.failure.kind)) return verdict;
      const { id: _id, recommendationId: _recommendationId, validator: _validator, validatedAtMs: _validatedAtMs, ...kept } = verdict;
      try {
        directoryReady ??= mkdir(options.directory, { recursive: true });
        await directoryReady;
        const temporary = `${path}.${process.pid}.tmp`;
        await writeFile(temporary, `${JSON.stringify({ model: key.model, promptVersion: key.promptVersion, inputDigest: key.inputDigest, verdict: kept }, null, 2)}\n`);
        await rename(temporary, path);
      } catch (error) {
        throw new TradepipeError('storage_failed', 'The verdict cache could not be written', { cause: error, details: { directory: options.directory } });
      }
      return verdict;
    },
  };
}
