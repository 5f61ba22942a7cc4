import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  // zod comes through the @tradepipe packages (one copy shared with their schemas); not bundled.
  external: ['zod'],
});
