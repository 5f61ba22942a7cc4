import type { Claim, WorkKind, WorkStates } from '../store.js';
import { runClaim, type PlannedStage } from './runner.js';
import type { PipelineRuntime } from './runtime.js';

/** Claims up to `limit` items for a stage. @internal */
export function claimFor(planned: PlannedStage, runtime: PipelineRuntime, workerId: string, limit: number): Promise<Claim[]> {
  const { takes } = planned.stage;
  return runtime.options.store.claim({
    kind: takes.kind,
    state: takes.state as WorkStates[WorkKind],
    workerId: `${workerId}-${planned.stage.name}`,
    leaseMs: runtime.tuning.leaseMs,
    limit,
    ordered: takes.ordered,
  });
}

/**
 * A live stage worker: claims and runs up to `concurrency` items at once until `isStopping()`. With nothing to
 * claim it sleeps on the store's work notification, registered before the claim so that a notification
 * arriving during the claim is not missed (no polling while an event can wake it; `pollIntervalMs` only
 * bounds the wait for delayed items).
 * @internal
 */
export async function runWorkerLoop(input: {
  readonly planned: PlannedStage;
  readonly runtime: PipelineRuntime;
  readonly signal: AbortSignal;
  readonly isStopping: () => boolean;
}): Promise<void> {
  const { planned, runtime, signal } = input;
  const inFlight = new Set<Promise<void>>();
  const { concurrency, pollIntervalMs } = runtime.tuning;
  while (!input.isStopping()) {
    if (inFlight.size >= concurrency) {
      await Promise.race(inFlight);
      continue;
    }
    // A wait left behind when there was work resolves at the next notification or its timeout: harmless.
    const woken = runtime.options.store.waitForWork(planned.stage.takes.kind, { timeoutMs: pollIntervalMs, signal });
    let claims: Claim[] = [];
    try {
      claims = await claimFor(planned, runtime, runtime.options.pipelineId, concurrency - inFlight.size);
    } catch (error) {
      runtime.logger.warn('claim failed; will try again', { stage: planned.stage.name, error });
    }
    if (claims.length === 0) {
      await woken;
      continue;
    }
    for (const claim of claims) {
      const task: Promise<void> = runClaim(planned, claim, runtime, signal).finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
  }
  await Promise.all(inFlight);
}
