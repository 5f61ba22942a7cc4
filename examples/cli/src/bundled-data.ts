import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The first day of the bundled file that the default model never trained on (its hold-out year). */
export const BUNDLED_HOLD_OUT_START_MS = Date.UTC(2024, 8, 25);

/** Where the bundled BTC-USD daily candles are: beside the built command, or in the repository when run from source. */
export function bundledCandlesPath(): string {
  const candidates = [new URL('./data/btc-usd-1d.csv', import.meta.url), new URL('../../../data/btc-usd-1d.csv', import.meta.url)].map((url) => fileURLToPath(url));
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}
