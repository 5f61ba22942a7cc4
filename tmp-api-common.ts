import { readFileSync } from 'node:fs';
import { ProductSchema, createHmacApprovalSigner, createManualClock, createMemoryStore, parseCandleCsv } from '@tradepipe/core';
import { PaperExecutor } from '@tradepipe/coinbase';
import { createExitPolicy, createRiskManager } from '@tradepipe/risk';

export async function setup(splitDate = Date.UTC(2024, 8, 25), startingUsd = '1000') {
  const candles = parseCandleCsv({ text: readFileSync('data/btc-usd-1d.csv', 'utf8'), productId: 'BTC-USD', granularity: 'ONE_DAY' });
  const split = candles.findIndex((c) => c.startMs >= splitDate);
  const history = candles.slice(0, split);
  const holdOut = candles.slice(split);
  const clock = createManualClock(holdOut[0]!.startMs);
  const store = createMemoryStore({ clock });
  await store.putProduct(ProductSchema.parse({
    productId: 'BTC-USD', baseCurrency: 'BTC', quoteCurrency: 'USD', baseIncrement: '0.00000001', quoteIncrement: '0.01',
    priceIncrement: '0.01', baseMinSize: '0.00000001', quoteMinSize: '1', status: 'online',
  }));
  await store.putCandles(history, { state: 'DONE' });
  const signer = createHmacApprovalSigner({ keyId: 'bt', secret: 'a secret of at least thirty-two bytes' });
  const risk = createRiskManager({ signer, approvalTtlMs: 300_000, limits: { maxOrderQuote: 100, maxPositionQuote: 600, maxTotalExposureQuote: 600, maxPortfolioHeat: 0.5, maxDailyLossFraction: 0.05, maxOrdersPerHour: 10 } });
  const exits = createExitPolicy({ stopLossAtr: 2, takeProfitAtr: 4 });
  const executor = new PaperExecutor({ approvalSigner: signer, slippageBps: 5, takerFeeRateBps: 120, startingBalances: { USD: startingUsd } });
  return { candles, history, holdOut, clock, store, signer, risk, exits, executor };
}
