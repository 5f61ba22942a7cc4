import type { Claim, WorkKind, WorkStates } from '../store.js';
import type { HandOns } from './hand-on.js';
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

/** A wait for work, registered before a claim; it still covers later claims until it is woken. */
interface ArmedWait {
  readonly woken: Promise<void>;
  /** Known woken (set by its one fulfilment handler, which runs before any await of it resumes). */
  settled: boolean;
}

/**
 * A live stage worker: claims and runs up to `concurrency` items at once until `isStopping()`. When a claim
 * brings fewer items than it asked for, nothing more is claimable now, so it sleeps on the store's work
 * notification instead of claiming again; the wait is registered before the claim, so a notification arriving
 * during the claim is not missed (no polling while an event can wake it; `pollIntervalMs` only bounds the wait
 * for delayed items and expired leases). A stage waits for work arriving in its own state. An ordered stage
 * also waits for any change of its kind (an item of its partition leaving any state may unblock it) unless its
 * last claim took everything there was in its state while it held nothing else (the store says so with
 * `moreWaiting: false`): then only new work in its state can give it more, and its own items finishing do not
 * send it to claim in vain. At most two waits per worker are outstanding (its state's, and any change's).
 * @internal
 */
export async function runWorkerLoop(input: {
  readonly planned: PlannedStage;
  readonly runtime: PipelineRuntime;
  readonly signal: AbortSignal;
  /** Aborted when stopping begins: ends the worker's wait for work at once (in-flight items go on under `signal`). */
  readonly stopSignal: AbortSignal;
  readonly isStopping: () => boolean;
  /**
   * The started pipeline's hand-ons: an unordered stage's loop receives items the stage before completes into
   * its state (claimed for it in the completion), and its items hand theirs on in turn.
   */
  readonly handOns?: HandOns;
}): Promise<void> {
  const { planned, runtime, signal } = input;
  const { concurrency, pollIntervalMs } = runtime.tuning;
  const { takes } = planned.stage;
  const workerId = `${runtime.options.pipelineId}-${planned.stage.name}`;
  const stateWaitOptions = { timeoutMs: pollIntervalMs, signal: input.stopSignal, state: takes.state };
  const anyWaitOptions = { timeoutMs: pollIntervalMs, signal: input.stopSignal };
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
  const { handOns } = input;
  // While the loop claims, no hand-on takes a slot: the claim's limit counted the free ones.
  let claiming = false;
  const unregister = takes.ordered || handOns === undefined
    ? undefined
    : handOns.register(takes.kind, takes.state, {
        workerId,
        reserve: () => {
          if (claiming || inFlight >= concurrency || input.isStopping()) return false;
          inFlight += 1;
          return true;
        },
        // Stopping began while the completion ran: the item is given back (claimable at the next start), not run.
        run: (claim) => {
          if (!input.isStopping()) return void runClaim(planned, claim, runtime, signal, onItemDone, handOns);
          void runtime.options.store
            .release(claim)
            .catch((error: unknown) => runtime.logger.warn('could not give back an item handed on while stopping; its lease will expire', { stage: planned.stage.name, error }))
            .finally(() => onItemDone(undefined));
        },
        unreserve: () => onItemDone(undefined),
      });
  // The outstanding waits: registered before a claim and not yet woken, each still covers the next claim. Each
  // gets one fulfilment handler when made, marking it settled (one per wait, not per item): a wait woken together
  // with the one awaited is then known settled before the next turn, and not reused for a claim in vain.
  let stateWait: ArmedWait | undefined;
  let anyWait: ArmedWait | undefined;
  const armed = (current: ArmedWait | undefined, options: { readonly timeoutMs: number; readonly signal: AbortSignal; readonly state?: string }): ArmedWait => {
    if (current !== undefined && !current.settled) return current;
    const wait: ArmedWait = { woken: runtime.options.store.waitForWork(takes.kind, options), settled: false };
    // A store's wait never rejects.
    void wait.woken.then(() => {
      wait.settled = true;
    });
    return wait;
  };
  try {
    while (!input.isStopping()) {
      if (escaped !== undefined) throw escaped.error;
      if (inFlight >= concurrency) {
        await itemDone();
        continue;
      }
      const heldBefore = inFlight > 0;
      stateWait = armed(stateWait, stateWaitOptions);
      if (takes.ordered) anyWait = armed(anyWait, anyWaitOptions);
      const limit = concurrency - inFlight;
      let claims: Claim[] = [];
      claiming = true;
      try {
        claims = await claimAs(planned, runtime, workerId, limit);
      } catch (error) {
        runtime.logger.warn('claim failed; will try again', { stage: planned.stage.name, error });
      } finally {
        claiming = false;
      }
      for (const claim of claims) {
        inFlight += 1;
        void runClaim(planned, claim, runtime, signal, onItemDone, handOns);
      }
      if (claims.length >= limit) continue;
      const tookEverything = !heldBefore && claims.length > 0 && claims.every((claim) => claim.moreWaiting === false);
      const awaited = anyWait === undefined || tookEverything ? stateWait : anyWait;
      await awaited.woken;
    }
  } finally {
    unregister?.();
  }
  while (inFlight > 0) await itemDone();
  if (escaped !== undefined) throw escaped.error;
}
