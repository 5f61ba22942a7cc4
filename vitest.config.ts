import { defineConfig, defineProject } from 'vitest/config';

const packages = ['core', 'features', 'model', 'llm-validator', 'risk', 'coinbase', 'storage-pg'];

// Each package is a project that resolves sibling packages through their `source` export condition,
// so tests run against the TypeScript sources without a build.
export default defineConfig({
  test: {
    projects: [
      ...packages.map((name) =>
        defineProject({
          ssr: { resolve: { conditions: ['@tradepipe/source'] } },
          resolve: { conditions: ['@tradepipe/source'] },
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
      defineProject({
        ssr: { resolve: { conditions: ['@tradepipe/source'] } },
        resolve: { conditions: ['@tradepipe/source'] },
        // The services tests start whole deployments of child processes: one file at a time keeps them from
        // competing for the two cores (and for ports) with each other.
        // They run the built program (examples/services/dist): `npm run build` first, as CI does.
        test: { name: 'examples', root: 'examples', include: ['*/src/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 300_000, fileParallelism: false },
      }),
      // The documentation's TypeScript samples (compiled, and run where they can be): scripts/doc-samples.test.ts.
      defineProject({
        ssr: { resolve: { conditions: ['@tradepipe/source'] } },
        resolve: { conditions: ['@tradepipe/source'] },
        test: { name: 'docs', root: '.', include: ['scripts/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 300_000 },
      }),
    ],
  },
});
