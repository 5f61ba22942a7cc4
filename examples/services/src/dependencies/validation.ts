import { createOllamaTradeValidator, createRuleValidator, type OllamaTradeValidator } from '@tradepipe/llm-validator';
import type { HealthReport } from '@tradepipe/core';
import { readPackageOptions } from '../package-options.js';
import type { ServiceContext, ServiceDependencies } from '../service-context.js';

/**
 * The `/health` check `ollama` of the service asking `validator`'s server: `failing` when Ollama is unreachable,
 * stuck past `OLLAMA_HEALTH_TIMEOUT_MS` or lacks the model (every validation would fail closed), `degraded` when
 * the validator's queue is full. The message starts with the reason code (`ollama_unreachable`, `model_missing`, …);
 * `value` is the check's latency in ms. No host in it.
 */
export async function ollamaHealthCheck(validator: OllamaTradeValidator, signal: AbortSignal): Promise<HealthReport['checks'][number]> {
  const health = await validator.checkHealth({ signal });
  return { name: 'ollama', status: health.status, message: health.message.slice(0, 1000), value: health.latencyMs };
}

/**
 * trade-orchestrator (8023): the `validation` stage asking Ollama (`OLLAMA_HOST`, fail-closed), with the
 * rule validator as a plugin second opinion (every validator must approve; `RULES_ENABLED=false` drops it).
 * Its `/health` checks Ollama itself ({@link ollamaHealthCheck}).
 */
export function validationDependencies(context: ServiceContext): ServiceDependencies {
  const validator = createOllamaTradeValidator(readPackageOptions('ollama', context.env, { host: context.config.ollama.host, model: context.config.ollama.model }));
  const plugins = context.settings.rulesEnabled ? [{ name: 'rules', validators: [createRuleValidator(readPackageOptions('rules', context.env))] }] : [];
  context.logger.info('validators ready', { ollamaModel: validator.options.model, promptVersion: validator.promptVersion, rules: context.settings.rulesEnabled });
  return { slots: { validator, plugins }, healthChecks: [(signal) => ollamaHealthCheck(validator, signal)] };
}
