import {
  DEFAULT_GAP_POLICY,
  GRANULARITIES,
  TradepipeError,
  childLogger,
  sequenceCandles,
  silentLogger,
  systemClock,
  type Candle,
  type Clock,
  type GapPolicy,
  type Logger,
  type MarketDataSource,
  type SeriesKey,
} from '@tradepipe/core';
import { AsyncQueue } from './async-queue.js';
import { SeriesSequencer } from './candle-sequencer.js';
import { CandleWebSocketFeed, type WebSocketFactory } from './candle-websocket.js';
import { MAX_CANDLES_PER_REQUEST, type CoinbaseClient } from './client.js';
import type { JwtSigner } from './jwt-signer.js';
import { sleepInTimerSteps } from './timer-delay.js';

/** Options of {@link CoinbaseCandleSource}. */
export interface CoinbaseCandleSourceOptions {
  /** The REST client that backfills and polls candles (public endpoints need no key when `publicEndpoints` is set). */
  readonly client: CoinbaseClient;
  /** Decides which buckets have closed (default the system clock). */
  readonly clock?: Clock;
  /** Waits of the network layer: reconnect backoff and the heartbeat watchdog (default the system clock). */
  readonly networkClock?: Clock;
  /** Where gaps, reconnects and invalid messages are logged (default silent). */
  readonly logger?: Logger;
  /**
   * What to do with buckets Coinbase omits (no trades): fill or refuse (default {@link DEFAULT_GAP_POLICY}: fill up to
   * 1,440).
   */
  readonly gapPolicy?: GapPolicy;
  /** Use the public `/market/...` candle endpoints (no key needed). Default false. */
  readonly publicEndpoints?: boolean;
  /** Buckets per REST request (at most 300; Coinbase refuses more than 350). */
  readonly pageCandles?: number;
  /** Market data WebSocket (default `wss://advanced-trade-ws.coinbase.com`). */
  readonly websocketUrl?: string;
  /** Signs the WebSocket subscription, if given (market channels do not need it). */
  readonly jwtSigner?: JwtSigner;
  /** Creates the WebSocket (default undici's). */
  readonly webSocketFactory?: WebSocketFactory;
  /** Wait after a bucket ends before asking REST for it (default 2000 ms). */
  readonly closeDelayMs?: number;
  /** Reconnect when no message arrived for this long (default 15000 ms; heartbeats come every second). */
  readonly heartbeatTimeoutMs?: number;
  /** First reconnect delay, doubled up to 30 s (default 500 ms). */
  readonly reconnectDelayMs?: number;
}

/**
 * Coinbase candles as a `MarketDataSource`: REST backfill in pages of at most 300 buckets (rate-limited
 * by the client), closed candles only, with missing buckets (no trades) filled by core's gap policy; live
 * candles from the Advanced Trade WebSocket `candles` channel for FIVE_MINUTE series (the only size it
 * sends), with heartbeats, reconnects, sequence-gap detection and a REST backfill of whatever a disconnect
 * missed; other granularities are polled over REST as each bucket closes.
 * @example
 * const source = new CoinbaseCandleSource({ client, publicEndpoints: true });
 * for await (const page of source.backfill({ productId: 'BTC-USD', granularity: 'ONE_HOUR', fromStartMs, toStartMs })) await store.putCandles(page);
 * for await (const candle of source.subscribe({ series: [{ productId: 'BTC-USD', granularity: 'FIVE_MINUTE' }], signal })) handle(candle);
 */
export class CoinbaseCandleSource implements MarketDataSource {
  /** This source's name, `'coinbase'`. */
  readonly name = 'coinbase';
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly policy: GapPolicy;
  private readonly pageCandles: number;

  /** @throws TradepipeError `config_invalid` if `pageCandles` is outside 1–300. */
  constructor(private readonly options: CoinbaseCandleSourceOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = childLogger(options.logger ?? silentLogger, {}); // redacts before a user's own sink
    this.policy = options.gapPolicy ?? DEFAULT_GAP_POLICY;
    this.pageCandles = options.pageCandles ?? MAX_CANDLES_PER_REQUEST;
    if (!Number.isInteger(this.pageCandles) || this.pageCandles < 1 || this.pageCandles > MAX_CANDLES_PER_REQUEST) {
      throw new TradepipeError('config_invalid', 'pageCandles must be between 1 and 300');
    }
  }

  /** Closed candles with `fromStartMs <= start < toStartMs`, oldest first, in pages; the open bucket is never included. */
  async *backfill(request: SeriesKey & { readonly fromStartMs: number; readonly toStartMs: number; readonly signal?: AbortSignal }): AsyncIterable<readonly Candle[]> {
    const stepMs = GRANULARITIES[request.granularity];
    const openBucketStartMs = Math.floor(this.clock.nowMs() / stepMs) * stepMs;
    const endMs = Math.min(request.toStartMs, openBucketStartMs);
    let previous: Candle | undefined;
    for (let pageStartMs = Math.ceil(request.fromStartMs / stepMs) * stepMs; pageStartMs < endMs; pageStartMs += this.pageCandles * stepMs) {
      request.signal?.throwIfAborted();
      const pageEndMs = Math.min(pageStartMs + this.pageCandles * stepMs, endMs);
      const candles = await this.options.client.getCandles(
        { productId: request.productId, granularity: request.granularity, startMs: pageStartMs, endMs: pageEndMs, public: this.options.publicEndpoints === true },
        request.signal === undefined ? {} : { signal: request.signal },
      );
      const sequenced = sequenceCandles(candles, this.policy, previous);
      if (sequenced.length === 0) continue;
      previous = sequenced.at(-1);
      yield sequenced;
    }
  }

  /** Closed candles as they close, per series in order, until `signal` aborts. */
  subscribe(request: { readonly series: readonly SeriesKey[]; readonly signal: AbortSignal }): AsyncIterable<Candle> {
    const controller = new AbortController();
    const signal = AbortSignal.any([request.signal, controller.signal]);
    const queue = new AsyncQueue<Candle>(signal, () => controller.abort());
    const nowMs = this.clock.nowMs();
    const sequencers = request.series.map((series) => {
      const stepMs = GRANULARITIES[series.granularity];
      return new SeriesSequencer(series, Math.floor(nowMs / stepMs) * stepMs - stepMs, { policy: this.policy, logger: this.logger, emit: (candle) => queue.push(candle) });
    });
    const onFailure = (error: unknown): void => {
      if (!signal.aborted) queue.fail(error);
    };
    const live = sequencers.filter((sequencer) => sequencer.series.granularity === 'FIVE_MINUTE');
    if (live.length > 0) {
      const feed = new CandleWebSocketFeed({
        sequencers: live,
        catchUp: (sequencer) => this.catchUp(sequencer, signal),
        clock: this.clock,
        networkClock: this.options.networkClock ?? systemClock,
        logger: this.logger,
        url: this.options.websocketUrl ?? 'wss://advanced-trade-ws.coinbase.com',
        ...(this.options.jwtSigner === undefined ? {} : { jwtSigner: this.options.jwtSigner }),
        ...(this.options.webSocketFactory === undefined ? {} : { webSocketFactory: this.options.webSocketFactory }),
        closeDelayMs: this.options.closeDelayMs ?? 2_000,
        heartbeatTimeoutMs: this.options.heartbeatTimeoutMs ?? 15_000,
        reconnectDelayMs: this.options.reconnectDelayMs ?? 500,
      });
      feed.run(signal).catch(onFailure);
    }
    for (const sequencer of sequencers.filter((item) => item.series.granularity !== 'FIVE_MINUTE')) this.poll(sequencer, signal).catch(onFailure);
    return queue;
  }

  /** Emits, through the sequencer, every closed candle after the last one it emitted. */
  private async catchUp(sequencer: SeriesSequencer, signal: AbortSignal): Promise<void> {
    const stepMs = GRANULARITIES[sequencer.series.granularity];
    const openBucketStartMs = Math.floor(this.clock.nowMs() / stepMs) * stepMs;
    if (sequencer.nextStartMs >= openBucketStartMs) return;
    for await (const page of this.backfill({ ...sequencer.series, fromStartMs: sequencer.nextStartMs, toStartMs: openBucketStartMs, signal })) {
      for (const candle of page) sequencer.offer(candle);
    }
  }

  /** REST polling for granularities the WebSocket does not send: ask after each bucket ends. */
  private async poll(sequencer: SeriesSequencer, signal: AbortSignal): Promise<void> {
    const stepMs = GRANULARITIES[sequencer.series.granularity];
    const closeDelayMs = this.options.closeDelayMs ?? 2_000;
    let pollAtMs = sequencer.nextStartMs + stepMs + closeDelayMs;
    while (!signal.aborted) {
      const waitMs = pollAtMs - this.clock.nowMs();
      if (waitMs > 0) {
        try {
          await sleepInTimerSteps(this.clock, waitMs, signal);
        } catch {
          return;
        }
      }
      try {
        await this.catchUp(sequencer, signal);
        // Next poll after the bucket open now ends (a quiet bucket is not asked for again and again).
        pollAtMs = (Math.floor(this.clock.nowMs() / stepMs) + 1) * stepMs + closeDelayMs;
      } catch (error) {
        if (signal.aborted) return;
        this.logger.warn('coinbase candle poll failed', { productId: sequencer.series.productId, error });
        await sleepInTimerSteps(this.options.networkClock ?? systemClock, this.options.reconnectDelayMs ?? 500, signal).catch(() => undefined);
      }
    }
  }
}
