import { WebSocket } from 'undici';
import { z } from 'zod';
import { CandleSchema, GRANULARITIES, type Candle, type Clock, type Logger } from '@tradepipe/core';
import type { SeriesSequencer } from './candle-sequencer.js';
import type { JwtSigner } from './jwt-signer.js';
import { sleepInTimerSteps } from './timer-delay.js';

/** Creates the WebSocket the candle feed reads (default: undici's `WebSocket`). */
export type WebSocketFactory = (url: string) => WebSocket;

const EnvelopeSchema = z.object({ channel: z.string(), sequence_num: z.number().int(), events: z.array(z.unknown()).default([]) });
const ErrorMessageSchema = z.object({ type: z.literal('error'), message: z.string().default('') });
const CandleEventSchema = z.object({
  candles: z.array(z.object({ start: z.string(), high: z.string(), low: z.string(), open: z.string(), close: z.string(), volume: z.string(), product_id: z.string() })).default([]),
});

/** What the WebSocket feed needs. @internal */
export interface CandleFeedOptions {
  readonly sequencers: readonly SeriesSequencer[];
  readonly catchUp: (sequencer: SeriesSequencer) => Promise<void>;
  readonly clock: Clock;
  readonly networkClock: Clock;
  readonly logger: Logger;
  readonly url: string;
  readonly jwtSigner?: JwtSigner;
  readonly webSocketFactory?: WebSocketFactory;
  readonly closeDelayMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly reconnectDelayMs: number;
}

const STEP_MS = GRANULARITIES.FIVE_MINUTE;

/**
 * Live FIVE_MINUTE candles from the Advanced Trade WebSocket. Keeps the newest bucket of each product and
 * emits it once a newer bucket appears or the clock passes its end (checked on every message, heartbeats
 * included). After every (re)connect and every `sequence_num` gap it backfills over REST what it may have
 * missed, holding WebSocket candles until that is done so the order is kept.
 * @internal
 */
export class CandleWebSocketFeed {
  private readonly bySymbol: ReadonlyMap<string, SeriesSequencer>;

  constructor(private readonly options: CandleFeedOptions) {
    this.bySymbol = new Map(options.sequencers.map((sequencer) => [sequencer.series.productId, sequencer]));
  }

  /** Connects, reconnecting with backoff, until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      const healthy = await this.session(signal);
      if (signal.aborted) return;
      attempt = healthy ? 0 : attempt + 1;
      const delayMs = Math.min(this.options.reconnectDelayMs * 2 ** attempt, 30_000);
      this.options.logger.warn('coinbase websocket reconnecting', { delayMs, attempt });
      try {
        await sleepInTimerSteps(this.options.networkClock, delayMs, signal);
      } catch {
        return;
      }
    }
  }

  /** One connection; resolves when it closes, true if it delivered messages. */
  private session(signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = (this.options.webSocketFactory ?? ((url: string) => new WebSocket(url)))(this.options.url);
      const held = new Map<string, Candle>();
      const pending: Candle[] = [];
      const sessionControl = new AbortController();
      let expectedSequence: number | undefined;
      let catchingUp = false;
      let needsCatchUp = true;
      let received = false;
      let lastMessageAtMs = this.options.networkClock.nowMs();
      const close = (): void => {
        if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close();
      };
      const onAbort = (): void => close();
      signal.addEventListener('abort', onAbort, { once: true });
      const finish = (): void => {
        signal.removeEventListener('abort', onAbort);
        sessionControl.abort();
        resolve(received);
      };
      const emit = (candle: Candle): void => {
        if (catchingUp) pending.push(candle);
        else this.bySymbol.get(candle.productId)?.offer(candle);
      };
      const startCatchUp = (): void => {
        if (catchingUp || !needsCatchUp) return;
        catchingUp = true;
        needsCatchUp = false;
        void Promise.all(this.options.sequencers.map((sequencer) => this.options.catchUp(sequencer)))
          .catch((error: unknown) => {
            needsCatchUp = true;
            this.options.logger.warn('coinbase candle catch-up failed', { error });
          })
          .finally(() => {
            catchingUp = false;
            for (const candle of pending.splice(0).sort((a, b) => a.startMs - b.startMs)) emit(candle);
          });
      };
      const closeDueBuckets = (): void => {
        for (const [productId, candle] of held) {
          if (candle.startMs + STEP_MS + this.options.closeDelayMs <= this.options.clock.nowMs()) {
            held.delete(productId);
            emit(candle);
          }
        }
      };
      const onCandle = (candle: Candle): void => {
        const current = held.get(candle.productId);
        if (current !== undefined && candle.startMs > current.startMs) emit(current);
        if (current === undefined || candle.startMs >= current.startMs) held.set(candle.productId, candle);
      };
      socket.addEventListener('open', () => {
        void this.subscribe(socket).catch((error: unknown) => {
          this.options.logger.warn('coinbase websocket subscribe failed', { error });
          close();
        });
        startCatchUp();
      });
      socket.addEventListener('message', (event) => {
        received = true;
        lastMessageAtMs = this.options.networkClock.nowMs();
        const sequence = this.handleMessage(String(event.data), onCandle);
        if (sequence === 'error') return close();
        if (sequence !== undefined) {
          if (expectedSequence !== undefined && sequence > expectedSequence) {
            this.options.logger.warn('coinbase websocket sequence gap', { expected: expectedSequence, received: sequence });
            needsCatchUp = true;
          }
          if (expectedSequence === undefined || sequence >= expectedSequence) expectedSequence = sequence + 1;
        }
        closeDueBuckets();
        startCatchUp();
      });
      socket.addEventListener('close', finish);
      socket.addEventListener('error', () => close());
      void this.watchdog(sessionControl.signal, () => lastMessageAtMs, close);
    });
  }

  /** Parses one message: feeds candles to `onCandle`; returns its sequence number, or `error`. */
  private handleMessage(text: string, onCandle: (candle: Candle) => void): number | 'error' | undefined {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return undefined;
    }
    const failure = ErrorMessageSchema.safeParse(json);
    if (failure.success) {
      this.options.logger.warn('coinbase websocket error message', { message: failure.data.message.slice(0, 200) });
      return 'error';
    }
    const envelope = EnvelopeSchema.safeParse(json);
    if (!envelope.success) return undefined;
    if (envelope.data.channel === 'candles') {
      for (const event of envelope.data.events) {
        const parsed = CandleEventSchema.safeParse(event);
        if (!parsed.success) continue;
        for (const wire of parsed.data.candles) {
          const candle = CandleSchema.safeParse({
            productId: wire.product_id,
            granularity: 'FIVE_MINUTE',
            startMs: Number(wire.start) * 1000,
            open: Number(wire.open),
            high: Number(wire.high),
            low: Number(wire.low),
            close: Number(wire.close),
            volume: Number(wire.volume),
          });
          if (candle.success && this.bySymbol.has(candle.data.productId)) onCandle(candle.data);
          else if (!candle.success) this.options.logger.warn('coinbase websocket candle invalid', { productId: wire.product_id });
        }
      }
    }
    return envelope.data.sequence_num;
  }

  private async subscribe(socket: WebSocket): Promise<void> {
    const productIds = [...this.bySymbol.keys()];
    for (const channel of ['heartbeats', 'candles']) {
      const jwt = this.options.jwtSigner === undefined ? undefined : await this.options.jwtSigner.signWebSocket();
      socket.send(JSON.stringify({ type: 'subscribe', channel, product_ids: channel === 'heartbeats' ? [] : productIds, ...(jwt === undefined ? {} : { jwt }) }));
    }
  }

  /** Closes a connection that has been silent for longer than the heartbeat timeout. */
  private async watchdog(signal: AbortSignal, lastMessageAtMs: () => number, close: () => void): Promise<void> {
    const checkEveryMs = Math.max(10, Math.floor(this.options.heartbeatTimeoutMs / 4));
    while (!signal.aborted) {
      try {
        await sleepInTimerSteps(this.options.networkClock, checkEveryMs, signal);
      } catch {
        return;
      }
      if (this.options.networkClock.nowMs() - lastMessageAtMs() > this.options.heartbeatTimeoutMs) {
        this.options.logger.warn('coinbase websocket silent, reconnecting', { heartbeatTimeoutMs: this.options.heartbeatTimeoutMs });
        close();
        return;
      }
    }
  }
}
