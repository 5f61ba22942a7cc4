import { z } from 'zod';
import {
  TradepipeError,
  recordOrderIntent,
  verifyRiskApproval,
  clientOrderIdFor,
  compareDecimal,
  decimal,
  decimalFromNumber,
  GranularitySchema,
  toApproxNumber,
  type ApprovalSigner,
  type DecimalString,
  type Order,
  type OrderExecutor,
  type Product,
  type RiskApproval,
  type StageContext,
  type TradeRecommendation,
  type PipelineStore,
} from '@tradepipe/core';
import { assertTradable, isTerminalOrder, minimumSizeRefusal, updateOrderStatus } from './executor-intent.js';
import { simulatePaperFill } from './paper-fill-model.js';

/** The taker fee used when none is configured or read: 120 bps (1.2 %), reported for Coinbase's entry tier. */
export const DEFAULT_PAPER_TAKER_FEE_BPS = 120;

/** zod schema of the paper executor's plain options. */
export const PaperExecutorOptionsSchema = z.object({
  /** Price moved against the taker, in basis points (default 5). */
  slippageBps: z.number().nonnegative().max(10_000).default(5),
  /** Taker fee in basis points; when absent it is read from `feeTierSource` or defaults to 120. */
  takerFeeRateBps: z.number().nonnegative().max(10_000).optional(),
  /** Candle granularity for next-price fills (default: the recommendation's). */
  granularity: GranularitySchema.optional(),
  /** Balances put in the store on the first order if it holds none (e.g. `{ USD: '10000' }`). */
  startingBalances: z.record(z.string(), z.string().regex(/^\d+(\.\d+)?$/)).optional(),
});

/**
 * Funds a paper account: puts `balances` (currency → decimal amount) into a store that holds no balances yet,
 * so risk sees equity before the first order. Changes nothing once any balance exists.
 * @returns whether the account was funded now
 * @throws TradepipeError `validation_failed` for an amount that is not a decimal
 * @example
 * await fundPaperAccount(store, { USD: '1000' }, clock.nowMs());
 */
export async function fundPaperAccount(store: PipelineStore, balances: Readonly<Record<string, string>>, nowMs: number): Promise<boolean> {
  if ((await store.listBalances()).length > 0) return false;
  await store.putBalances(Object.entries(balances).map(([currency, available]) => ({ currency, available: decimal(available), hold: decimal('0'), updatedAtMs: nowMs })));
  return true;
}

/** A quote for paper fills: the first price at or after `afterMs`, if there is one yet. */
export type PaperQuoteSource = (request: { readonly productId: string; readonly side: 'BUY' | 'SELL'; readonly afterMs: number; readonly signal: AbortSignal }) => Promise<DecimalString | undefined>;

/** Options of {@link createPaperExecutor}. */
export type PaperExecutorOptions = z.input<typeof PaperExecutorOptionsSchema> & {
  /** Verifies risk approvals (a verify-only signer is enough). */
  readonly approvalSigner: ApprovalSigner;
  /** Where the next price comes from instead of the next candle's open (e.g. live best bid/ask). */
  readonly quoteSource?: PaperQuoteSource;
  /** Reads the fee tier (a `CoinbaseClient`): used once when `takerFeeRateBps` is not set. */
  readonly feeTierSource?: { getFeeTier(options?: { readonly signal?: AbortSignal }): Promise<{ readonly takerFeeRate: string }> };
  /** Products by id, when the store does not hold them. */
  readonly products?: readonly Product[];
};

/**
 * The paper venue, tradepipe's default executor: the same order states and records as live trading, with
 * fills simulated at the first price after the decision (the open of the first candle starting at or after
 * the order's creation, or `quoteSource`), never the close the signal saw. Applies slippage, the taker fee,
 * increments, minimum sizes and available balances.
 * @example
 * const paper = new PaperExecutor({ approvalSigner, slippageBps: 5, takerFeeRateBps: 120 });
 * const order = await paper.execute({ recommendation, approval }, context); // ACKNOWLEDGED until the next candle exists
 * const later = await paper.refresh(order, context); // EXECUTED at that candle's open
 */
export class PaperExecutor implements OrderExecutor {
  /** This executor's name, `'paper'`. */
  readonly name = 'paper';
  /** The venue written on every order and fill it records: `'paper'` (simulated, no money moves). */
  readonly venue = 'paper' as const;
  private readonly settings: z.output<typeof PaperExecutorOptionsSchema>;
  private feeRateBps: number | undefined;

  /** @throws TradepipeError `config_invalid` for invalid options. */
  constructor(private readonly options: PaperExecutorOptions) {
    const parsed = PaperExecutorOptionsSchema.safeParse(options);
    if (!parsed.success) throw new TradepipeError('config_invalid', 'Invalid paper executor options', { details: { firstPath: parsed.error.issues[0]?.path.join('.') ?? '' } });
    this.settings = parsed.data;
    this.feeRateBps = parsed.data.takerFeeRateBps;
  }

  /** @throws TradepipeError `approval_invalid`, `approval_expired`, `approval_consumed`, `product_not_tradable`, `not_found` (unknown product) */
  async execute(input: { readonly recommendation: TradeRecommendation; readonly approval: RiskApproval | undefined }, context: StageContext): Promise<Order> {
    context.signal.throwIfAborted();
    const existing = await context.store.getOrderByClientOrderId(clientOrderIdFor(input.recommendation.id));
    if (existing !== undefined) return this.refresh(existing, context);
    const nowMs = context.clock.nowMs();
    const approval = verifyRiskApproval(this.options.approvalSigner, input.approval, nowMs);
    const product = await this.product(input.recommendation.productId, context);
    assertTradable(product);
    await this.fundOnce(context);
    const intent = await recordOrderIntent({ store: context.store, signer: this.options.approvalSigner, nowMs, recommendation: input.recommendation, approval, venue: 'paper', product });
    const refusal = minimumSizeRefusal(intent, product) ?? (await this.fundsRefusal(intent, product, context));
    if (refusal !== undefined) return updateOrderStatus(intent, { status: 'REJECTED', statusReason: refusal, completedAtMs: context.clock.nowMs() }, context);
    const acknowledged = await updateOrderStatus(intent, { status: 'ACKNOWLEDGED', exchangeOrderId: `paper-${intent.id}`, submittedAtMs: context.clock.nowMs() }, context);
    return this.refresh(acknowledged, context);
  }

  /** Called by the pipeline before its first execution: funds the account with `startingBalances` if the store holds none. */
  async start(context: StageContext): Promise<void> {
    await this.fundOnce(context);
  }

  /**
   * Fills an acknowledged order once the next price exists; otherwise returns it unchanged. A price that is not a
   * positive decimal (a quote source answering zero, a negative number or junk) ends it FAILED with
   * `INVALID_REFERENCE_PRICE`, nothing filled.
   */
  async refresh(order: Order, context: StageContext): Promise<Order> {
    if (isTerminalOrder(order)) return order;
    const product = await this.product(order.productId, context);
    const referencePrice = await this.nextPrice(order, product, context);
    if (referencePrice === undefined) return order;
    const outcome = simulatePaperFill({
      side: order.side,
      ...(order.quoteSize === undefined ? {} : { quoteSize: order.quoteSize }),
      ...(order.baseSize === undefined ? {} : { baseSize: order.baseSize }),
      referencePrice,
      slippageBps: this.settings.slippageBps,
      feeRateBps: await this.takerFeeRateBps(context),
      product,
    });
    if ('reason' in outcome) return updateOrderStatus(order, { status: 'FAILED', statusReason: outcome.reason, completedAtMs: context.clock.nowMs() }, context);
    const filledAtMs = context.clock.nowMs();
    await context.store.recordFill(
      { id: `paper-${order.id}-1`, orderId: order.id, clientOrderId: order.clientOrderId, venue: 'paper', productId: order.productId, side: order.side, price: outcome.price, sizeBase: outcome.sizeBase, commission: outcome.commission, liquidity: 'TAKER', filledAtMs },
      { quoteCurrency: product.quoteCurrency, baseCurrency: product.baseCurrency },
    );
    return updateOrderStatus(order, { status: 'EXECUTED', filledBaseSize: outcome.sizeBase, filledQuoteValue: outcome.valueQuote, averageFillPrice: outcome.price, totalFees: outcome.commission, completedAtMs: filledAtMs }, context);
  }

  private async product(productId: string, context: StageContext): Promise<Product> {
    const product = this.options.products?.find((candidate) => candidate.productId === productId) ?? (await context.store.getProduct(productId));
    if (product === undefined) throw new TradepipeError('not_found', 'The paper executor does not know the product', { details: { productId } });
    return product;
  }

  private async fundOnce(context: StageContext): Promise<void> {
    if (this.settings.startingBalances !== undefined) await fundPaperAccount(context.store, this.settings.startingBalances, context.clock.nowMs());
  }

  private async fundsRefusal(order: Order, product: Product, context: StageContext): Promise<string | undefined> {
    const balances = await context.store.listBalances();
    const currency = order.side === 'BUY' ? product.quoteCurrency : product.baseCurrency;
    const needed = order.side === 'BUY' ? order.quoteSize : order.baseSize;
    const available = balances.find((balance) => balance.currency === currency)?.available ?? decimal('0');
    return needed !== undefined && compareDecimal(available, needed) < 0 ? 'INSUFFICIENT_FUND' : undefined;
  }

  private async nextPrice(order: Order, product: Product, context: StageContext): Promise<DecimalString | undefined> {
    if (this.options.quoteSource !== undefined) {
      return this.options.quoteSource({ productId: order.productId, side: order.side, afterMs: order.createdAtMs, signal: context.signal });
    }
    const granularity = this.settings.granularity ?? (await context.store.getRecommendation(order.recommendationId))?.record.granularity;
    if (granularity === undefined) throw new TradepipeError('config_invalid', 'The paper executor needs a granularity or the recommendation in the store', { details: { orderId: order.id } });
    const candles = await context.store.getCandles({ productId: order.productId, granularity, asOfMs: context.clock.nowMs(), fromStartMs: order.createdAtMs });
    const next = candles.find((candle) => candle.startMs >= order.createdAtMs);
    return next === undefined ? undefined : decimalFromNumber(next.open, product.priceIncrement, 'half-even');
  }

  private async takerFeeRateBps(context: StageContext): Promise<number> {
    if (this.feeRateBps !== undefined) return this.feeRateBps;
    const source = this.options.feeTierSource;
    if (source === undefined) return (this.feeRateBps = DEFAULT_PAPER_TAKER_FEE_BPS);
    try {
      const tier = await source.getFeeTier({ signal: context.signal });
      this.feeRateBps = Math.round(toApproxNumber(decimal(tier.takerFeeRate)) * 10_000 * 1_000) / 1_000;
    } catch (error) {
      context.logger.warn('paper fee tier unavailable, using the default', { error, takerFeeRateBps: DEFAULT_PAPER_TAKER_FEE_BPS });
      this.feeRateBps = DEFAULT_PAPER_TAKER_FEE_BPS;
    }
    return this.feeRateBps;
  }
}

/**
 * Creates the paper executor.
 * @returns a {@link PaperExecutor}
 * @throws TradepipeError `config_invalid` for invalid options.
 * @example
 * const executor = createPaperExecutor({ approvalSigner, slippageBps: 5, startingBalances: { USD: '10000' } });
 */
export function createPaperExecutor(options: PaperExecutorOptions): PaperExecutor {
  return new PaperExecutor(options);
}
