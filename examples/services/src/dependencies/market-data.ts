import type { MarketDataSource } from '@tradepipe/core';
import { CoinbaseCandleSource, type CoinbaseClient } from '@tradepipe/coinbase';
import type { ServiceContext, ServiceDependencies } from '../service-context.js';
import { createServiceCoinbaseClient } from './coinbase-client.js';

/**
 * `source`, ended (not failed) once `draining` aborts: the ingest loop holds no work item, so a draining
 * service stops it at once (the page in hand is stored first) instead of waiting out the drain timeout, after
 * which the pipeline would abort it anyway. The next start backfills from the last stored candle.
 */
export function endWhenDraining(source: MarketDataSource, draining: AbortSignal): MarketDataSource {
  const joined = (signal: AbortSignal | undefined): AbortSignal => (signal === undefined ? draining : AbortSignal.any([signal, draining]));
  return {
    name: source.name,
    backfill: (request) => untilDraining(draining, () => source.backfill({ ...request, signal: joined(request.signal) })),
    subscribe: (request) => untilDraining(draining, () => source.subscribe({ ...request, signal: joined(request.signal) })),
  };
}

async function* untilDraining<T>(draining: AbortSignal, open: () => AsyncIterable<T>): AsyncIterable<T> {
  if (draining.aborted) return;
  try {
    for await (const item of open()) {
      yield item;
      if (draining.aborted) return;
    }
  } catch (error) {
    if (draining.aborted) return;
    throw error;
  }
}

async function refreshProducts(context: ServiceContext, client: CoinbaseClient, publicEndpoints: boolean, signal: AbortSignal): Promise<void> {
  for (const productId of context.config.products) {
    const product = await client.getProduct(productId, { public: publicEndpoints, signal });
    await context.store.putProduct(product);
  }
  context.logger.info('products refreshed', { products: context.config.products.join(',') });
}

/**
 * market-data (8026): the `ingest` stage with Coinbase candles (REST backfill, then WebSocket or polling),
 * and the products (status, increments) kept fresh in the store for the bridge, risk and the executor.
 */
export async function marketDataDependencies(context: ServiceContext): Promise<ServiceDependencies> {
  const { client, keyed } = await createServiceCoinbaseClient(context, { requireKey: false });
  const publicEndpoints = context.settings.coinbasePublicEndpoints ?? !keyed;
  const source = new CoinbaseCandleSource({
    client,
    publicEndpoints,
    clock: context.clock,
    logger: context.logger,
    ...(context.settings.coinbaseWebsocketUrl === undefined ? {} : { websocketUrl: context.settings.coinbaseWebsocketUrl }),
  });
  const series = context.config.products.map((productId) => ({ productId, granularity: context.config.granularity }));
  const productLoop = async (signal: AbortSignal): Promise<void> => {
    while (!signal.aborted) {
      try {
        await refreshProducts(context, client, publicEndpoints, signal);
      } catch (error) {
        if (signal.aborted) return;
        context.logger.warn('product refresh failed', { error });
      }
      await context.clock.sleep(context.settings.productRefreshMs, signal).catch(() => undefined);
    }
  };
  return {
    slots: { marketData: { source: endWhenDraining(source, context.draining), series, backfillCandles: context.settings.backfillCandles } },
    background: [productLoop],
    close: () => client.close(),
  };
}
