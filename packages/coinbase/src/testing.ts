/**
 * @packageDocumentation
 * Test doubles for `@tradepipe/coinbase`: a fake Coinbase Advanced Trade exchange (HTTP and WebSocket on
 * 127.0.0.1) and a helper that makes CDP-shaped key pairs at test time.
 */
export { startFakeCoinbase, type FakeCoinbase, type FakeCoinbaseOptions, type FakeRequestLogEntry } from './testing/fake-server.js';
export { createTestKeyPair, type TestKeyPair } from './testing/test-keys.js';
export type { FakeApiKey } from './testing/fake-auth.js';
export type { FakeFaults, FaultMatch } from './testing/fake-faults.js';
export type { FakeWebSocketControls } from './testing/fake-websocket.js';
export type { FakeWireCandle } from './testing/fake-candles.js';
export type { FakeProductInput } from './testing/fake-products.js';
export type { FakeMarketOrderFills } from './testing/fake-orders.js';
export type { FakeProduct, FakeFill, FakeBalance, FakeOrder } from './testing/fake-exchange.js';
