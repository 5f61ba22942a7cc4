import { addDecimal, compareDecimal, decimal, type Balance, type DecimalString, type StageContext } from '@tradepipe/core';
import type { CoinbaseClient } from './client.js';

/** A currency whose stored balance differed from Coinbase's. */
export interface BalanceDrift {
  /** The currency, e.g. `USD` or `BTC`. */
  readonly currency: string;
  /** The available amount the store held before the reconciliation (`0` if it held none). */
  readonly storedAvailable: DecimalString;
  /**
   * The available amount Coinbase reports, summed over the currency's accounts (`0` if it has no account); now stored.
   */
  readonly exchangeAvailable: DecimalString;
}

/**
 * A position the store holds that Coinbase's balances cannot cover: the store believes more of the base
 * currency is held (by this pipeline) than the account holds in all. A SELL of it would be refused.
 */
export interface PositionDrift {
  /** The product of the position, e.g. `BTC-USD`. */
  readonly productId: string;
  /** The position's size in the base currency, as the store holds it (from fills). */
  readonly positionSizeBase: DecimalString;
  /** What the account holds of the base currency in all (available plus hold), smaller than the position. */
  readonly exchangeBase: DecimalString;
}

/** What a reconciliation found: Coinbase's balances (now stored), balance drift, and uncovered positions. */
export interface BalanceReconciliation {
  /**
   * Coinbase's balances, one per currency, as now stored (a stored currency Coinbase no longer lists is stored as
   * zero).
   */
  readonly balances: readonly Balance[];
  /** Currencies whose stored available amount differed from Coinbase's; empty when none did. */
  readonly drift: readonly BalanceDrift[];
  /**
   * Stored positions larger than the base currency the account holds (available plus hold); empty when all are covered.
   */
  readonly positionDrift: readonly PositionDrift[];
}

/**
 * Reads `/accounts`, reports where the store's balances drifted from Coinbase's and replaces them with
 * Coinbase's (the venue is the truth), and reports positions the account's holdings cannot cover (positions
 * come from fills and keep their cost basis; they are reported, not rewritten).
 * @internal
 */
export async function reconcileBalances(client: CoinbaseClient, context: StageContext): Promise<BalanceReconciliation> {
  const accounts = await client.listAccounts({ signal: context.signal });
  const updatedAtMs = context.clock.nowMs();
  const totals = new Map<string, { available: DecimalString; hold: DecimalString }>();
  for (const account of accounts) {
    const hold = account.hold?.value ?? decimal('0');
    const previous = totals.get(account.currency);
    totals.set(
      account.currency,
      previous === undefined
        ? { available: account.available_balance.value, hold }
        : { available: addDecimal(previous.available, account.available_balance.value), hold: addDecimal(previous.hold, hold) },
    );
  }
  const balances: Balance[] = [...totals.entries()].map(([currency, amounts]) => ({ currency, available: amounts.available, hold: amounts.hold, updatedAtMs }));
  const stored = new Map((await context.store.listBalances()).map((balance) => [balance.currency, balance.available]));
  const drift: BalanceDrift[] = [];
  for (const balance of balances) {
    const storedAvailable = stored.get(balance.currency) ?? decimal('0');
    if (compareDecimal(storedAvailable, balance.available) !== 0) drift.push({ currency: balance.currency, storedAvailable, exchangeAvailable: balance.available });
  }
  for (const [currency, storedAvailable] of stored) {
    if (!totals.has(currency) && compareDecimal(storedAvailable, decimal('0')) !== 0) {
      drift.push({ currency, storedAvailable, exchangeAvailable: decimal('0') });
      balances.push({ currency, available: decimal('0'), hold: decimal('0'), updatedAtMs });
    }
  }
  await context.store.putBalances(balances);
  if (drift.length > 0) context.logger.warn('coinbase balance drift', { drift: drift.map((item) => `${item.currency}: stored ${item.storedAvailable}, exchange ${item.exchangeAvailable}`) });
  const positionDrift: PositionDrift[] = [];
  for (const position of await context.store.listPositions()) {
    const baseCurrency = (await context.store.getProduct(position.productId))?.baseCurrency ?? position.productId.split('-')[0]!;
    const held = totals.get(baseCurrency);
    const exchangeBase = held === undefined ? decimal('0') : addDecimal(held.available, held.hold);
    if (compareDecimal(position.sizeBase, exchangeBase) > 0) positionDrift.push({ productId: position.productId, positionSizeBase: position.sizeBase, exchangeBase });
  }
  if (positionDrift.length > 0) {
    context.logger.warn('positions exceed what the coinbase account holds', { drift: positionDrift.map((item) => `${item.productId}: position ${item.positionSizeBase}, account ${item.exchangeBase}`) });
  }
  return { balances, drift, positionDrift };
}
