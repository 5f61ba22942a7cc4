import { decimal } from '@tradepipe/core';
import type { ServiceContext } from '../service-context.js';

/**
 * Paper mode: puts `PAPER_STARTING_BALANCES` into a store that holds no balances yet, so risk sees equity
 * before the first order. Replaces nothing once any balance exists.
 */
export async function fundPaperAccount(context: ServiceContext): Promise<void> {
  if ((await context.store.listBalances()).length > 0) return;
  const updatedAtMs = context.clock.nowMs();
  const balances = Object.entries(context.settings.paperStartingBalances).map(([currency, available]) => ({ currency, available: decimal(available), hold: decimal('0'), updatedAtMs }));
  await context.store.putBalances(balances);
  context.logger.info('paper account funded', { currencies: balances.map((balance) => balance.currency).join(',') });
}
