import { toApproxNumber } from '../decimal.js';
import type { Fill } from '../records/execution.js';

/**
 * A closed round trip: one entry lot (a BUY order's fills) matched, first in first out, against the part of
 * one SELL order that closed it. A SELL that closes two lots makes two round trips; a lot closed by two
 * SELLs (a partial exit, then the rest) makes two as well, each with its share of the entry fee.
 */
export interface RoundTrip {
  /** The product traded, e.g. `BTC-USD`. */
  readonly productId: string;
  /** The BUY order whose lot was closed. */
  readonly entryOrderId: string;
  /** The SELL order that closed it. */
  readonly exitOrderId: string;
  /** When the BUY order last filled, epoch ms. */
  readonly entryAtMs: number;
  /** When the SELL order last filled, epoch ms. */
  readonly exitAtMs: number;
  /** Base size closed by this round trip. */
  readonly sizeBase: number;
  /** Average entry price of the lot, before fees. */
  readonly entryPriceQuote: number;
  /** Average exit price of the SELL, before fees. */
  readonly exitPriceQuote: number;
  /** Entry fee share plus exit fee share, pro rata by size. */
  readonly feesQuote: number;
  /** `(exit − entry) × size − fees`. */
  readonly pnlQuote: number;
  /** PnL over the entry cost (entry value plus its fee share). */
  readonly returnFraction: number;
  /** `exitAtMs − entryAtMs`, ms. */
  readonly holdingMs: number;
}

/** Base still held from an entry lot that no SELL has closed yet. */
export interface OpenLot {
  /** The product bought, e.g. `BTC-USD`. */
  readonly productId: string;
  /** The BUY order that opened the lot. */
  readonly entryOrderId: string;
  /** When the BUY order last filled, epoch ms. */
  readonly entryAtMs: number;
  /** Base still held from the lot (its size minus what SELLs closed), base currency. */
  readonly sizeBase: number;
  /** Average fill price of the BUY order, before fees, quote currency per base unit. */
  readonly entryPriceQuote: number;
  /** The lot's entry fee share for the size still open. */
  readonly entryFeeQuote: number;
}

/** One order's fills taken together, as numbers (reporting only). Baselines make these without fills. */
export interface TradeExecution {
  /** The order's id (a baseline's own `<name>-<n>` for simulated trades). */
  readonly orderId: string;
  /** The product traded, e.g. `BTC-USD`. */
  readonly productId: string;
  /** BUY or SELL, as the order's fills say. */
  readonly side: 'BUY' | 'SELL';
  /** The last fill's time. */
  readonly atMs: number;
  /** Total base filled, over all the order's fills (always above 0). */
  readonly sizeBase: number;
  /** Size-weighted average fill price, before fees. */
  readonly priceQuote: number;
  /** Total commission of the fills, quote currency. */
  readonly feeQuote: number;
}

/**
 * Fills grouped by order into executions, oldest first (at one instant BUYs before SELLs, then by order id).
 * @example
 * executionsFromFills(await store.listFills(order.id));
 */
export function executionsFromFills(fills: readonly Fill[]): TradeExecution[] {
  const byOrder = new Map<string, Fill[]>();
  for (const fill of fills) byOrder.set(fill.orderId, [...(byOrder.get(fill.orderId) ?? []), fill]);
  const executions: TradeExecution[] = [];
  for (const [orderId, orderFills] of byOrder) {
    let size = 0;
    let value = 0;
    let fee = 0;
    for (const fill of orderFills) {
      const fillSize = toApproxNumber(fill.sizeBase);
      size += fillSize;
      value += fillSize * toApproxNumber(fill.price);
      fee += toApproxNumber(fill.commission);
    }
    if (size <= 0) continue;
    const first = orderFills[0]!;
    const atMs = Math.max(...orderFills.map((fill) => fill.filledAtMs));
    executions.push({ orderId, productId: first.productId, side: first.side, atMs, sizeBase: size, priceQuote: value / size, feeQuote: fee });
  }
  return executions.sort((a, b) => a.atMs - b.atMs || (a.side === b.side ? 0 : a.side === 'BUY' ? -1 : 1) || a.orderId.localeCompare(b.orderId));
}

interface Lot {
  readonly execution: TradeExecution;
  remainingBase: number;
}

function closeAgainst(lot: Lot, exit: TradeExecution, sizeBase: number): RoundTrip {
  const entry = lot.execution;
  const feesQuote = (entry.feeQuote * sizeBase) / entry.sizeBase + (exit.feeQuote * sizeBase) / exit.sizeBase;
  const entryCost = entry.priceQuote * sizeBase + (entry.feeQuote * sizeBase) / entry.sizeBase;
  const pnlQuote = (exit.priceQuote - entry.priceQuote) * sizeBase - feesQuote;
  return {
    productId: entry.productId,
    entryOrderId: entry.orderId,
    exitOrderId: exit.orderId,
    entryAtMs: entry.atMs,
    exitAtMs: exit.atMs,
    sizeBase,
    entryPriceQuote: entry.priceQuote,
    exitPriceQuote: exit.priceQuote,
    feesQuote,
    pnlQuote,
    returnFraction: entryCost > 0 ? pnlQuote / entryCost : 0,
    holdingMs: exit.atMs - entry.atMs,
  };
}

/**
 * Round trips from fills, long only, first in first out per product: each BUY order opens a lot; each SELL
 * order closes the oldest lots first. Fees are shared pro rata by size. A SELL beyond what is held (a
 * position older than the fills given) closes nothing for the excess.
 * @returns the closed round trips in exit order, and the lots still open
 * @example
 * // BUY 1 @ 100 (fee 1), SELL 0.4 @ 110 (fee 0.44): one round trip of 0.4, PnL 4 − 0.4 − 0.44 = 3.16
 * const { roundTrips, openLots } = buildRoundTrips(fills);
 */
export function buildRoundTrips(fills: readonly Fill[]): RoundTripResult {
  return matchRoundTrips(executionsFromFills(fills));
}

/** Round trips closed and lots still open. */
export interface RoundTripResult {
  /** Closed round trips, in the order their SELL executions came. */
  readonly roundTrips: RoundTrip[];
  /** Lots no SELL closed (fully or in part), grouped by product, oldest first within a product. */
  readonly openLots: OpenLot[];
}

/**
 * {@link buildRoundTrips} on executions already grouped (oldest first), e.g. a baseline's simulated trades.
 * @example
 * matchRoundTrips([{ orderId: 'b', productId: 'BTC-USD', side: 'BUY', atMs: 0, sizeBase: 1, priceQuote: 100, feeQuote: 1 }]);
 */
export function matchRoundTrips(executions: readonly TradeExecution[]): RoundTripResult {
  const lotsByProduct = new Map<string, Lot[]>();
  const roundTrips: RoundTrip[] = [];
  const epsilon = 1e-12;
  for (const execution of executions) {
    const lots = lotsByProduct.get(execution.productId) ?? [];
    lotsByProduct.set(execution.productId, lots);
    if (execution.side === 'BUY') {
      lots.push({ execution, remainingBase: execution.sizeBase });
      continue;
    }
    let toClose = execution.sizeBase;
    while (toClose > epsilon && lots.length > 0) {
      const lot = lots[0]!;
      const size = Math.min(lot.remainingBase, toClose);
      roundTrips.push(closeAgainst(lot, execution, size));
      lot.remainingBase -= size;
      toClose -= size;
      if (lot.remainingBase <= epsilon * Math.max(1, lot.execution.sizeBase)) lots.shift();
    }
  }
  const openLots = [...lotsByProduct.values()].flat().map(({ execution, remainingBase }) => ({
    productId: execution.productId,
    entryOrderId: execution.orderId,
    entryAtMs: execution.atMs,
    sizeBase: remainingBase,
    entryPriceQuote: execution.priceQuote,
    entryFeeQuote: (execution.feeQuote * remainingBase) / execution.sizeBase,
  }));
  return { roundTrips, openLots };
}
