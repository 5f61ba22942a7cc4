import type { Claim, WorkKind } from '../store.js';

/**
 * A running worker loop's side of a hand-on: an item completed into the state its stage takes, claimed for it by
 * the same store call ({@link PipelineStore.completeAndClaim}), runs in one of its slots without a claim.
 * @internal
 */
export interface HandOnReceiver {
  /** The worker the item is claimed for (the loop's own claims name it so too). */
  readonly workerId: string;
  /** Takes a slot for an item about to be handed on; false when the loop is stopping, claiming, or full. */
  reserve(): boolean;
  /** Runs a handed-on claim in the slot {@link reserve} took. */
  run(claim: Claim): void;
  /** Gives back the slot {@link reserve} took (no claim came). */
  unreserve(): void;
}

/**
 * The receivers of a started pipeline's unordered stages, by the kind and state they take. A state two stages
 * take has no receiver (which of them runs an item is their claims' race, as without hand-ons).
 * @internal
 */
export class HandOns {
  readonly #receivers = new Map<WorkKind, Map<string, HandOnReceiver | null>>();

  /** Registers a loop's receiver for its stage's kind and state; returns its removal. */
  register(kind: WorkKind, state: string, receiver: HandOnReceiver): () => void {
    let byState = this.#receivers.get(kind);
    if (byState === undefined) {
      byState = new Map();
      this.#receivers.set(kind, byState);
    }
    const registered = byState;
    registered.set(state, registered.has(state) ? null : receiver);
    return () => {
      if (registered.get(state) === receiver) registered.delete(state);
    };
  }

  /** The receiver of items of `kind` arriving in `state`, if exactly one running stage takes them. */
  receiverFor(kind: WorkKind, state: string): HandOnReceiver | undefined {
    return this.#receivers.get(kind)?.get(state) ?? undefined;
  }
}
