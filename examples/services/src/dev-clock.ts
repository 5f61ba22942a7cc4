// The simulated clock of a local dev stack (`tradepipe dev`): every process derives the same time from three
// variables, so separate services, their store and the fake exchange agree on "now" while candles replay fast.
import { TradepipeError, systemClock, type Clock } from '@tradepipe/core';

type Env = Readonly<Record<string, string | undefined>>;

/** The variables of the dev clock; all three or none. Never set in a deployment. */
export const DEV_CLOCK_VARIABLES = {
  /** The simulated time (epoch ms UTC) at the wall-clock instant `DEV_CLOCK_EPOCH_MS`. */
  startMs: 'DEV_CLOCK_START_MS',
  /** The wall-clock instant (epoch ms UTC) at which the simulated clock reads `DEV_CLOCK_START_MS`. */
  epochMs: 'DEV_CLOCK_EPOCH_MS',
  /** Simulated milliseconds per wall-clock millisecond (e.g. 17280: a day every 5 s). */
  rate: 'DEV_CLOCK_RATE',
} as const;

/** The most simulated milliseconds per wall-clock millisecond a dev clock runs at. */
export const MAX_DEV_CLOCK_RATE = 1_000_000;

/** A clock running `rate` times faster than the wall clock from a shared origin. */
export interface ScaledClock extends Clock {
  /** Simulated milliseconds per wall-clock millisecond. */
  readonly rate: number;
  /** The simulated time at `epochMs`. */
  readonly startMs: number;
  /** The wall-clock instant (epoch ms) the clock reads `startMs` at. */
  readonly epochMs: number;
}

/**
 * Creates a clock reading `startMs + (wall − epochMs) × rate`, where wall is the system clock: processes given
 * the same three numbers read the same time. `sleep(d)` waits `d / rate` wall-clock milliseconds.
 * @throws TradepipeError `config_invalid` unless the numbers are finite and `0 < rate ≤ 1,000,000`.
 * @example
 * const clock = createScaledClock({ startMs: Date.UTC(2024, 10, 8), epochMs: Date.now(), rate: 17_280 });
 * await clock.sleep(86_400_000); // one simulated day: five wall-clock seconds
 */
export function createScaledClock(options: { readonly startMs: number; readonly epochMs: number; readonly rate: number }): ScaledClock {
  const { startMs, epochMs, rate } = options;
  if (![startMs, epochMs, rate].every(Number.isFinite) || rate <= 0 || rate > MAX_DEV_CLOCK_RATE) {
    throw new TradepipeError('config_invalid', `A dev clock needs finite times and a rate in (0, ${MAX_DEV_CLOCK_RATE}]`);
  }
  const nowMs = (): number => Math.floor(startMs + (systemClock.nowMs() - epochMs) * rate);
  return {
    rate,
    startMs,
    epochMs,
    nowMs,
    sleep: (durationMs, signal) => systemClock.sleep(Math.max(0, durationMs) / rate, signal),
  };
}

/** Whether a clock is a {@link ScaledClock}. */
export function isScaledClock(clock: Clock): clock is ScaledClock {
  return typeof (clock as Partial<ScaledClock>).rate === 'number';
}

/** Whether a URL names this machine (a local fake), never a remote exchange. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const { hostname } = new URL(url);
    return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
  } catch {
    return false;
  }
}

function readNumber(env: Env, name: string): number {
  const text = env[name]?.trim() ?? '';
  const value = Number(text);
  if (text === '' || !Number.isFinite(value)) throw new TradepipeError('config_invalid', `${name} must be a number`, { details: { variable: name } });
  return value;
}

/**
 * The clock of a service: the system clock, or the dev clock when `DEV_CLOCK_START_MS`, `DEV_CLOCK_EPOCH_MS` and
 * `DEV_CLOCK_RATE` are set. A dev clock is refused unless `COINBASE_BASE_URL` is a loopback address (a local fake):
 * against a real exchange it would trade on a simulated time, sign requests for it and pace them by it — in live
 * mode or in paper mode alike.
 * @throws TradepipeError `config_invalid` when only some of the variables are set, a value is not a number, or the
 * exchange is not local.
 */
export function readServiceClock(env: Env): Clock {
  const set = Object.values(DEV_CLOCK_VARIABLES).filter((name) => (env[name]?.trim() ?? '') !== '');
  if (set.length === 0) return systemClock;
  if (set.length < 3) {
    throw new TradepipeError('config_invalid', `Set all of ${Object.values(DEV_CLOCK_VARIABLES).join(', ')} or none`, { details: { set: set.join(',') } });
  }
  const baseUrl = env.COINBASE_BASE_URL?.trim() ?? '';
  if (!isLoopbackUrl(baseUrl)) {
    throw new TradepipeError('config_invalid', 'A dev clock (DEV_CLOCK_*) runs only against a local fake exchange: COINBASE_BASE_URL must be a loopback URL', {
      details: { variable: 'COINBASE_BASE_URL' },
    });
  }
  return createScaledClock({ startMs: readNumber(env, DEV_CLOCK_VARIABLES.startMs), epochMs: readNumber(env, DEV_CLOCK_VARIABLES.epochMs), rate: readNumber(env, DEV_CLOCK_VARIABLES.rate) });
}
