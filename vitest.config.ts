import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig, defineProject } from 'vitest/config';

const packages = ['core', 'features', 'model', 'llm-validator', 'risk', 'coinbase', 'storage-pg'];

/** Sibling packages resolve through their `source` export condition, so tests run against the TypeScript sources without a build. */
const fromSource = { ssr: { resolve: { conditions: ['@tradepipe/source'] } }, resolve: { conditions: ['@tradepipe/source'] } };

export default defineConfig({
  test: {
    // Test files in parallel: at least two at a time, as many as there are cores (vitest's default, cores - 1, runs
    // one file at a time on a 2-core machine). Much of the time of the longest files is spent waiting on child
    // processes, PostgreSQL and simulated clocks, which the other files use.
    maxWorkers: Math.max(2, availableParallelism()),
    projects: [
      ...packages.map((name) =>
        defineProject({
          ...fromSource,
          test: {
            name,
            root: `packages/${name}`,
            include: ['src/**/*.test.ts'],
            // Budgets, not performance claims: the suite must hold on a loaded 2-core machine (load average 25).
            testTimeout: 120_000,
            hookTimeout: 180_000,
          },
        }),
      ),
      // The main job and the `tradepipe` command: in parallel with each other and with the packages (temporary
      // directories, schemas and ports of their own). The command's tests run the built bin: the global setup
      // builds it once, before any of them starts.
      defineProject({
        ...fromSource,
        test: {
          name: 'examples',
          root: 'examples',
          include: ['embedded/src/**/*.test.ts', 'cli/src/**/*.test.ts'],
          globalSetup: [fileURLToPath(new URL('examples/cli/src/build-for-tests.ts', import.meta.url))],
          testTimeout: 240_000,
          hookTimeout: 300_000,
        },
      }),
      // The services tests start whole deployments of child processes: one file at a time (vitest runs them after
      // the parallel files) keeps them from competing for the two cores with each other and with the other files.
      // They run the built program (examples/services/dist): `npm run build` first, as CI does.
      defineProject({
        ...fromSource,
        test: { name: 'services', root: 'examples/services', include: ['src/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 300_000, fileParallelism: false },
      }),
      // The documentation's TypeScript samples (compiled, and run where they can be): scripts/doc-samples.test.ts.
      defineProject({
        ...fromSource,
        test: { name: 'docs', root: '.', include: ['scripts/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 300_000 },
      }),
    ],
  },
});
