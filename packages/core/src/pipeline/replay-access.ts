import { TradepipeError } from '../errors.js';
import type { StageContext } from '../interfaces.js';
import type { PipelineStore } from '../store.js';
import type { PipelineRuntime } from './runtime.js';
import type { FeatureEngines } from './stages/feature-engines.js';

/**
 * What the replays (`replay.ts`, `batched-replay.ts`) reach inside a pipeline beyond its public API: the
 * runtime its stages share, the signal stage's feature engines (checkpoints, precomputed vectors and predictions), a stage
 * context and its one-time preparation. A pipeline registers itself here when it is built.
 * @internal
 */
export interface ReplayAccess {
  /** The runtime the pipeline's stages share. */
  readonly runtime: PipelineRuntime;
  /** The signal stage's feature engines; `undefined` when this process does not run the signal stage. */
  readonly engines: FeatureEngines | undefined;
  /** A stage context on the pipeline's clock, logger, store and abort signal. */
  context(): StageContext;
  /** The pipeline's one-time preparation (clock check, executor start). */
  prepare(): Promise<void>;
  /** @throws TradepipeError `pipeline_invalid` while the pipeline is started or another batched replay's view stands in. */
  assertIdle(): void;
  /** Makes the stages (and stage contexts) use `store` until the returned function is called (the batched replay's view of its store); refuses as {@link ReplayAccess.assertIdle}. */
  useStore(store: PipelineStore): () => void;
}

const registry = new WeakMap<object, ReplayAccess>();

/** Registers a pipeline's internals for the replays. @internal */
export function registerReplayAccess(pipeline: object, access: ReplayAccess): void {
  registry.set(pipeline, access);
}

/**
 * The internals of a pipeline built by `createPipeline`.
 * @throws TradepipeError `pipeline_invalid` for an object that is not such a pipeline
 * @internal
 */
export function replayAccessOf(pipeline: object): ReplayAccess {
  const access = registry.get(pipeline);
  if (access === undefined) throw new TradepipeError('pipeline_invalid', 'Replays need a pipeline built by createPipeline');
  return access;
}

/** Saves every feature engine's state now (the end of a replay), whatever the cadence. @internal */
export async function checkpointFeatures(pipeline: object): Promise<void> {
  const access = replayAccessOf(pipeline);
  await access.engines?.checkpointAll(access.context().store, access.runtime.clock.nowMs());
}
