import { z } from 'zod';
import type { Candle, ExitRule, Position, RiskState } from '@tradepipe/core';
import { toApproxNumber } from '@tradepipe/core';
import { averageTrueRange } from './atr.js';

/**
 * zod schema of the exit policy's options. Distances are multiples of the ATR at the evaluated candle;
 * set a rule to `null` to turn it off.
 * @example
 * const options = ExitPolicyOptionsSchema.parse({ stopLossAtr: 2, takeProfitAtr: null, maxHoldingTimeMs: 86_400_000 });
 */
export const ExitPolicyOptionsSchema = z
  .object({
    /** ATR smoothing period. */
    atrPeriod: z.number().int().positive().default(14),
    /** Stop-loss: sell when close ≤ entry − k × ATR. */
    stopLossAtr: z.number().finite().positive().nullable().default(2),
    /** Take-profit: sell when close ≥ entry + k × ATR. */
    takeProfitAtr: z.number().finite().positive().nullable().default(4),
    /** Trailing stop: sell when close ≤ highest high since entry − k × ATR. */
    trailingStopAtr: z.number().finite().positive().nullable().default(3),
    /** Candles of history the trailing high looks back over (also bounded by when the position opened). */
    trailingLookbackCandles: z.number().int().positive().default(500),
    /** Maximum holding time: sell when now − openedAt ≥ this. */
    maxHoldingTimeMs: z.number().int().positive().nullable().default(null),
    /** Share of the position an exit sells (1 = all of it). */
    exitFraction: z.number().positive().max(1).default(1),
    /** How long an exit recommendation stays valid. */
    recommendationTtlMs: z.number().int().positive().default(300_000),
  })
  .strict();

/** Exit policy options as written in config. */
export interface ExitPolicyOptionsInput extends z.input<typeof ExitPolicyOptionsSchema> {}

/** Validated exit policy options; see {@link ExitPolicyOptionsSchema}. */
export interface ExitPolicyOptions extends z.output<typeof ExitPolicyOptionsSchema> {}

/** Which exit rule fired, and the figures that made it fire. */
export interface ExitTrigger {
  readonly rule: ExitRule;
  readonly detail: string;
}

/** What the exit rules look at. */
export interface ExitRuleInput {
  readonly candle: Candle;
  readonly position: Position;
  /** Candles up to and including `candle`, oldest first; later ones are ignored. */
  readonly recentCandles: readonly Candle[];
  readonly riskState: RiskState;
  readonly nowMs: number;
}

/**
 * Evaluates the exit rules on one closed candle, in priority order: kill switch (flatten mode) →
 * stop-loss → trailing stop → take-profit → maximum holding time. Prices are the candle's close (an exit
 * sells after the candle closes); ATR is Wilder's over `atrPeriod` at this candle. Uses no candle after `candle`.
 * @returns the rule that fired, or `undefined`
 * @example
 * evaluateExitRules({ candle, position, recentCandles, riskState, nowMs }, ExitPolicyOptionsSchema.parse({}));
 */
export function evaluateExitRules(input: ExitRuleInput, options: ExitPolicyOptions): ExitTrigger | undefined {
  const { candle, position, riskState, nowMs } = input;
  if (toApproxNumber(position.sizeBase) <= 0) return undefined;
  if (riskState.killSwitch.engaged && riskState.killSwitch.mode === 'flatten') {
    return { rule: 'kill_switch', detail: `Kill switch engaged in flatten mode${riskState.killSwitch.reason === undefined ? '' : `: ${riskState.killSwitch.reason}`}`.slice(0, 500) };
  }
  const history = input.recentCandles.filter((item) => item.startMs <= candle.startMs && item.productId === candle.productId);
  if (history.length === 0 || history[history.length - 1]!.startMs !== candle.startMs) history.push(candle);
  const atr = averageTrueRange(history.slice(-(options.atrPeriod + 1)), options.atrPeriod);
  const entry = toApproxNumber(position.averageEntryPrice);
  const close = candle.close;
  if (atr !== undefined && entry > 0) {
    if (options.stopLossAtr !== null && close <= entry - options.stopLossAtr * atr) {
      return { rule: 'stop_loss', detail: `close ${close} ≤ entry ${entry} − ${options.stopLossAtr} × ATR ${round(atr)}` };
    }
    if (options.trailingStopAtr !== null) {
      const since = history.slice(-options.trailingLookbackCandles).filter((item) => position.openedAtMs === undefined || item.startMs >= position.openedAtMs);
      const highest = since.reduce((max, item) => Math.max(max, item.high), 0);
      if (highest > 0 && close <= highest - options.trailingStopAtr * atr) {
        return { rule: 'trailing_stop', detail: `close ${close} ≤ high ${highest} − ${options.trailingStopAtr} × ATR ${round(atr)}` };
      }
    }
    if (options.takeProfitAtr !== null && close >= entry + options.takeProfitAtr * atr) {
      return { rule: 'take_profit', detail: `close ${close} ≥ entry ${entry} + ${options.takeProfitAtr} × ATR ${round(atr)}` };
    }
  }
  if (options.maxHoldingTimeMs !== null && position.openedAtMs !== undefined && nowMs - position.openedAtMs >= options.maxHoldingTimeMs) {
    return { rule: 'max_holding_time', detail: `held ${nowMs - position.openedAtMs} ms ≥ ${options.maxHoldingTimeMs} ms` };
  }
  return undefined;
}

function round(value: number): number {
  return Math.round(value * 1e8) / 1e8;
}
