import type { ExposureReservation } from './records/risk.js';

/** One reservation as the store keeps it. */
interface Held {
  readonly reservation: ExposureReservation;
  /** The order placed on it, once one is (`undefined` before: the field is there from the start). */
  orderId: string | undefined;
}

/**
 * The in-memory store's exposure reservations, by approval id. A reservation holds exposure while its order is
 * open, or, with no order yet, until it expires. Reads per trade go through the open ones only: a reservation
 * leaves them when its order ends (an ended order never reopens) or when it expires unplaced, so that they do not
 * grow with history. An expired one comes back if the clock is set back before a pruning time, or if an order is
 * placed on it after all (the store refuses an expired approval, so only a reservation expiring before its
 * approval could see that): then the open ones are rebuilt from every reservation, in the order made.
 * @internal
 */
export class MemoryReservations {
  /** @param hasEnded whether an order has ended (its reservation then leaves the open ones for good) */
  constructor(private readonly hasEnded: (orderId: string) => boolean) {}

  private readonly all = new Map<string, Held>();
  /** Those that may still hold exposure, in the order made (a subset of {@link all}). */
  private open = new Map<string, Held>();
  /** The latest time expired unplaced reservations were pruned at (`-Infinity`: none are out). */
  private prunedAtMs = Number.NEGATIVE_INFINITY;

  /** Adds a reservation under its approval id. */
  add(approvalId: string, reservation: ExposureReservation): void {
    const held: Held = { reservation, orderId: undefined };
    this.all.set(approvalId, held);
    this.open.set(approvalId, held);
  }

  /** Ties a reservation to the order placed on it. */
  place(approvalId: string, orderId: string): void {
    const held = this.all.get(approvalId);
    if (held === undefined) return;
    held.orderId = orderId;
    if (!this.open.has(approvalId)) this.rebuild(); // pruned as expired: placed after all, it holds exposure again
  }

  /** The reservations holding exposure at `nowMs`, in the order made. */
  active(nowMs: number): ExposureReservation[] {
    this.comeBackTo(nowMs);
    const active: ExposureReservation[] = [];
    for (const [approvalId, held] of this.open) {
      const { reservation, orderId } = held;
      if (orderId !== undefined && this.hasEnded(orderId)) {
        this.open.delete(approvalId);
        continue;
      }
      if (orderId !== undefined) active.push(reservation);
      else if (reservation.expiresAtMs > nowMs) active.push(reservation);
      else this.prune(approvalId, nowMs);
    }
    return active;
  }

  /** How many reservations with no order yet hold exposure at `nowMs` (each will become an order in the window). */
  countUnplaced(nowMs: number): number {
    this.comeBackTo(nowMs);
    let count = 0;
    for (const [approvalId, { reservation, orderId }] of this.open) {
      if (orderId !== undefined) continue;
      if (reservation.expiresAtMs > nowMs) count += 1;
      else this.prune(approvalId, nowMs);
    }
    return count;
  }

  /** Takes an expired unplaced reservation out of the open ones (deleting the entry being visited is safe in a Map). */
  private prune(approvalId: string, nowMs: number): void {
    this.open.delete(approvalId);
    if (nowMs > this.prunedAtMs) this.prunedAtMs = nowMs;
  }

  /** The clock was set back before a pruning: what expired since that time may hold exposure again. */
  private comeBackTo(nowMs: number): void {
    if (nowMs < this.prunedAtMs) this.rebuild();
  }

  /** The open ones again from every reservation, in the order made, but those whose order ended. */
  private rebuild(): void {
    const open = new Map<string, Held>();
    for (const [approvalId, held] of this.all) if (held.orderId === undefined || !this.hasEnded(held.orderId)) open.set(approvalId, held);
    this.open = open;
    this.prunedAtMs = Number.NEGATIVE_INFINITY;
  }
}
