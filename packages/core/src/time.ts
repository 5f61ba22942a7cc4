import { z } from 'zod';
import { TradepipeError } from './errors.js';

/** Where logic reads the time. Only {@link systemClock} reads the real clock. */
export interface Clock {
  /** Epoch milliseconds UTC. */
  nowMs(): number;
  /** Resolves after `durationMs` of this clock's time, or rejects when `signal` aborts. */
  sleep(durationMs: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  sleep: (durationMs, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, durationMs));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A clock that moves only when told: for tests, backtests and replays. */
export interface ManualClock extends Clock {
  /** Moves the clock forward, waking sleepers whose time has come. */
  advance(durationMs: number): void;
  /** Sets the clock to an instant (never backwards). */
  set(atMs: number): void;
}

/**
 * Creates a {@link ManualClock} starting at `startAtMs`.
 * @throws TradepipeError `validation_failed` if asked to move backwards.
 * @example
 * const clock = createManualClock(Date.UTC(2025, 0, 1));
 * clock.advance(60_000);
 */
export function createManualClock(startAtMs = 0): ManualClock {
  let currentMs = startAtMs;
  const sleepers = new Set<{ wakeAtMs: number; resolve: () => void }>();
  const wake = (): void => {
    for (const sleeper of [...sleepers]) {
      if (sleeper.wakeAtMs <= currentMs) {
        sleepers.delete(sleeper);
        sleeper.resolve();
      }
    }
  };
  return {
    nowMs: () => currentMs,
    advance(durationMs) {
      if (durationMs < 0) throw new TradepipeError('validation_failed', 'A manual clock cannot move backwards');
      currentMs += durationMs;
      wake();
    },
    set(atMs) {
      if (atMs < currentMs) throw new TradepipeError('validation_failed', 'A manual clock cannot move backwards');
      currentMs = atMs;
      wake();
    },
    sleep(durationMs, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const sleeper = {
          wakeAtMs: currentMs + Math.max(0, durationMs),
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = (): void => {
          sleepers.delete(sleeper);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        sleepers.add(sleeper);
        wake();
      });
    },
  };
}

/** Candle granularities, named as Coinbase names them. */
export const GRANULARITIES = {
  ONE_MINUTE: 60_000,
  FIVE_MINUTE: 300_000,
  FIFTEEN_MINUTE: 900_000,
  THIRTY_MINUTE: 1_800_000,
  ONE_HOUR: 3_600_000,
  TWO_HOUR: 7_200_000,
  FOUR_HOUR: 14_400_000,
  SIX_HOUR: 21_600_000,
  ONE_DAY: 86_400_000,
} as const;

/** zod schema of a {@link Granularity}. */
export const GranularitySchema = z.enum(Object.keys(GRANULARITIES) as [keyof typeof GRANULARITIES, ...(keyof typeof GRANULARITIES)[]]);

/** A candle granularity such as `ONE_MINUTE` or `ONE_DAY`. */
export type Granularity = z.infer<typeof GranularitySchema>;

/** The length of one candle of `granularity`, in milliseconds. */
export function granularityMs(granularity: Granularity): number {
  return GRANULARITIES[granularity];
}

/** The number of candles of `granularity` in one day of a market that trades 24/7. */
export function barsPerDay(granularity: Granularity): number {
  return 86_400_000 / GRANULARITIES[granularity];
}

/** Midnight UTC at or before `atMs`. */
export function startOfUtcDayMs(atMs: number): number {
  return atMs - (((atMs % 86_400_000) + 86_400_000) % 86_400_000);
}
