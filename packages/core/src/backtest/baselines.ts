import { candleCloseMs, type Candle } from '../records/market.js';
import type { EquityPoint } from './equity-curve.js';
import type { TradeExecution } from './round-trips.js';

/** The costs a baseline pays: the same fee rate and slippage as the strategy it is compared with. */
export interface CostModel {
  /** Fee per trade, in basis points of the traded value (120 = 1.2 %, Coinbase's entry taker tier). */
  readonly feeRateBps: number;
  /** Price worsening per trade, in basis points (BUY higher, SELL lower). */
  readonly slippageBps: number;
}

/** A baseline's simulated account: its equity at the same instants as the strategy's, and its trades. */
export interface BaselineRun {
  /** A stable name (`buy_and_hold`, `sma_50_200`). */
  readonly name: string;
  /** Mark-to-market points: the start, then one at each candle's close. */
  readonly equity: EquityPoint[];
  /** The baseline's simulated trades, oldest first (ids `<name>-<n>`). */
  readonly executions: TradeExecution[];
}

/** An all-in, long-only account that trades at candle opens with the given costs. */
class SimulatedAccount {
  cashQuote: number;
  positionBase = 0;
  readonly executions: TradeExecution[] = [];
  constructor(
    startingQuote: number,
    private readonly costs: CostModel,
    private readonly name: string,
  ) {
    this.cashQuote = startingQuote;
  }

  /** Spends all cash, fee included (as a quote-size market order does). */
  buyAll(priceQuote: number, atMs: number, productId: string): void {
    if (this.cashQuote <= 0) return;
    const price = priceQuote * (1 + this.costs.slippageBps / 10_000);
    const rate = this.costs.feeRateBps / 10_000;
    const valueQuote = this.cashQuote / (1 + rate);
    const feeQuote = this.cashQuote - valueQuote;
    this.positionBase += valueQuote / price;
    this.record('BUY', { atMs, productId, sizeBase: valueQuote / price, priceQuote: price, feeQuote });
    this.cashQuote = 0;
  }

  /** Sells the whole position, the fee out of the proceeds. */
  sellAll(priceQuote: number, atMs: number, productId: string): void {
    if (this.positionBase <= 0) return;
    const price = priceQuote * (1 - this.costs.slippageBps / 10_000);
    const valueQuote = this.positionBase * price;
    const feeQuote = valueQuote * (this.costs.feeRateBps / 10_000);
    this.record('SELL', { atMs, productId, sizeBase: this.positionBase, priceQuote: price, feeQuote });
    this.cashQuote += valueQuote - feeQuote;
    this.positionBase = 0;
  }

  mark(atMs: number, priceQuote: number): EquityPoint {
    return { atMs, equityQuote: this.cashQuote + this.positionBase * priceQuote, cashQuote: this.cashQuote, positionBase: this.positionBase, priceQuote };
  }

  private record(side: 'BUY' | 'SELL', trade: Omit<TradeExecution, 'orderId' | 'side'>): void {
    this.executions.push({ ...trade, side, orderId: `${this.name}-${this.executions.length + 1}` });
  }
}

function sortedCandles(candles: readonly Candle[]): Candle[] {
  return [...candles].sort((a, b) => a.startMs - b.startMs);
}

/**
 * Buy and hold: all the starting cash buys at the first candle's open (with the fee and slippage), then the
 * position is marked at every close like the strategy's (no closing sale: neither curve is liquidated). The
 * starting point is the cash before the purchase, with the position already held (in the market the whole period).
 * @example
 * buyAndHoldBaseline({ candles, startingQuote: 1000, costs: { feeRateBps: 120, slippageBps: 5 } }).equity.at(-1);
 */
export function buyAndHoldBaseline(input: { readonly candles: readonly Candle[]; readonly startingQuote: number; readonly costs: CostModel }): BaselineRun {
  const candles = sortedCandles(input.candles);
  const account = new SimulatedAccount(input.startingQuote, input.costs, 'buy_and_hold');
  if (candles.length === 0) return { name: 'buy_and_hold', equity: [], executions: [] };
  const first = candles[0]!;
  account.buyAll(first.open, first.startMs, first.productId);
  // The starting point is worth the cash before the purchase (its costs show at the first close); the position is held from it.
  const equity: EquityPoint[] = [{ ...account.mark(first.startMs, first.open), equityQuote: input.startingQuote }];
  for (const candle of candles) equity.push(account.mark(candleCloseMs(candle), candle.close));
  return { name: 'buy_and_hold', equity, executions: account.executions };
}

/** Running simple moving averages of closes over two windows. */
function movingAverages(closes: readonly number[], fastWindow: number, slowWindow: number): { fast: (number | undefined)[]; slow: (number | undefined)[] } {
  const average = (window: number): (number | undefined)[] => {
    let sum = 0;
    return closes.map((close, index) => {
      sum += close - (index >= window ? closes[index - window]! : 0);
      return index + 1 >= window ? sum / window : undefined;
    });
  };
  return { fast: average(fastWindow), slow: average(slowWindow) };
}

/**
 * A long-only moving-average crossover (50/200 by default): at each close where the fast average of closes is
 * above the slow one the account wants to be in, below it out; it acts at the next candle's open (as the paper
 * executor fills), all in or all out, with the same costs as the strategy. `history` (candles before the
 * period, never traded) warms the averages so the rule can act from the first day.
 * @example
 * smaCrossoverBaseline({ history, candles, startingQuote: 1000, costs: { feeRateBps: 120, slippageBps: 5 } });
 */
export function smaCrossoverBaseline(input: {
  readonly candles: readonly Candle[];
  readonly history?: readonly Candle[];
  readonly startingQuote: number;
  readonly costs: CostModel;
  readonly fastWindow?: number;
  readonly slowWindow?: number;
}): BaselineRun {
  const fastWindow = input.fastWindow ?? 50;
  const slowWindow = input.slowWindow ?? 200;
  const name = `sma_${fastWindow}_${slowWindow}`;
  const candles = sortedCandles(input.candles);
  const history = sortedCandles(input.history ?? []).filter((candle) => candle.startMs < (candles[0]?.startMs ?? Number.POSITIVE_INFINITY));
  const { fast, slow } = movingAverages([...history, ...candles].map((candle) => candle.close), fastWindow, slowWindow);
  const account = new SimulatedAccount(input.startingQuote, input.costs, name);
  if (candles.length === 0) return { name, equity: [], executions: [] };
  const equity = [account.mark(candles[0]!.startMs, candles[0]!.open)];
  // The decision made at the close before the first candle (from history alone) acts at its open.
  let wantIn = history.length > 0 && isAbove(fast[history.length - 1], slow[history.length - 1]);
  for (const [index, candle] of candles.entries()) {
    if (wantIn) account.buyAll(candle.open, candle.startMs, candle.productId);
    else account.sellAll(candle.open, candle.startMs, candle.productId);
    equity.push(account.mark(candleCloseMs(candle), candle.close));
    wantIn = isAbove(fast[history.length + index], slow[history.length + index]);
  }
  return { name, equity, executions: account.executions };
}

function isAbove(fast: number | undefined, slow: number | undefined): boolean {
  return fast !== undefined && slow !== undefined && fast > slow;
}
