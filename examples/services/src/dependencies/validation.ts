import { createOllamaTradeValidator, createRuleValidator } from '@tradepipe/llm-validator';
import { readPackageOptions } from '../package-options.js';
import type { ServiceContext, ServiceDependencies } from '../service-context.js';

/**
 * trade-orchestrator (8023): the `validation` stage asking Ollama (`OLLAMA_HOST`, fail-closed), with the
 * rule validator as a plugin second opinion (every validator must approve; `RULES_ENABLED=false` drops it).
 */
export function validationDependencies(context: ServiceContext): ServiceDependencies {
  const validator = createOllamaTradeValidator(readPackageOptions('ollama', context.env, { host: context.config.ollama.host, model: context.config.ollama.model }));
  const plugins = context.settings.rulesEnabled ? [{ name: 'rules', validators: [createRuleValidator(readPackageOptions('rules', context.env))] }] : [];
  context.logger.info('validators ready', { ollamaModel: validator.options.model, promptVersion: validator.promptVersion, rules: context.settings.rulesEnabled });
  return { slots: { validator, plugins } };
}
