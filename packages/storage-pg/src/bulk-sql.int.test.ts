import { GRANULARITIES, type Candle, type PipelineStore, type Signal } from '@tradepipe/core';
import { testCandle, testRecommendation, testSignal } from '@tradepipe/core/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestPool, pgStoreFactory, pgliteStoreFactory, storeOpener } from './test-database.js';

interface Factory {
  createStore(): Promise<PipelineStore>;
  closeStore?(store: PipelineStore): Promise<void>;
}

const signalFor = (candle: Candle, index: number): Signal =>
  ({ ...testSignal({ candleStartMs: candle.startMs, granularity: candle.granularity }), action: index % 3 === 0 ? 'HOLD' : 'BUY' }) as Signal;

const candlesFrom = (count: number, from = 0): Candle[] => Array.from({ length: count }, (_, index) => testCandle({ index: from + index }));

function describeBulkWrite(label: string, factory: Factory): void {
  // Generous: the first test waits for PGlite's initdb, the chunked ones write 100,000 rows; the machine may be busy.
  describe(`writeBulk: ${label}`, { timeout: 240_000 }, () => {
    const open = storeOpener(factory);

    it('writes candles, signals and recommendations with their work states, and a repeat changes nothing', async () => {
      const store = await open();
      const candles = candlesFrom(3);
      const signals = candles.map(signalFor);
      const rejected = testRecommendation();
      const batch = {
        candles,
        signals: [{ record: signals[0]!, state: 'DONE' as const }, { record: signals[1]!, state: 'PENDING' as const }, { record: signals[2]!, state: 'DEAD_LETTER' as const, reason: 'stale' }],
        recommendations: [{ record: rejected, state: 'REJECTED' as const, reason: 'nothing held' }],
      };
      await store.writeBulk(batch);
      await store.writeBulk(batch);
      expect(await store.countByState('candle')).toEqual({ DONE: 3 });
      expect(await store.getCandle('BTC-USD', 'ONE_HOUR', candles[1]!.startMs)).toEqual(candles[1]);
      expect(await store.countByState('signal')).toEqual({ DONE: 1, PENDING: 1, DEAD_LETTER: 1 });
      expect(await store.getSignal(signals[2]!.id)).toEqual(signals[2]);
      expect((await store.getWorkStatus('signal', signals[2]!.id))?.reason).toBe('stale');
      const stored = await store.getRecommendation(rejected.id);
      expect(stored?.record).toEqual(rejected);
      expect(stored?.status).toMatchObject({ state: 'REJECTED', reason: 'nothing held' });
      // Only the PENDING signal is work for the bridge.
      const claims = await store.claim({ kind: 'signal', state: 'PENDING', workerId: 'w', leaseMs: 60_000, limit: 10 });
      expect(claims.map((claim) => claim.id)).toEqual([signals[1]!.id]);
    });

    it('reads every feature value back bit for bit as its JSON has it, and a bulk signal and a one-record write of it are the same record', async () => {
      const store = await open();
      const awkward = [0.1 + 0.2, 1 / 3, -1 / 3, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -0, 1e21, 123456789.12345679, Math.PI, -Math.E, 1e-7];
      const [bulkCandle, oneCandle] = candlesFrom(2, 900);
      const withValues = (candle: Candle): Signal => {
        const signal = signalFor(candle, 1);
        return { ...signal, features: { ...signal.features, values: awkward } };
      };
      const bulk = withValues(bulkCandle!);
      await store.writeBulk({ signals: [{ record: bulk, state: 'DONE' }] });
      const read = await store.getSignal(bulk.id);
      expect(read).toEqual(JSON.parse(JSON.stringify(bulk)));
      read!.features.values.forEach((value, index) => expect(Object.is(value, JSON.parse(JSON.stringify(awkward[index])))).toBe(true));

      // The same signal through a stage's completion (the record whole in its row): first write wins across both paths.
      const one = withValues(oneCandle!);
      await store.putCandles([oneCandle!]);
      const [claim] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs: 60_000, limit: 1, ordered: true });
      await store.complete(claim!, { state: 'DONE', writes: [{ type: 'signal', record: one }] });
      await store.writeBulk({ signals: [{ record: one, state: 'DONE' }] });
      expect(await store.getSignal(one.id)).toEqual(JSON.parse(JSON.stringify(one)));
      const changed = { ...one, features: { ...one.features, values: [...awkward.slice(1), 0.5] } };
      await expect(store.writeBulk({ signals: [{ record: changed, state: 'DONE' }] })).rejects.toMatchObject({ code: 'record_conflict' });
      await expect(store.writeBulk({ signals: [{ record: { ...bulk, features: { ...bulk.features, values: [...awkward.slice(0, -1), 2e-7] } }, state: 'DONE' }] })).rejects.toMatchObject({
        code: 'record_conflict',
      });
      expect(await store.getSignal(bulk.id)).toEqual(read);
    });

    it('lets concurrent writers of one batch both succeed, and refuses the one that loses with other content', async () => {
      const store = await open();
      const candles = candlesFrom(40, 500);
      const entries = candles.map((candle, index) => ({ record: signalFor(candle, index), state: 'DONE' as const }));
      // On a server both find nothing stored, both insert: the second waits on the first's keys, then takes the first-write-wins path.
      await Promise.all([store.writeBulk({ signals: entries }), store.writeBulk({ signals: entries })]);
      await Promise.all([store.writeBulk({ candles }), store.writeBulk({ candles })]);
      expect(await store.countByState('signal')).toEqual({ DONE: 40 });
      const later = candlesFrom(10, 600);
      const first = later.map((candle, index) => ({ record: signalFor(candle, index), state: 'DONE' as const }));
      const other = first.map((entry) => ({ ...entry, record: { ...entry.record, confidence: 0.01 } }));
      const outcomes = await Promise.allSettled([store.writeBulk({ signals: first }), store.writeBulk({ signals: other })]);
      expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({ reason: { code: 'record_conflict' } });
      const winner = outcomes[0]!.status === 'fulfilled' ? first : other;
      expect(await store.getSignal(winner[3]!.record.id)).toEqual(winner[3]!.record);
      expect(await store.countByState('signal')).toEqual({ DONE: 50 });
      expect(await store.countByState('candle')).toEqual({ DONE: 40 });
    });

    it('enters candles in the given state', async () => {
      const store = await open();
      await store.writeBulk({ candles: candlesFrom(2), candleState: 'PENDING' });
      expect(await store.countByState('candle')).toEqual({ PENDING: 2 });
    });

    it('refuses the whole batch when a candle or a signal is stored with other content', async () => {
      const store = await open();
      const candles = candlesFrom(4);
      await store.writeBulk({ candles: [candles[0]!], signals: [{ record: signalFor(candles[0]!, 0), state: 'DONE' }] });
      const otherCandle = { ...candles[0]!, volume: 99 };
      await expect(store.writeBulk({ candles: [candles[1]!, otherCandle] })).rejects.toMatchObject({ code: 'record_conflict' });
      const otherSignal = { ...signalFor(candles[0]!, 0), confidence: 0.11 };
      await expect(
        store.writeBulk({ candles: [candles[2]!], signals: [{ record: signalFor(candles[3]!, 3), state: 'DONE' }, { record: otherSignal, state: 'DONE' }] }),
      ).rejects.toMatchObject({ code: 'record_conflict' });
      expect(await store.countByState('candle')).toEqual({ DONE: 1 });
      expect(await store.countByState('signal')).toEqual({ DONE: 1 });
      expect(await store.getSignal(signalFor(candles[0]!, 0).id)).toEqual(signalFor(candles[0]!, 0));
    });

    it('refuses repeats inside the batch with other content, and invalid records, before writing', async () => {
      const store = await open();
      const [candle] = candlesFrom(1);
      await expect(store.writeBulk({ candles: [candle!, { ...candle!, close: candle!.close + 1, high: candle!.high + 1 }] })).rejects.toMatchObject({
        code: 'record_conflict',
      });
      const signal = signalFor(candle!, 1);
      await expect(store.writeBulk({ signals: [{ record: signal, state: 'DONE' }, { record: { ...signal, confidence: 0.2 }, state: 'DONE' }] })).rejects.toMatchObject({
        code: 'record_conflict',
      });
      await expect(store.writeBulk({ candles: [candle!, { ...candle!, startMs: candle!.startMs + 1, low: 1e9 }] })).rejects.toMatchObject({ code: 'validation_failed' });
      expect(await store.countByState('candle')).toEqual({});
      expect(await store.countByState('signal')).toEqual({});
    });

    it('refuses a candle that has not closed at the store clock (candle_not_closed), writing nothing of the batch', async () => {
      const store = await open();
      const hourMs = GRANULARITIES.ONE_HOUR;
      const nowMs = await store.nowMs();
      const lastClosed = testCandle({ startMs: Math.floor(nowMs / hourMs) * hourMs - hourMs }); // closes at now at the latest
      const inProgress = testCandle({ startMs: lastClosed.startMs + hourMs }); // closes after now
      const signal = { record: signalFor(lastClosed, 1), state: 'DONE' as const };
      for (const candles of [[lastClosed, inProgress], [inProgress], [testCandle({ startMs: Date.UTC(2099, 0, 1) }), lastClosed]]) {
        await expect(store.writeBulk({ candles, signals: [signal] })).rejects.toMatchObject({
          code: 'candle_not_closed',
          details: { startMs: candles.find((candle) => candle !== lastClosed)!.startMs },
        });
      }
      expect(await store.countByState('candle')).toEqual({});
      expect(await store.getSignal(signal.record.id)).toBeUndefined();
      await store.writeBulk({ candles: [lastClosed], signals: [signal] });
      expect(await store.getCandle('BTC-USD', 'ONE_HOUR', lastClosed.startMs)).toEqual(lastClosed);
    });

    it('prepares a batch larger than a chunk as it writes it, with the same refusals: an invalid record or a repeat with other content in a later chunk leaves nothing', async () => {
      const store = await open();
      const candles = Array.from({ length: 20_003 }, (_, index) => testCandle({ index, granularity: 'ONE_MINUTE' }));
      const signals = candles.map((candle, index) => ({ record: signalFor(candle, index), state: 'DONE' as const }));
      const invalid = { ...signals[20_001]!, record: { ...signals[20_001]!.record, confidence: 2 } };
      await expect(store.writeBulk({ candles, signals: [...signals.slice(0, -2), invalid] })).rejects.toMatchObject({ code: 'validation_failed' });
      const otherContent = { ...signals[3]!, record: { ...signals[3]!.record, confidence: 0.01 } };
      await expect(store.writeBulk({ signals: [...signals, otherContent] })).rejects.toMatchObject({ code: 'record_conflict' });
      expect(await store.countByState('candle')).toEqual({});
      expect(await store.countByState('signal')).toEqual({});
      // A same-content repeat in a later chunk is dropped, as one in the same chunk.
      await store.writeBulk({ candles, signals: [...signals, signals[3]!, signals[20_002]!] });
      expect(await store.countByState('signal')).toEqual({ DONE: 20_003 });
      expect(await store.getSignal(signals[20_002]!.record.id)).toEqual(signals[20_002]!.record);
    });

    it('is atomic across chunks (20,000 rows each): a conflict in the last chunk leaves nothing of the batch', async () => {
      const store = await open();
      const candles = Array.from({ length: 25_000 }, (_, index) => testCandle({ index, granularity: 'ONE_MINUTE' }));
      const signals = candles.map((candle, index) => ({ record: signalFor(candle, index), state: 'DONE' as const }));
      const last = signals.at(-1)!.record;
      await store.writeBulk({ signals: [{ record: { ...last, confidence: 0.01 }, state: 'DONE' }] });
      await expect(store.writeBulk({ candles, signals })).rejects.toMatchObject({ code: 'record_conflict' });
      expect(await store.countByState('candle')).toEqual({});
      expect(await store.countByState('signal')).toEqual({ DONE: 1 });
      await store.writeBulk({ candles, signals: signals.slice(0, -1) });
      expect(await store.countByState('candle')).toEqual({ DONE: 25_000 });
      expect(await store.countByState('signal')).toEqual({ DONE: 25_000 });
      expect(await store.getCandle('BTC-USD', 'ONE_MINUTE', candles[24_999]!.startMs)).toEqual(candles[24_999]);
    });

    it('stores the union of overlapping batches, first write wins (property)', async () => {
      const store = await open();
      let offsetMs = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.subarray([...Array(12).keys()], { minLength: 1 }), { minLength: 1, maxLength: 4 }), async (batches) => {
          // Each run works on its own stretch of time, so the runs do not see each other's rows.
          const base = (offsetMs += 100 * GRANULARITIES.ONE_HOUR) / GRANULARITIES.ONE_HOUR;
          const candles = candlesFrom(12, base);
          for (const indexes of batches) {
            await store.writeBulk({
              candles: indexes.map((index) => candles[index]!),
              signals: indexes.map((index) => ({ record: signalFor(candles[index]!, index), state: 'DONE' as const })),
            });
          }
          const written = new Set(batches.flat());
          for (const [index, candle] of candles.entries()) {
            expect(await store.getCandle('BTC-USD', 'ONE_HOUR', candle.startMs)).toEqual(written.has(index) ? candle : undefined);
            expect(await store.getSignal(signalFor(candle, index).id)).toEqual(written.has(index) ? signalFor(candle, index) : undefined);
          }
        }),
        { seed: 20261205, numRuns: 15 },
      );
    });
  });
}

const pglite = pgliteStoreFactory('bulk');
afterAll(async () => {
  await pglite.closeDatabase();
});
describeBulkWrite('pglite', pglite);

const pool = await openTestPool();
afterAll(async () => {
  await pool?.end();
});
describe.runIf(pool !== undefined)('PostgreSQL server', () => {
  if (pool === undefined) return;
  describeBulkWrite('postgres', pgStoreFactory(pool, 'bulk', { manualClock: true }));
});
