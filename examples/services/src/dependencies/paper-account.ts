import { fundPaperAccount as fund } from '@tradepipe/coinbase';
import type { ServiceContext } from '../service-context.js';

/**
 * Paper mode: puts `PAPER_STARTING_BALANCES` into a store that holds no balances yet, so risk sees equity
 * before the first order. Replaces nothing once any balance exists.
 */
export async function fundPaperAccount(context: ServiceContext): Promise<void> {
  if (await fund(context.store, context.settings.paperStartingBalances, context.clock.nowMs())) {
    context.logger.info('paper account funded', { currencies: Object.keys(context.settings.paperStartingBalances).join(',') });
  }
}
