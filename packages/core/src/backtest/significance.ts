import { TradepipeError } from '../errors.js';
import { sharpeRatio } from './statistics.js';

/** The result of a circular-shift test of a strategy's Sharpe ratio. */
export interface CircularShiftResult {
  /** The strategy's annualised Sharpe ratio on the unshifted positions (`null` if not defined). */
  readonly sharpe: number | null;
  /**
   * `(1 + shifts whose Sharpe ≥ the strategy's) / (1 + shifts)`: the chance of doing as well with the same
   * positions at random offsets in time. 1 when the strategy's Sharpe is not defined.
   */
  readonly pValue: number;
  /** How many shifts were tried and had a defined Sharpe ratio. */
  readonly shifts: number;
  /** The median Sharpe ratio over the shifts (`null` if none was defined). */
  readonly medianShiftedSharpe: number | null;
}

function strategyReturns(positions: readonly number[], assetReturns: readonly number[], offset: number, feeRate: number): number[] {
  const length = positions.length;
  const returns = new Array<number>(length);
  let previous = positions[(offset + length - 1) % length]!;
  for (let index = 0; index < length; index += 1) {
    const position = positions[(index + offset) % length]!;
    returns[index] = position * assetReturns[index]! - Math.abs(position - previous) * feeRate;
    previous = position;
  }
  return returns;
}

/**
 * Tests whether a strategy's timing carries information: its Sharpe ratio against those of the same position
 * series shifted circularly in time (which keeps how often and how long it is in the market, and breaks
 * the link to the returns). Deterministic: every shift from 1 to n − 1 when that is at most `maxShifts`,
 * else `maxShifts` shifts evenly spaced.
 * @param input.positions exposure held over each period (1 = all in, 0 = out), decided before the period
 * @param input.assetReturns the asset's simple return over each period, same length
 * @param input.periodsPerYear for annualising (365 for days)
 * @param input.feeRate cost per unit of position change (0.012 = 1.2 %), charged on the shifted series too
 * @throws TradepipeError `validation_failed` if the series differ in length, have fewer than 3 periods, or hold a non-finite value
 * @example
 * const { pValue } = circularShiftSignificance({ positions, assetReturns, periodsPerYear: 365 });
 */
export function circularShiftSignificance(input: {
  readonly positions: readonly number[];
  readonly assetReturns: readonly number[];
  readonly periodsPerYear: number;
  readonly feeRate?: number;
  readonly maxShifts?: number;
}): CircularShiftResult {
  const { positions, assetReturns, periodsPerYear } = input;
  const length = positions.length;
  if (length !== assetReturns.length || length < 3 || ![...positions, ...assetReturns].every(Number.isFinite)) {
    throw new TradepipeError('validation_failed', 'positions and asset returns must be finite series of the same length, at least 3', {
      details: { positions: length, assetReturns: assetReturns.length },
    });
  }
  const feeRate = input.feeRate ?? 0;
  const sharpe = sharpeRatio(strategyReturns(positions, assetReturns, 0, feeRate), periodsPerYear) ?? null;
  const shiftCount = Math.min(length - 1, Math.max(1, input.maxShifts ?? 1000));
  const shifted: number[] = [];
  let atLeastAsGood = 0;
  for (let step = 0; step < shiftCount; step += 1) {
    const offset = 1 + Math.floor((step * (length - 1)) / shiftCount);
    const value = sharpeRatio(strategyReturns(positions, assetReturns, offset, feeRate), periodsPerYear);
    if (value === undefined) continue;
    shifted.push(value);
    if (sharpe !== null && value >= sharpe) atLeastAsGood += 1;
  }
  shifted.sort((a, b) => a - b);
  const medianShiftedSharpe = shifted.length === 0 ? null : shifted[Math.floor((shifted.length - 1) / 2)]!;
  return { sharpe, pValue: sharpe === null ? 1 : (1 + atLeastAsGood) / (1 + shifted.length), shifts: shifted.length, medianShiftedSharpe };
}
