import { systemClock, type Clock, type Logger } from '@tradepipe/core';
import { parseCdpKey, type CdpKey } from './cdp-key.js';
import { createCoinbaseClient, type CoinbaseClient, type CoinbaseClientOptions } from './client.js';
import { startFakeCoinbase, type FakeCoinbase, type FakeCoinbaseOptions } from './testing/fake-server.js';
import { createTestKeyPair, type TestKeyPair } from './testing/test-keys.js';

/** A fake exchange with a client wired to it, for this package's tests. @internal */
export interface FakeSetup {
  readonly fake: FakeCoinbase;
  readonly client: CoinbaseClient;
  readonly keys: TestKeyPair;
  readonly key: CdpKey;
  close(): Promise<void>;
}

/** Starts a fake and a client for it. @internal */
export async function startFakeSetup(
  options: { readonly fake?: FakeCoinbaseOptions; readonly client?: Partial<CoinbaseClientOptions>; readonly clock?: Clock; readonly logger?: Logger; readonly keyType?: 'ec' | 'ed25519' } = {},
): Promise<FakeSetup> {
  const keys = createTestKeyPair({ type: options.keyType ?? 'ec' });
  const fake = await startFakeCoinbase({ keys: [keys], clock: options.clock ?? systemClock, ...options.fake });
  const key = parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem });
  const client = createCoinbaseClient({
    baseUrl: fake.url,
    key,
    clock: options.clock ?? systemClock,
    retryBaseDelayMs: 20,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...options.client,
  });
  return {
    fake,
    client,
    keys,
    key,
    async close() {
      await client.close();
      await fake.close();
    },
  };
}

/** A logger that keeps every line as JSON text, to scan for secrets. @internal */
export function createCapturingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => void lines.push(JSON.stringify({ level, message, ...fields }));
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
