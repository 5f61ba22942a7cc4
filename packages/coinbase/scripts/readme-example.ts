// The usage example of README.md, kept here so that `tsc` checks it compiles. Run: npx tsx --conditions=@tradepipe/source scripts/readme-example.ts
import { createHmacApprovalSigner, createMemoryStore, silentLogger, systemClock, type StageContext } from '@tradepipe/core';
import { CoinbaseCandleSource, CoinbaseOrderExecutor, createCoinbaseClient, createPaperExecutor, loadCdpKey, type CoinbaseClient } from '@tradepipe/coinbase';

export async function main(): Promise<void> {
  // Market data needs no key: the public endpoints are enough.
  const publicClient = createCoinbaseClient();
  const candles = new CoinbaseCandleSource({ client: publicClient, publicEndpoints: true });
  const store = createMemoryStore({ clock: systemClock });
  const nowMs = systemClock.nowMs();
  for await (const page of candles.backfill({ productId: 'BTC-USD', granularity: 'ONE_HOUR', fromStartMs: nowMs - 7 * 86_400_000, toStartMs: nowMs })) {
    await store.putCandles(page);
  }

  // Paper trading is the default: fills at the next candle's open, with slippage and the taker fee.
  const approvalSigner = createHmacApprovalSigner({ keyId: 'risk-1', secret: process.env.RISK_APPROVAL_SECRET ?? '' });
  const paper = createPaperExecutor({ approvalSigner, slippageBps: 5, takerFeeRateBps: 120, startingBalances: { USD: '10000' } });
  const context: StageContext = { pipelineId: 'demo', clock: systemClock, logger: silentLogger, signal: new AbortController().signal, store };
  void paper;
  void context;

  // Live trading: a CDP key and the explicit opt-in, or the constructor throws `live_trading_not_enabled`.
  if (process.env.TRADEPIPE_LIVE === 'yes') {
    const client: CoinbaseClient = createCoinbaseClient({ key: await loadCdpKey({ env: process.env }) });
    const live = new CoinbaseOrderExecutor({ client, approvalSigner, liveTrading: { enabled: true, acknowledgeRealMoney: true } });
    const { drift } = await live.start(context);
    console.log('balance drift at start', drift);
    await client.close();
  }
  await publicClient.close();
}
