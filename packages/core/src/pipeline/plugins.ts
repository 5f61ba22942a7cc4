import { TradepipeError } from '../errors.js';
import type { StageContext, TradeValidator } from '../interfaces.js';
import type { WorkKind } from '../store.js';
import type { PipelineListeners } from './events.js';
import type { AnyPipelineStage, PipelineStage, StageResult, StageRunContext } from './stage.js';
import type { CandleInput } from './stages/signal-generation.js';
import type { SignalInput } from './stages/signal-bridge.js';
import type { RecommendationInput } from './stages/recommendation-input.js';
import type { ExecutionInput } from './stages/execution.js';
import type { FillsInput } from './stages/fills.js';

/** The input each built-in stage's `run` takes, by stage name: what a wrapper of that stage sees. */
export interface StageInputs {
  /** Signal generation: the claimed candle. */
  signal: CandleInput;
  /** The bridge: the claimed signal. */
  bridge: SignalInput;
  /** Validation: the claimed recommendation. */
  validation: RecommendationInput;
  /** Risk: the claimed recommendation. */
  risk: RecommendationInput;
  /** Execution: the recommendation and the order an earlier attempt recorded, if any. */
  execution: ExecutionInput;
  /** Fills: the recommendation and its order. */
  fills: FillsInput;
}

/**
 * One call of a stage's `run`, as a wrapper sees it.
 * @typeParam Input the stage's input (see {@link StageInputs}; `unknown` for a wrapper of every stage)
 */
export interface StageCall<Input = unknown> {
  /** The stage's name. */
  readonly stage: string;
  /** The kind of the work item. */
  readonly kind: WorkKind;
  /** The work item's id. */
  readonly itemId: string;
  /** The stage's input. */
  readonly input: Input;
  /** Time, logging, cancellation and the store. */
  readonly context: StageContext;
}

/**
 * Middleware around a stage's `run` (hono-style): call `next()` to run the stage (or the next wrapper),
 * optionally with a rewritten input; return its result, a rewritten one, or your own without calling `next`
 * (a veto). Runs inside the item's lease, before anything is persisted. Call `next` at most once.
 */
export type StageMiddleware<Input = unknown> = (call: StageCall<Input>, next: (input?: Input) => Promise<StageResult>) => Promise<StageResult>;

/** A wrapper of one stage by name (`'*'`: every stage). */
export interface StageWrapper {
  /** A stage name, built in or added by a plugin, or `'*'`. */
  readonly stage: string;
  /** The middleware. */
  readonly around: StageMiddleware<unknown>;
  /**
   * Whether the batched replay must show it every candle (default true). `replayCandlesBatched` decides quiet candles
   * without running the `signal` and `bridge` stages, so a wrapper of one of them, or of every stage, makes it run
   * candle by candle: a veto or a rewrite must see every run. `false` for a wrapper that only observes the runs there
   * are (timing, tracing, logging): the replay then stays batched, and quiet candles pass the wrapper by.
   */
  readonly seesEveryCandle?: boolean;
}

/** Options of {@link wrapStage} and {@link wrapEveryStage}. */
export interface WrapOptions {
  /** See {@link StageWrapper.seesEveryCandle} (default true). */
  readonly seesEveryCandle?: boolean;
}

/**
 * Wraps a built-in stage, with its input typed.
 * @example
 * const timing = wrapStage('validation', async (call, next) => { const startedAtMs = Date.now(); try { return await next(); } finally { record(Date.now() - startedAtMs); } });
 */
export function wrapStage<S extends keyof StageInputs>(stage: S, around: StageMiddleware<StageInputs[S]>, options: WrapOptions = {}): StageWrapper {
  return { stage, around: around as unknown as StageMiddleware<unknown>, ...(options.seesEveryCandle === undefined ? {} : { seesEveryCandle: options.seesEveryCandle }) };
}

/**
 * Wraps every stage (and plugin stages), with an untyped input: timing, tracing, logging. An observer passes
 * `{ seesEveryCandle: false }` to keep `replayCandlesBatched` batched (see {@link StageWrapper.seesEveryCandle}).
 * @example
 * const tracing = wrapEveryStage(async (call, next) => next(), { seesEveryCandle: false });
 */
export function wrapEveryStage(around: StageMiddleware<unknown>, options: WrapOptions = {}): StageWrapper {
  return { stage: '*', around, ...(options.seesEveryCandle === undefined ? {} : { seesEveryCandle: options.seesEveryCandle }) };
}

/**
 * A stage of a plugin's own, slotted in after another stage: what that stage passes on (`pass`) comes to this
 * one instead, in its own state, and what this one passes on goes where the other's went. It runs in every
 * process that runs the stage it follows.
 * @typeParam K the kind of work item: that of the stage it follows
 * @typeParam Input what its `load` returns and its `run` takes
 * @typeParam Store the store methods it needs (its `context.store`)
 */
export interface PluginStage<K extends WorkKind = WorkKind, Input = unknown, Store = unknown> extends Omit<PipelineStage<K, Input, Store>, 'takes' | 'passesTo'> {
  /** The stage it follows (built in, e.g. `'validation'`, or another plugin's). */
  readonly after: string;
  /** The work items it takes: the kind of the stage it follows, in a state of its own (e.g. `PENDING_REVIEW`). */
  readonly takes: { readonly kind: K; readonly state: string; readonly ordered: boolean };
}

/**
 * Declares a plugin stage, with its input and store role inferred from `load`.
 * @example
 * const review = definePluginStage({ name: 'review', after: 'validation', takes: { kind: 'recommendation', state: 'PENDING_REVIEW', ordered: false }, onRetriesExhausted: 'REJECTED', onPermanentFailure: 'REJECTED', load, run });
 */
export function definePluginStage<K extends WorkKind, Input, Store>(stage: PluginStage<K, Input, Store>): PluginStage<K, Input, Store> {
  return stage;
}

/**
 * A plugin: validators (every validator of the pipeline must approve), event listeners, wrappers around
 * stages, and stages of its own. Everything is checked when the pipeline is built (`pipeline_invalid`).
 */
export interface PipelinePlugin {
  /** Unique among the pipeline's plugins. */
  readonly name: string;
  /** Extra validators; names unique in the pipeline. */
  readonly validators?: readonly TradeValidator[];
  /** Listeners of the pipeline's events. */
  readonly listeners?: PipelineListeners;
  /** Middleware around stages' `run`, outermost first (plugins in order, then wrappers in order). */
  readonly wrappers?: readonly StageWrapper[];
  /** Stages of its own, each slotted in after another. */
  readonly stages?: readonly PluginStage<WorkKind, unknown, unknown>[];
}

/**
 * Composes a stage's `run` with the wrappers that name it (or `'*'`), outermost first.
 * @internal
 */
export function composeStageRun(stage: AnyPipelineStage, wrappers: readonly StageWrapper[]): (input: unknown, context: StageRunContext<unknown>) => Promise<StageResult> {
  const chain = wrappers.filter((wrapper) => wrapper.stage === stage.name || wrapper.stage === '*');
  if (chain.length === 0) return (input, context) => stage.run(input, context);
  return (input, context) => {
    let lastIndex = -1;
    const dispatch = (index: number, current: unknown): Promise<StageResult> => {
      if (index <= lastIndex) return Promise.reject(new TradepipeError('pipeline_invalid', 'A stage wrapper called next() twice', { details: { stage: stage.name } }));
      lastIndex = index;
      const wrapper = chain[index];
      if (wrapper === undefined) return stage.run(current, context);
      const call: StageCall<unknown> = { stage: stage.name, kind: stage.takes.kind, itemId: context.claim.id, input: current, context: context.slotContext };
      return wrapper.around(call, (next = current) => dispatch(index + 1, next));
    };
    return dispatch(0, input);
  };
}
