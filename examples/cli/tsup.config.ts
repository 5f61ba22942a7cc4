import { cpSync } from 'node:fs';
import { defineConfig } from 'tsup';

export default defineConfig({
  // `index` is the library (the HTML report renderer); `main` is the `tradepipe` command.
  entry: ['src/index.ts', 'src/main.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  banner: { js: '#!/usr/bin/env node' },
  // The services are a private workspace package: their code is bundled into this build (from its TypeScript
  // source, hence the condition), so the published command needs only the published @tradepipe packages.
  noExternal: ['@tradepipe/example-services'],
  external: ['zod'],
  esbuildOptions(options) {
    options.conditions = ['@tradepipe/source'];
  },
  // The bundled BTC-USD daily candles ship with the command (`run`, and `backtest` without --candles).
  onSuccess: async () => {
    cpSync('../../data/btc-usd-1d.csv', 'dist/data/btc-usd-1d.csv');
  },
});
