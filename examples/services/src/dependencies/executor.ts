import { CoinbaseOrderExecutor, PaperExecutor, type CoinbaseClient, type PaperQuoteSource } from '@tradepipe/coinbase';
import { TradepipeError, type OrderExecutor, type PipelineStore, type StageContext } from '@tradepipe/core';
import { storeSchemaFromEnv } from '../open-store.js';
import { readPackageOptions } from '../package-options.js';
import type { BackgroundTask, ServiceContext, ServiceDependencies } from '../service-context.js';
import { createServiceApprovalSigner } from './approval-signer.js';
import { createServiceCoinbaseClient } from './coinbase-client.js';
import { fundPaperAccount } from './paper-account.js';

/** Paper prices from Coinbase: the ask for a BUY and the bid for a SELL with a key, else the public product price. */
function coinbaseQuotes(client: CoinbaseClient, keyed: boolean): PaperQuoteSource {
  return async ({ productId, side, signal }) => {
    if (keyed) {
      const [book] = await client.getBestBidAsk([productId], { signal });
      const price = side === 'BUY' ? book?.ask : book?.bid;
      if (price !== undefined) return price;
    }
    const product = await client.getProduct(productId, { public: true, signal });
    return product.price;
  };
}

function stageContext(context: ServiceContext, signal: AbortSignal): StageContext {
  return { pipelineId: context.config.pipelineId, clock: context.clock, logger: context.logger, signal, store: context.store };
}

/**
 * Refuses live money on a store that holds paper trading history: its positions, balances, daily loss and
 * order counts would be taken for real money's. Reads the orders once, at start (every paper fill belongs to a
 * paper order, `venue: 'paper'`).
 * @throws TradepipeError `config_invalid` with the count of paper orders, naming `STORE_SCHEMA`
 */
export async function refusePaperHistory(store: PipelineStore, schema: string): Promise<void> {
  const paperOrders = (await store.listOrders({})).filter((order) => order.venue === 'paper').length;
  if (paperOrders === 0) return;
  throw new TradepipeError(
    'config_invalid',
    `TRADING_MODE=live refused: this store (STORE_SCHEMA ${schema}) holds paper trading history (${paperOrders} paper orders and their fills); use a new STORE_SCHEMA for live money`,
    { details: { paperOrders, schema } },
  );
}

async function liveExecutor(context: ServiceContext): Promise<{ executor: CoinbaseOrderExecutor; client: CoinbaseClient }> {
  if (context.config.mode !== 'live' || !context.config.liveTradingConfirmed) {
    throw new TradepipeError('live_trading_not_enabled', 'The Coinbase executor needs TRADING_MODE=live and the LIVE_TRADING_CONFIRM value');
  }
  await refusePaperHistory(context.store, storeSchemaFromEnv(context.env));
  const { client } = await createServiceCoinbaseClient(context, { requireKey: true });
  const executor = new CoinbaseOrderExecutor({
    ...readPackageOptions('coinbaseExecutor', context.env),
    client,
    approvalSigner: createServiceApprovalSigner(context),
    liveTrading: { enabled: true, acknowledgeRealMoney: true },
  });
  return { executor, client };
}

/**
 * The executor of trade-executor (8024, `execution`) and fill-tracker (8029, `fills`): the
 * {@link PaperExecutor} unless `TRADING_MODE=live` with `LIVE_TRADING_CONFIRM` (core's `loadConfig` refuses
 * live mode without it), then the {@link CoinbaseOrderExecutor} with the CDP key, on a store without paper
 * trading history ({@link refusePaperHistory}). The fill tracker's pipeline
 * runs the fills stage and, with it, core's order reconciler (every order that has not ended is followed
 * until the exchange answers, every `PIPELINE_RECONCILE_INTERVAL_MS`, with capped backoff); it also
 * reconciles balances every `RECONCILE_INTERVAL_MS` when the executor can.
 */
export async function executorDependencies(context: ServiceContext): Promise<ServiceDependencies> {
  const reconcile = context.service.stage === 'fills';
  if (context.config.mode === 'live') {
    const { executor, client } = await liveExecutor(context);
    const background: BackgroundTask[] = reconcile ? [(signal) => executor.runReconciliation(context.settings.reconcileIntervalMs, stageContext(context, signal))] : [];
    return {
      slots: { executor },
      beforeStart: async (signal) => {
        const reconciliation = await executor.start(stageContext(context, signal));
        context.logger.info('coinbase executor started', { drifts: reconciliation.drift.length });
      },
      background,
      close: () => client.close(),
    };
  }
  const paper = readPackageOptions('paper', context.env);
  const quotes = context.settings.paperQuoteSource === 'coinbase' ? await createServiceCoinbaseClient(context, { requireKey: false }) : undefined;
  const executor: OrderExecutor = new PaperExecutor({
    ...paper,
    approvalSigner: createServiceApprovalSigner(context),
    ...(quotes === undefined ? {} : { quoteSource: coinbaseQuotes(quotes.client, quotes.keyed) }),
  });
  return {
    slots: { executor },
    beforeStart: () => fundPaperAccount(context),
    ...(quotes === undefined ? {} : { close: () => quotes.client.close() }),
  };
}
