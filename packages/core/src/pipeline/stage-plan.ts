import { TradepipeError } from '../errors.js';
import type { PipelineOptions } from './options.js';
import { composeStageRun, type PipelinePlugin, type PluginStage } from './plugins.js';
import type { PlannedStage } from './runner.js';
import type { AnyPipelineStage } from './stage.js';
import { BUILT_IN_STAGES } from './stages/index.js';

/** States each kind's items end in: a plugin stage's failures must go to one of them. */
const TERMINAL_STATES: Readonly<Record<string, readonly string[]>> = {
  candle: ['DONE', 'DEAD_LETTER'],
  signal: ['DONE', 'DEAD_LETTER'],
  recommendation: ['EXECUTED', 'REJECTED', 'EXPIRED', 'FAILED', 'DEAD_LETTER'],
};

/** States the built-in stages and records use: a plugin stage takes a state of its own. */
const RESERVED_STATES: Readonly<Record<string, readonly string[]>> = {
  candle: ['PENDING', 'DONE', 'DEAD_LETTER', 'DISCARDED'],
  signal: ['PENDING', 'DONE', 'DEAD_LETTER', 'DISCARDED'],
  recommendation: ['PENDING_VALIDATION', 'PENDING_RISK', 'PENDING_EXECUTION', 'SUBMITTED', ...TERMINAL_STATES.recommendation!, 'DISCARDED'],
};

function invalid(message: string, details: Record<string, string>): TradepipeError {
  return new TradepipeError('pipeline_invalid', message, { details });
}

/**
 * Checks the plugins against the documented rules, when the pipeline is built: plugin names unique, validator
 * names unique, wrappers naming a stage that exists, plugin stages uniquely named, slotted in after a stage of
 * their kind that passes items on, one stage per state (no built-in state), failures ending in a terminal
 * state, one stage slotted in after any stage.
 * @throws TradepipeError `pipeline_invalid`
 * @internal
 */
export function checkPlugins(options: PipelineOptions): void {
  const plugins = options.plugins ?? [];
  unique(plugins.map((plugin) => plugin.name), 'plugin');
  const validators = [...(options.validator === undefined ? [] : [options.validator]), ...plugins.flatMap((plugin) => plugin.validators ?? [])];
  unique(validators.map((validator) => validator.name), 'validator');
  const pluginStages = plugins.flatMap((plugin) => plugin.stages ?? []);
  const names = [...BUILT_IN_STAGES.map((stage) => stage.name), ...pluginStages.map((stage) => stage.name)];
  unique(names, 'stage');
  for (const stage of pluginStages) checkPluginStage(stage, pluginStages);
  unique(pluginStages.map((stage) => stage.after), 'slot after stage');
  for (const wrapper of plugins.flatMap((plugin) => plugin.wrappers ?? [])) {
    if (wrapper.stage !== '*' && !names.includes(wrapper.stage)) throw invalid(`A wrapper names the unknown stage "${wrapper.stage}"`, { stage: wrapper.stage });
  }
}

function unique(names: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (name.trim() === '') throw invalid(`A ${what} has an empty name`, { what });
    if (seen.has(name)) throw invalid(`Two of the pipeline's ${what}s share the name "${name}"`, { what, name });
    seen.add(name);
  }
}

function checkPluginStage(stage: PluginStage, all: readonly PluginStage[]): void {
  const details = { stage: stage.name, after: stage.after, state: stage.takes.state };
  let root: PluginStage | undefined = stage;
  for (let hops = 0; root !== undefined && hops <= all.length; hops += 1) root = all.find((candidate) => candidate.name === root!.after);
  if (root !== undefined) throw invalid(`Plugin stage "${stage.name}" is never reached: its chain of stages to follow is a loop`, details);
  const builtIn = BUILT_IN_STAGES.find((candidate) => candidate.name === stage.after);
  const plugin = all.find((candidate) => candidate.name === stage.after);
  if (builtIn === undefined && plugin === undefined) throw invalid(`Plugin stage "${stage.name}" follows the unknown stage "${stage.after}"`, details);
  if (builtIn !== undefined && builtIn.passesTo === undefined) throw invalid(`Stage "${stage.after}" passes nothing on: no stage can follow it`, details);
  const kind = builtIn?.kind ?? plugin!.takes.kind;
  if (stage.takes.kind !== kind) throw invalid(`Plugin stage "${stage.name}" takes ${stage.takes.kind} items but follows a ${kind} stage`, details);
  if (RESERVED_STATES[kind]!.includes(stage.takes.state)) throw invalid(`Plugin stage "${stage.name}" needs a state of its own, not "${stage.takes.state}"`, details);
  if (all.some((other) => other !== stage && other.takes.kind === kind && other.takes.state === stage.takes.state)) {
    throw invalid(`Two stages take ${kind} items in state "${stage.takes.state}"`, details);
  }
  for (const end of [stage.onRetriesExhausted, stage.onPermanentFailure]) {
    if (!TERMINAL_STATES[kind]!.includes(end)) throw invalid(`Plugin stage "${stage.name}" must end failed items in a terminal state, not "${end}"`, details);
  }
}

/**
 * The stages this process runs, in path order with plugin stages right after the stage they follow, each
 * with its wrapped `run` and where its `pass` goes. A plugin stage runs where the stage it follows runs.
 * @internal
 */
export function planStages(running: readonly AnyPipelineStage[], plugins: readonly PipelinePlugin[]): PlannedStage[] {
  const pluginStages = plugins.flatMap((plugin) => plugin.stages ?? []);
  const passesTo = new Map<string, string | undefined>(BUILT_IN_STAGES.map((stage) => [stage.name, stage.passesTo]));
  const ordered: AnyPipelineStage[] = [];
  const visit = (stage: AnyPipelineStage): void => {
    ordered.push(stage);
    const follower = pluginStages.find((candidate) => candidate.after === stage.name);
    if (follower === undefined) return;
    passesTo.set(follower.name, passesTo.get(stage.name));
    passesTo.set(stage.name, follower.takes.state);
    visit(follower as unknown as AnyPipelineStage);
  };
  for (const stage of running) visit(stage);
  const wrappers = plugins.flatMap((plugin) => plugin.wrappers ?? []);
  return ordered.map((stage) => ({ stage, run: composeStageRun(stage, wrappers), passesTo: passesTo.get(stage.name) }));
}
