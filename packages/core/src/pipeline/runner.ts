import { TradepipeError, toTradepipeError } from '../errors.js';
import type { StageContext } from '../interfaces.js';
import type { Logger } from '../logger.js';
import { TERMINAL_RECOMMENDATION_STATES, type TradeRecommendation } from '../records/trading.js';
import type { Claim, Completion, HandOnRequest, PipelineStore, WorkKind, WorkStates } from '../store.js';
import type { Clock } from '../time.js';
import type { HandOnReceiver, HandOns } from './hand-on.js';
import { childAbortController, holdLease, type ChildAbortController, type HeldLease } from './lease.js';
import { backoffMs, type PipelineRuntime } from './runtime.js';
import { StageFailure, type AnyPipelineStage, type StageEvent, type StageResult, type StageRunContext } from './stage.js';

/** A stage as this pipeline runs it: its declaration, its `run` wrapped by plugins, where its `pass` goes. @internal */
export interface PlannedStage {
  /** The declaration. */
  readonly stage: AnyPipelineStage;
  /** Its `run`, wrapped by the plugins' middleware. */
  readonly run: (input: unknown, context: StageRunContext<unknown>) => Promise<StageResult>;
  /** Where a `pass` result moves the item in this pipeline. */
  readonly passesTo: string | undefined;
}

/**
 * Runs one claimed item through its stage — the one runner of every stage: keeps the lease (lease loss aborts
 * the work), loads the input once, runs the (wrapped) stage, persists its result atomically, emits its events
 * after the persist, and on a failure lets the stage recover or applies the retry, dead-letter and fail-closed
 * rules.
 * @param done called once the item is settled, with what escaped the failure handling if anything did (a bug:
 *   then the promise rejects only when `done` is not given): lets a worker loop track its items without a
 *   promise per item
 * @param handOns a started pipeline's receivers: a completion into a state a running unordered stage takes
 *   claims the item for that stage's worker in the same store call (when the store can), which runs it at once
 * @internal
 */
export async function runClaim(
  planned: PlannedStage,
  claim: Claim,
  runtime: PipelineRuntime,
  pipelineSignal: AbortSignal,
  done?: (escaped: { readonly error: unknown } | undefined) => void,
  handOns?: HandOns,
): Promise<void> {
  let escaped: { readonly error: unknown } | undefined;
  try {
    const store = runtime.options.store;
    const lease = holdLease({ store, claim, leaseMs: runtime.tuning.leaseMs, parent: pipelineSignal, logger: runtime.logger });
    const slotContext = new SlotContext(runtime.options.pipelineId, runtime.clock, runtime.logger, lease, store);
    const context = new RunContext(slotContext, lease, claim);
    let input: unknown;
    try {
      lease.throwIfAborted();
      input = await planned.stage.load(claim, context);
      const result = await planned.run(input, context);
      lease.throwIfAborted();
      // settle() unrolled: one async layer fewer per item (what follows the persist waits only when it must).
      const handOn = handOns === undefined ? undefined : handOnOf(planned, result, handOns, runtime);
      if (handOn === undefined) {
        await persist(planned, claim, result, runtime);
        const rest = announce(planned, claim, input, result, runtime);
        if (rest !== undefined) await rest;
      } else {
        const handed = await persistHandingOn(planned, claim, result, runtime, handOn);
        let rest: Promise<void> | undefined;
        try {
          rest = announce(planned, claim, input, result, runtime);
        } finally {
          // After the persist and its events: the next stage's run of the item (it was claimed with the persist).
          // Run even if announcing threw: the claim is committed, and its slot is taken until it runs.
          if (handed !== undefined) handOn.receiver.run(handed);
        }
        if (rest !== undefined) await rest;
      }
    } catch (error) {
      await handleFailure({ planned, claim, input, error, context, lease, runtime, pipelineSignal });
    } finally {
      lease.stop();
    }
  } catch (error) {
    escaped = { error };
    if (done === undefined) throw error;
  } finally {
    done?.(escaped);
  }
}

/**
 * A claim's {@link StageContext}, as slot implementations get it. `signal` is an own, enumerable property (a
 * spread copies it) read from the lease, so the claim's AbortSignal is made only if something reads it.
 */
class SlotContext implements StageContext {
  declare readonly signal: AbortSignal;
  readonly #lease: HeldLease;

  constructor(
    readonly pipelineId: string,
    readonly clock: Clock,
    readonly logger: Logger,
    lease: HeldLease,
    readonly store: PipelineStore,
  ) {
    this.#lease = lease;
    Object.defineProperty(this, 'signal', SlotContext.#signal);
  }

  /** One descriptor for every instance: the objects keep one hidden class. */
  static readonly #signal: PropertyDescriptor = {
    enumerable: true,
    get(this: SlotContext): AbortSignal {
      return this.#lease.signal;
    },
  };
}

/**
 * A controller that aborts as `context.signal` would (pipeline stop, lease loss): from the claim's lease when
 * the runner made the context (one AbortSignal instead of the context's and a child of it), else a child of
 * `context.signal`. `detach` it when done.
 * @internal
 */
export function abortsWith(context: StageRunContext<unknown>): ChildAbortController {
  return RunContext.childOf(context) ?? childAbortController(context.signal);
}

/** A claim's {@link StageRunContext}: the slot context's fields, the slot context and the claim; `signal` as there. */
class RunContext implements StageRunContext<unknown> {
  readonly pipelineId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  declare readonly signal: AbortSignal;
  readonly store: unknown;
  readonly #lease: HeldLease;

  constructor(
    readonly slotContext: SlotContext,
    lease: HeldLease,
    readonly claim: Claim,
  ) {
    this.pipelineId = slotContext.pipelineId;
    this.clock = slotContext.clock;
    this.logger = slotContext.logger;
    this.store = slotContext.store;
    this.#lease = lease;
    Object.defineProperty(this, 'signal', RunContext.#signal);
  }

  /**
   * For a stage's own context: a controller aborting as its `signal` would, without making that signal (see
   * `HeldLease.child`); `undefined` for any other context.
   */
  static childOf(context: object): ChildAbortController | undefined {
    return #lease in context ? (context as RunContext).#lease.child() : undefined;
  }

  /** One descriptor for every instance: the objects keep one hidden class. */
  static readonly #signal: PropertyDescriptor = {
    enumerable: true,
    get(this: RunContext): AbortSignal {
      return this.#lease.signal;
    },
  };
}

/** Persists a result, then emits its events (and a recommendation's end), then runs its after-persist step. */
async function settle(planned: PlannedStage, claim: Claim, input: unknown, result: StageResult, runtime: PipelineRuntime): Promise<void> {
  await persist(planned, claim, result, runtime);
  const rest = announce(planned, claim, input, result, runtime);
  if (rest !== undefined) await rest;
}

/**
 * Persists a result: the store's completion (or release) of the item, with the result's writes, atomically.
 * @throws TradepipeError `internal` (synchronously) if the stage passed an item on but has no next state
 */
function persist(planned: PlannedStage, claim: Claim, result: StageResult, runtime: PipelineRuntime): Promise<void> {
  const store = runtime.options.store;
  if (result.kind === 'release') return store.release(claim, { delayMs: result.delayMs });
  return store.complete(claim, completionOf(planned, result));
}

/**
 * A completing result's completion.
 * @throws TradepipeError `internal` if the stage passed an item on but has no next state
 */
function completionOf(planned: PlannedStage, result: Exclude<StageResult, { kind: 'release' }>): Completion<WorkKind> {
  const state = result.kind === 'pass' ? planned.passesTo : result.state;
  if (state === undefined) throw new TradepipeError('internal', 'The stage passed an item on but has no next state', { details: { stage: planned.stage.name } });
  const { reason, writes } = result;
  // Only the fields given (no spread of optional parts): the same completion, one object.
  return reason === undefined
    ? writes === undefined
      ? { state: state as WorkStates[WorkKind] }
      : { state: state as WorkStates[WorkKind], writes }
    : writes === undefined
      ? { state: state as WorkStates[WorkKind], reason }
      : { state: state as WorkStates[WorkKind], reason, writes };
}

/** A hand-on a completion makes: the receiver (a slot taken in it) and what the store claims for it. */
interface HandOn {
  readonly receiver: HandOnReceiver;
  readonly request: HandOnRequest;
}

/**
 * The hand-on a result's completion may make, with a slot taken for it, when the store can complete and claim in
 * one call: the item itself to the one running unordered stage that takes its next state (from an unordered
 * stage: an ordered stage's item leaving frees its partition), else the work item of the first write whose kind
 * and state such a stage takes; else undefined.
 */
function handOnOf(planned: PlannedStage, result: StageResult, handOns: HandOns, runtime: PipelineRuntime): HandOn | undefined {
  if (result.kind === 'release' || runtime.options.store.completeAndClaim === undefined) return undefined;
  const { takes } = planned.stage;
  const state = result.kind === 'pass' ? planned.passesTo : result.state;
  if (state === undefined) return undefined;
  const leaseMs = runtime.tuning.leaseMs;
  if (!takes.ordered) {
    const receiver = handOns.receiverFor(takes.kind, state);
    if (receiver !== undefined) return receiver.reserve() ? { receiver, request: { workerId: receiver.workerId, leaseMs } } : undefined;
  }
  const { writes } = result;
  if (writes === undefined) return undefined;
  for (let index = 0; index < writes.length; index += 1) {
    const write = writes[index]!;
    const receiver =
      write.type === 'recommendation' ? handOns.receiverFor('recommendation', write.state) : write.type === 'signal' ? handOns.receiverFor('signal', 'PENDING') : undefined;
    if (receiver !== undefined) return receiver.reserve() ? { receiver, request: { workerId: receiver.workerId, leaseMs, write: index } } : undefined;
  }
  return undefined;
}

/**
 * {@link persist} as the store's completion that also claims what `handOn` names for its receiver (whose slot is
 * taken): the new claim (the item's carrying the record the completed claim carried, when the store's does not),
 * or undefined when the store claimed nothing (the slot is given back). A failure gives the slot back too.
 */
async function persistHandingOn(planned: PlannedStage, claim: Claim, result: StageResult, runtime: PipelineRuntime, handOn: HandOn): Promise<Claim | undefined> {
  const { receiver, request } = handOn;
  let handed: Claim | undefined;
  try {
    handed = await runtime.options.store.completeAndClaim!(claim, completionOf(planned, result as Exclude<StageResult, { kind: 'release' }>), request);
  } catch (error) {
    receiver.unreserve();
    throw error;
  }
  if (handed === undefined) {
    receiver.unreserve();
    return undefined;
  }
  // Records are immutable once stored: the record the completed claim carried is the item's record still.
  return handed.record !== undefined || claim.record === undefined || request.write !== undefined ? handed : { ...handed, record: claim.record };
}

/**
 * After the persist: emits the result's events and, when a recommendation ended, its end; then the after-persist
 * step. Returns a promise only for what must wait (loading an ended recommendation the input did not carry, the
 * after-persist step), else `undefined`.
 */
function announce(planned: PlannedStage, claim: Claim, input: unknown, result: StageResult, runtime: PipelineRuntime): Promise<void> | undefined {
  emitAll(runtime, result.events);
  if (result.kind === 'release') return undefined;
  const state = result.kind === 'pass' ? planned.passesTo! : result.state;
  let ending: Promise<void> | undefined;
  if (claim.kind === 'recommendation' && (TERMINAL_RECOMMENDATION_STATES as readonly string[]).includes(state)) {
    const loaded = recommendationOf(input, claim);
    if (loaded !== undefined) emitEnd(runtime, claim, loaded, state, result.reason);
    else ending = loadAndEmitEnd(runtime, claim, state, result.reason);
  }
  const { afterPersist } = result;
  if (afterPersist === undefined) return ending;
  return ending === undefined ? runAfterPersist(planned, claim, afterPersist, runtime) : ending.then(() => runAfterPersist(planned, claim, afterPersist, runtime));
}

/** A result's after-persist step; its failure is logged, never the item's. */
async function runAfterPersist(planned: PlannedStage, claim: Claim, afterPersist: () => Promise<void>, runtime: PipelineRuntime): Promise<void> {
  try {
    await afterPersist();
  } catch (error) {
    runtime.logger.warn('a stage step after persisting failed', { stage: planned.stage.name, id: claim.id, error });
  }
}

function emitAll(runtime: PipelineRuntime, events: readonly StageEvent[] | undefined): void {
  if (events === undefined) return;
  for (const event of events) runtime.bus.emit(event.name, event.payload as never);
}

/** The recommendation a stage loaded for a claim, if its input carries it. */
function recommendationOf(input: unknown, claim: Claim): TradeRecommendation | undefined {
  if (claim.kind !== 'recommendation' || typeof input !== 'object' || input === null || !('recommendation' in input)) return undefined;
  const recommendation = (input as { recommendation: TradeRecommendation }).recommendation;
  return recommendation.id === claim.id ? recommendation : undefined;
}

/** {@link emitEnd} for a recommendation the stage's input did not carry: read from the store first. */
async function loadAndEmitEnd(runtime: PipelineRuntime, claim: Claim, state: string, reason: string | undefined): Promise<void> {
  const recommendation = (await runtime.options.store.getRecommendation(claim.id))?.record;
  if (recommendation !== undefined) emitEnd(runtime, claim, recommendation, state, reason);
}

/** After a recommendation reaches a terminal state: `recommendation:expired` (if it expired), then `recommendation:finished`. */
function emitEnd(runtime: PipelineRuntime, claim: Claim, recommendation: TradeRecommendation, state: string, reason: string | undefined): void {
  const finalState = state as (typeof TERMINAL_RECOMMENDATION_STATES)[number];
  if (finalState === 'EXPIRED') runtime.bus.emit('recommendation:expired', { recommendation, stage: claim.state });
  runtime.bus.emit('recommendation:finished', { recommendation, state: finalState, ...(reason === undefined ? {} : { reason }) });
}

interface FailureInput {
  readonly planned: PlannedStage;
  readonly claim: Claim;
  readonly input: unknown;
  readonly error: unknown;
  readonly context: StageRunContext<unknown>;
  readonly lease: HeldLease;
  readonly runtime: PipelineRuntime;
  readonly pipelineSignal: AbortSignal;
}

/** Lease lost: leave the item to its new holder. Stopping: release it untouched. Else recover, or retry / end it. */
async function handleFailure(failed: FailureInput): Promise<void> {
  const { planned, claim, runtime, context } = failed;
  const store = runtime.options.store;
  const failure = toTradepipeError(failed.error instanceof StageFailure ? failed.error.cause : failed.error);
  const logFields = { stage: planned.stage.name, kind: claim.kind, id: claim.id, code: failure.code, error: failure };
  try {
    if (failed.lease.lost || failure.code === 'lease_lost') {
      runtime.logger.warn('work item lease lost; another worker owns it', logFields);
      return;
    }
    if (failed.pipelineSignal.aborted) {
      await store.release(claim);
      return;
    }
    const recovered = await planned.stage.recover?.(failed.input, failed.error, context).catch((error: unknown) => {
      runtime.logger.warn('a stage could not recover from a failure; applying the retry rules', { ...logFields, recoverError: error });
      return undefined;
    });
    if (recovered !== undefined) {
      await settle(planned, claim, failed.input, recovered, runtime);
      return;
    }
    await recordFailure(failed, failure);
  } catch (secondary) {
    runtime.logger.error('could not record a work item failure', { ...logFields, secondary });
  }
}

/** Retry after a backoff while attempts remain and the failure is retryable; else the stage's terminal state. */
async function recordFailure(failed: FailureInput, failure: TradepipeError): Promise<void> {
  const { planned, claim, runtime, context } = failed;
  const store: Pick<PipelineStore, 'fail'> = runtime.options.store;
  const workError = { code: failure.code, message: failure.message };
  const terminalState = failure.retryable ? planned.stage.onRetriesExhausted : planned.stage.onPermanentFailure;
  const terminalReason = `${failure.retryable ? 'retries_exhausted' : 'failed'}: ${failure.code}: ${failure.message}`.slice(0, 1000);
  const result = await store.fail(claim, {
    error: workError,
    retryable: failure.retryable,
    maxAttempts: runtime.tuning.maxAttempts,
    backoffMs: backoffMs(runtime, claim.attempt + 1),
    terminalState,
    terminalReason,
    terminalWrites: failed.error instanceof StageFailure ? failed.error.terminalWrites(context.clock.nowMs()) : [],
  });
  const logFields = { stage: planned.stage.name, kind: claim.kind, id: claim.id, code: failure.code };
  if (result.kind === 'retry_scheduled') {
    runtime.logger.info('work item will be retried', { ...logFields, availableAtMs: result.availableAtMs });
    runtime.bus.emit('item:retried', { kind: claim.kind, id: claim.id, stage: planned.stage.name, error: workError, availableAtMs: result.availableAtMs });
    return;
  }
  runtime.logger.warn('work item ended after a failure', { ...logFields, state: terminalState });
  if (terminalState === 'DEAD_LETTER') runtime.bus.emit('item:deadLettered', { kind: claim.kind, id: claim.id, stage: planned.stage.name, error: workError });
  const stored = claim.kind === 'recommendation' ? await runtime.options.store.getRecommendation(claim.id) : undefined;
  if (stored !== undefined) runtime.bus.emit('recommendation:finished', { recommendation: stored.record, state: stored.status.state, ...(stored.status.reason === undefined ? {} : { reason: stored.status.reason }) });
}
