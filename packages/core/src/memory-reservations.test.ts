import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryReservations } from './memory-reservations.js';
import type { ExposureReservation } from './records/risk.js';

fc.configureGlobal({ seed: 20261206, numRuns: 300 });

function reservation(index: number, expiresAtMs: number): ExposureReservation {
  return {
    approvalId: `apv_${index}`,
    productId: 'BTC-USD',
    side: 'BUY',
    quoteAmount: '10' as ExposureReservation['quoteAmount'],
    baseSize: '0.1' as ExposureReservation['baseSize'],
    reservedAtMs: 0,
    expiresAtMs,
  };
}

interface Modelled {
  readonly reservation: ExposureReservation;
  orderId: string | undefined;
}

const step = fc.oneof(
  fc.record({ type: fc.constant('reserve' as const), ttlMs: fc.integer({ min: 0, max: 10 }) }),
  fc.record({ type: fc.constant('place' as const), pick: fc.nat() }),
  fc.record({ type: fc.constant('end' as const), pick: fc.nat() }),
  fc.record({ type: fc.constant('clock' as const), byMs: fc.integer({ min: -6, max: 8 }) }),
);

describe('MemoryReservations', () => {
  it('gives the active reservations and the unplaced count a scan of every reservation gives, whatever the clock does', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const ended = new Set<string>();
        const reservations = new MemoryReservations((orderId) => ended.has(orderId));
        const model: Modelled[] = [];
        let nowMs = 100;
        for (const current of steps) {
          if (current.type === 'reserve') {
            const made = reservation(model.length, nowMs + current.ttlMs);
            reservations.add(made.approvalId, made);
            model.push({ reservation: made, orderId: undefined });
          } else if (current.type === 'place' && model.length > 0) {
            const held = model[current.pick % model.length]!;
            if (held.orderId === undefined) {
              held.orderId = `ord_${held.reservation.approvalId}`;
              reservations.place(held.reservation.approvalId, held.orderId);
            }
          } else if (current.type === 'end' && model.length > 0) {
            const orderId = model[current.pick % model.length]!.orderId;
            if (orderId !== undefined) ended.add(orderId);
          } else if (current.type === 'clock') {
            nowMs += current.byMs;
          }
          // As the store read them before: every reservation, in the order made.
          const active = model.filter((held) => (held.orderId !== undefined ? !ended.has(held.orderId) : held.reservation.expiresAtMs > nowMs)).map((held) => held.reservation);
          const unplaced = model.filter((held) => held.orderId === undefined && held.reservation.expiresAtMs > nowMs).length;
          expect(reservations.countUnplaced(nowMs)).toBe(unplaced);
          expect(reservations.active(nowMs)).toEqual(active);
        }
      }),
    );
  });

  it('reads only the open reservations: expired unplaced ones and those of ended orders are pruned', () => {
    const ended = new Set<string>();
    const reservations = new MemoryReservations((orderId) => ended.has(orderId));
    for (let index = 0; index < 1_000; index += 1) reservations.add(`apv_${index}`, reservation(index, 100 + index));
    for (let index = 0; index < 5; index += 1) reservations.place(`apv_${index}`, `ord_${index}`);
    for (let index = 0; index < 3; index += 1) ended.add(`ord_${index}`);
    // Placed and open: apv_3, apv_4 (expired, but their orders hold); unplaced, not expired at 1,095: apv_996 … apv_999.
    expect(reservations.active(1_095).map((held) => held.approvalId)).toEqual(['apv_3', 'apv_4', 'apv_996', 'apv_997', 'apv_998', 'apv_999']);
    expect((reservations as unknown as { open: Map<string, unknown> }).open.size).toBe(6);
    expect(reservations.countUnplaced(1_095)).toBe(4);
  });
});
