import { createCoinbaseClient, createJwtSigner, loadCdpKey, type CoinbaseClient } from '@tradepipe/coinbase';
import { isScaledClock } from '../dev-clock.js';
import { readPackageOptions } from '../package-options.js';
import type { ServiceContext } from '../service-context.js';

/** The CDP key variables `loadCdpKey` reads (secrets). */
export const CDP_KEY_VARIABLES = ['COINBASE_API_KEY_NAME', 'COINBASE_API_PRIVATE_KEY', 'COINBASE_API_KEY_FILE'] as const;

/** Whether the environment names a CDP key. */
export function hasCdpKey(env: ServiceContext['env']): boolean {
  const set = (name: string): boolean => (env[name]?.trim() ?? '') !== '';
  return (set('COINBASE_API_KEY_NAME') && set('COINBASE_API_PRIVATE_KEY')) || set('COINBASE_API_KEY_FILE');
}

/** The CDP key variables that are set and not empty (an empty Secret key counts as unset). */
function keyEnv(env: ServiceContext['env']): Record<string, string> {
  return Object.fromEntries(CDP_KEY_VARIABLES.flatMap((name) => ((env[name]?.trim() ?? '') === '' ? [] : [[name, env[name] as string]])));
}

/** Lifetime of each request's JWT in wall-clock seconds, as Coinbase's SDKs mint them. */
const JWT_LIFETIME_SECONDS = 120;

/**
 * The Coinbase client of a service: `COINBASE_*` options, and the CDP key when one is configured (required
 * by `requireKey`, i.e. live trading). Without a key only public endpoints work. On a dev clock (local fake
 * only) each JWT still lives 120 wall-clock seconds: its lifetime is scaled by the clock's rate.
 * @throws TradepipeError `config_invalid` if a key is required and missing or unreadable.
 */
export async function createServiceCoinbaseClient(context: ServiceContext, options: { readonly requireKey: boolean }): Promise<{ readonly client: CoinbaseClient; readonly keyed: boolean }> {
  const keyed = options.requireKey || hasCdpKey(context.env);
  const key = keyed ? await loadCdpKey({ env: keyEnv(context.env) }) : undefined;
  const { clock } = context;
  const signer = key === undefined || !isScaledClock(clock) ? undefined : createJwtSigner({ key, clock, expiresInSeconds: Math.ceil(JWT_LIFETIME_SECONDS * clock.rate) });
  const client = createCoinbaseClient({
    ...readPackageOptions('coinbase', context.env),
    ...(key === undefined ? {} : { key }),
    ...(signer === undefined ? {} : { signer }),
    clock: context.clock,
    logger: context.logger,
  });
  return { client, keyed };
}
