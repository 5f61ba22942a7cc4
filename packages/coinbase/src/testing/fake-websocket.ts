import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import type { Clock } from '@tradepipe/core';
import { verifyFakeJwt, type FakeApiKey } from './fake-auth.js';
import type { FakeWireCandle } from './fake-candles.js';
import { encodeFrame, readFrames, websocketAccept } from './websocket-frames.js';
import { MAX_TIMER_DELAY_MS } from '../timer-delay.js';

const CHANNELS = ['heartbeats', 'candles', 'market_trades', 'status', 'ticker', 'ticker_batch', 'level2', 'user', 'futures_balance_summary'] as const;
const SubscribeSchema = z.object({
  type: z.enum(['subscribe', 'unsubscribe']),
  channel: z.enum(CHANNELS),
  product_ids: z.array(z.string()).default([]),
  jwt: z.string().optional(),
});

interface Connection {
  readonly socket: Duplex;
  sequence: number;
  readonly subscriptions: Map<string, Set<string>>;
  heartbeatCounter: number;
  pendingSkip: number;
  heartbeatTimer?: NodeJS.Timeout;
  subscribeTimer?: NodeJS.Timeout;
}

/** The fake's WebSocket controls. */
export interface FakeWebSocketControls {
  /** Open connections. */
  readonly connectionCount: number;
  /** Connections opened since the start. */
  readonly connectionsOpened: number;
  /** Sends a `candles` update (5-minute buckets) to subscribers of the product. */
  publishCandles(productId: string, candles: readonly FakeWireCandle[]): void;
  /** Sends a `market_trades` update to subscribers of the product. */
  publishTrades(productId: string, trades: readonly { readonly price: string; readonly size: string; readonly side: 'BUY' | 'SELL'; readonly timeMs: number }[]): void;
  /** Drops every connection without a close frame (a network failure). */
  dropConnections(): void;
  /** The next message of every connection skips `count` sequence numbers (a lost message). */
  skipSequence(count: number): void;
  /** Stops sending heartbeats (a stalled feed) until called with `false`. */
  pauseHeartbeats(paused: boolean): void;
  /** Open connections subscribed to `channel` for `productId` (a test waits for it instead of sleeping). */
  subscriberCount(channel: string, productId: string): number;
}

/** The WebSocket side of the fake, on `node:http` upgrade. @internal */
export class FakeWebSocketHub implements FakeWebSocketControls {
  private readonly connections = new Set<Connection>();
  private heartbeatsPaused = false;
  private opened = 0;

  constructor(
    private readonly options: { readonly clock: Clock; readonly keys: ReadonlyMap<string, FakeApiKey>; readonly heartbeatIntervalMs: number; readonly subscribeTimeoutMs: number },
  ) {}

  get connectionCount(): number {
    return this.connections.size;
  }

  subscriberCount(channel: string, productId: string): number {
    return [...this.connections].filter((connection) => connection.subscriptions.get(channel)?.has(productId) === true).length;
  }

  get connectionsOpened(): number {
    return this.opened;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex): void {
    const key = request.headers['sec-websocket-key'];
    if (typeof key !== 'string' || request.headers.upgrade?.toLowerCase() !== 'websocket') {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${websocketAccept(key)}\r\n\r\n`);
    const connection: Connection = { socket, sequence: 0, subscriptions: new Map(), heartbeatCounter: 0, pendingSkip: 0 };
    this.connections.add(connection);
    this.opened += 1;
    connection.subscribeTimer = setTimeout(() => {
      if (connection.subscriptions.size === 0) this.close(connection);
    }, Math.min(this.options.subscribeTimeoutMs, MAX_TIMER_DELAY_MS));
    const forget = (): void => this.forget(connection);
    socket.on('close', forget);
    socket.on('error', forget);
    readFrames(socket, (frame) => {
      if (frame.opcode === 8) this.close(connection);
      else if (frame.opcode === 9) socket.write(encodeFrame(10, frame.payload));
      else if (frame.opcode === 1) void this.onMessage(connection, frame.payload.toString('utf8'));
    });
  }

  private async onMessage(connection: Connection, text: string): Promise<void> {
    let parsed;
    try {
      parsed = SubscribeSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || !parsed.success) return this.sendRaw(connection, { type: 'error', message: 'Failed to parse the message' });
    const message = parsed.data;
    if (message.channel === 'user' || message.jwt !== undefined) {
      const key = message.jwt === undefined ? undefined : await verifyFakeJwt(message.jwt, this.options.keys, { nowMs: this.options.clock.nowMs() });
      if (key === undefined) return this.sendRaw(connection, { type: 'error', message: 'authentication failure' });
    }
    const products = connection.subscriptions.get(message.channel) ?? new Set<string>();
    for (const productId of message.product_ids) {
      if (message.type === 'subscribe') products.add(productId);
      else products.delete(productId);
    }
    if (message.type === 'subscribe') connection.subscriptions.set(message.channel, products);
    if (message.channel === 'heartbeats' && message.type === 'subscribe' && connection.heartbeatTimer === undefined) {
      connection.heartbeatTimer = setInterval(() => this.heartbeat(connection), Math.min(this.options.heartbeatIntervalMs, MAX_TIMER_DELAY_MS));
    }
    const summary: Record<string, string[]> = {};
    for (const [channel, ids] of connection.subscriptions) summary[channel] = [...ids];
    this.send(connection, 'subscriptions', [{ subscriptions: summary }]);
  }

  private heartbeat(connection: Connection): void {
    if (this.heartbeatsPaused) return;
    connection.heartbeatCounter += 1;
    this.send(connection, 'heartbeats', [{ current_time: new Date(this.options.clock.nowMs()).toISOString(), heartbeat_counter: connection.heartbeatCounter }]);
  }

  publishCandles(productId: string, candles: readonly FakeWireCandle[]): void {
    const events = [{ type: 'update', candles: candles.map((candle) => ({ ...candle, product_id: productId })) }];
    for (const connection of this.connections) {
      if (connection.subscriptions.get('candles')?.has(productId) === true) this.send(connection, 'candles', events);
    }
  }

  publishTrades(productId: string, trades: readonly { readonly price: string; readonly size: string; readonly side: 'BUY' | 'SELL'; readonly timeMs: number }[]): void {
    const events = [
      {
        type: 'update',
        trades: trades.map((trade, index) => ({ trade_id: `${trade.timeMs}-${index}`, product_id: productId, price: trade.price, size: trade.size, side: trade.side, time: new Date(trade.timeMs).toISOString() })),
      },
    ];
    for (const connection of this.connections) {
      if (connection.subscriptions.get('market_trades')?.has(productId) === true) this.send(connection, 'market_trades', events);
    }
  }

  dropConnections(): void {
    for (const connection of [...this.connections]) {
      connection.socket.destroy();
      this.forget(connection);
    }
  }

  skipSequence(count: number): void {
    for (const connection of this.connections) connection.pendingSkip += count;
  }

  pauseHeartbeats(paused: boolean): void {
    this.heartbeatsPaused = paused;
  }

  closeAll(): void {
    for (const connection of [...this.connections]) this.close(connection);
  }

  private send(connection: Connection, channel: string, events: readonly unknown[]): void {
    connection.sequence += connection.pendingSkip;
    connection.pendingSkip = 0;
    const envelope = { channel, client_id: '', timestamp: new Date(this.options.clock.nowMs()).toISOString(), sequence_num: connection.sequence, events };
    connection.sequence += 1;
    this.sendRaw(connection, envelope);
  }

  private sendRaw(connection: Connection, message: unknown): void {
    if (!connection.socket.writable) return;
    connection.socket.write(encodeFrame(1, Buffer.from(JSON.stringify(message))));
  }

  private close(connection: Connection): void {
    if (connection.socket.writable) connection.socket.end(encodeFrame(8, Buffer.from([0x03, 0xe8])));
    this.forget(connection);
  }

  private forget(connection: Connection): void {
    clearInterval(connection.heartbeatTimer);
    clearTimeout(connection.subscribeTimer);
    this.connections.delete(connection);
  }
}
