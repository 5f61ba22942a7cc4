import type { Claim, WorkKind, WorkStates } from '../store.js';
import { runClaim, type PlannedStage } from './runner.js';
import type { PipelineRuntime } from './runtime.js';

/** Claims up to `limit` items for a stage. @internal */
export function claimFor(planned: PlannedStage, runtime: PipelineRuntime, workerId: string, limit: number): Promise<Claim[]> {
  return claimAs(planned, runtime, `${workerId}-${planned.stage.name}`, limit);
}

/** Claims up to `limit` items for a stage as the stage's worker `stageWorkerId`. */
function claimAs(planned: PlannedStage, runtime: PipelineRuntime, stageWorkerId: string, limit: number): Promise<Claim[]> {
  const { takes } = planned.stage;
  return runtime.options.store.claim({
    kind: takes.kind,
    state: takes.state as WorkStates[WorkKind],
    workerId: stageWorkerId,
    leaseMs: runtime.tuning.leaseMs,
    limit,
    ordered: takes.ordered,
  });
}

/**
 * A live stage worker: claims and runs up to `concurrency` items at once until `isStopping()`. When a claim
 * brings fewer items than it asked for, nothing more is claimable now, so it sleeps on the store's work
 * notification instead of claiming again; the wait is registered before the claim, so a notification arriving
 * during the claim is not missed (no polling while an event can wake it; `pollIntervalMs` only bounds the wait
 * for delayed items and expired leases). An unordered stage waits for work in its own state, so work moving to
 * another stage of the same kind does not send it to claim; an ordered stage waits for any work of its kind
 * (an item of its partition leaving any state may unblock it). At most one wait per worker is outstanding.
 * @internal
 */
export async function runWorkerLoop(input: {
  readonly planned: PlannedStage;
  readonly runtime: PipelineRuntime;
  readonly signal: AbortSignal;
  /** Aborted when stopping begins: ends the worker's wait for work at once (in-flight items go on under `signal`). */
  readonly stopSignal: AbortSignal;
  readonly isStopping: () => boolean;
}): Promise<void> {
  const { planned, runtime, signal } = input;
  const { concurrency, pollIntervalMs } = runtime.tuning;
  const { takes } = planned.stage;
  const workerId = `${runtime.options.pipelineId}-${planned.stage.name}`;
  const waitOptions = { timeoutMs: pollIntervalMs, signal: input.stopSignal, ...(takes.ordered ? {} : { state: takes.state }) };
  // The items in hand: a count, and the loop's wait for one to end (no promise per item).
  let inFlight = 0;
  let escaped: { readonly error: unknown } | undefined;
  let slotFreed: (() => void) | undefined;
  const onItemDone = (itemEscaped: { readonly error: unknown } | undefined): void => {
    inFlight -= 1;
    escaped ??= itemEscaped;
    const wake = slotFreed;
    slotFreed = undefined;
    wake?.();
  };
  const itemDone = (): Promise<void> => new Promise<void>((resolve) => (slotFreed = resolve));
  // The outstanding wait: registered before the last claim and not yet woken, it still covers the next claim.
  // Awaited, it is known settled; left unawaited (a full claim), one fulfilment handler marks it settled.
  let wait: { readonly woken: Promise<void>; settled: boolean; watched: boolean } | undefined;
  const armedWait = (): Promise<void> => {
    if (wait === undefined || wait.settled) wait = { woken: runtime.options.store.waitForWork(takes.kind, waitOptions), settled: false, watched: false };
    return wait.woken;
  };
  const watchWait = (): void => {
    const armed = wait;
    if (armed === undefined || armed.watched) return;
    armed.watched = true;
    // A store's wait never rejects.
    void armed.woken.then(() => {
      armed.settled = true;
    });
  };
  while (!input.isStopping()) {
    if (escaped !== undefined) throw escaped.error;
    if (inFlight >= concurrency) {
      await itemDone();
      continue;
    }
    const woken = armedWait();
    const limit = concurrency - inFlight;
    let claims: Claim[] = [];
    try {
      claims = await claimAs(planned, runtime, workerId, limit);
    } catch (error) {
      runtime.logger.warn('claim failed; will try again', { stage: planned.stage.name, error });
    }
    for (const claim of claims) {
      inFlight += 1;
      void runClaim(planned, claim, runtime, signal, onItemDone);
    }
    if (claims.length < limit) {
      await woken;
      wait = undefined; // settled: the next claim needs a new one
    } else {
      watchWait();
    }
  }
  while (inFlight > 0) await itemDone();
  if (escaped !== undefined) throw escaped.error;
}
