import type { StageContext } from '../interfaces.js';
import type { Logger } from '../logger.js';
import type { Claim, RecordWrite, WorkKind, WorkStates } from '../store.js';
import type { Clock } from '../time.js';
import type { PipelineEvents } from './events.js';

/** One event a stage asks the runner to emit once its result is persisted. */
export type StageEvent = { readonly [E in keyof PipelineEvents]: { readonly name: E; readonly payload: PipelineEvents[E] } }[keyof PipelineEvents];

/**
 * Builds a {@link StageEvent} with its payload type checked against the event's name.
 * @example
 * stageEvent('signal:generated', { signal });
 */
export function stageEvent<E extends keyof PipelineEvents>(name: E, payload: PipelineEvents[E]): StageEvent {
  return { name, payload } as StageEvent;
}

/** What a stage's `run` returns; the runner persists it, then emits its events, then calls `afterPersist`. */
export type StageResult<K extends WorkKind = WorkKind> =
  /** The item moves to the next stage's state (where a plugin stage may have slotted in), with `writes`, atomically. */
  | { readonly kind: 'pass'; readonly reason?: string; readonly writes?: readonly RecordWrite[]; readonly events?: readonly StageEvent[]; readonly afterPersist?: () => Promise<void> }
  /** The item moves to `state` with `writes`, atomically. */
  | {
      readonly kind: 'complete';
      readonly state: WorkStates[K];
      readonly reason?: string;
      readonly writes?: readonly RecordWrite[];
      readonly events?: readonly StageEvent[];
      readonly afterPersist?: () => Promise<void>;
    }
  /** The item goes back in its state, claimable again after `delayMs`, without counting an attempt. */
  | { readonly kind: 'release'; readonly delayMs: number; readonly events?: readonly StageEvent[] };

/**
 * What a stage's `load` and `run` receive. `store` is the stage's own narrow role of the store; `slotContext`
 * is what it hands to the slot implementations it calls (validators, the risk manager, the executor).
 * @typeParam Store the stage's role of the store: the store methods it declared it needs
 */
export interface StageRunContext<Store> {
  /** The pipeline's id, for record ids. */
  readonly pipelineId: string;
  /** The injected clock: read time only from here. */
  readonly clock: Clock;
  /** The pipeline's logger. */
  readonly logger: Logger;
  /** Aborts when the pipeline stops or the item's lease is lost (reason: a `lease_lost` TradepipeError). */
  readonly signal: AbortSignal;
  /** The store methods this stage declared it needs. */
  readonly store: Store;
  /** The context handed to slot implementations (same clock, logger and signal; the whole store). */
  readonly slotContext: StageContext;
  /** The claim being worked on. */
  readonly claim: Claim;
}

/**
 * A box of the design document, declared: which work items it takes, where they go when it fails, what it
 * needs from the store, how its input is loaded (once) and what it does with it. One runner does the rest
 * for every stage: claim, load, run, complete atomically, emit after persist, keep the lease, retry,
 * dead-letter or fail closed.
 * @typeParam K the kind of work item it claims (`candle`, `signal`, `recommendation`)
 * @typeParam Input what `load` returns and `run` takes
 * @typeParam Store the store methods it needs (its `context.store`)
 */
export interface PipelineStage<K extends WorkKind = WorkKind, Input = unknown, Store = unknown> {
  /** Unique in the pipeline; plugins wrap stages by this name. */
  readonly name: string;
  /** The work items it claims: kind and state, and whether items of a product are taken in order. */
  readonly takes: { readonly kind: K; readonly state: WorkStates[K]; readonly ordered: boolean };
  /** Where a `pass` result moves the item (before plugin stages slot in); `undefined` if it never passes. */
  readonly passesTo?: WorkStates[K];
  /** Where an item goes when retries of a retryable failure run out. */
  readonly onRetriesExhausted: WorkStates[K];
  /** Where an item goes after a failure that is not retryable. */
  readonly onPermanentFailure: WorkStates[K];
  /** Loads the claimed item's input, once. */
  load(claim: Claim<K>, context: StageRunContext<Store>): Promise<Input>;
  /** The stage's work: returns what to write and what to emit. Throws a TradepipeError on failure. */
  run(input: Input, context: StageRunContext<Store>): Promise<StageResult<K>>;
  /**
   * Called on a failure before the runner's retry rules (`input` is `undefined` if loading failed): a result
   * here replaces them (e.g. an order already placed is handed on instead of dead-lettered).
   */
  recover?(input: Input | undefined, failure: unknown, context: StageRunContext<Store>): Promise<StageResult<K> | undefined>;
}

/** A stage of any kind, input and store role, as the runner holds it. */
export type AnyPipelineStage = PipelineStage<WorkKind, unknown, unknown>;

/**
 * A failure that carries the records to write if it ends the item (e.g. the fail-closed REJECT of a
 * validator whose retries ran out). The runner retries on `cause` as usual.
 */
export class StageFailure extends Error {
  /**
   * @param cause the failure itself
   * @param terminalWrites written with the terminal state if this failure ends the item
   */
  constructor(
    /** The failure itself: the runner applies its retry rules to it (retryable or not, by its code). */
    override readonly cause: unknown,
    /** The records to write with the terminal state, given the clock's time (epoch ms) when the item ends. */
    readonly terminalWrites: (nowMs: number) => readonly RecordWrite[],
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'StageFailure';
  }
}

/**
 * Declares a stage, checking its shape at compile time (input and store role inferred from `load`).
 * @example
 * export const auditStage = defineStage({ name: 'audit', takes: { kind: 'recommendation', state: 'PENDING_AUDIT', ordered: false }, ... });
 */
export function defineStage<K extends WorkKind, Input, Store>(stage: PipelineStage<K, Input, Store>): PipelineStage<K, Input, Store> {
  return stage;
}
