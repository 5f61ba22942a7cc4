import type { Options } from 'tsup';

/** Shared tsup options: ESM + CJS + .d.ts for every public entry of a package. */
export function packageBuild(entries: readonly string[]): Options {
  return {
    entry: [...entries],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
  };
}
