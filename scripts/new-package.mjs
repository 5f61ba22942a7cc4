// Scaffolds packages/<name> with the house layout. Usage: node scripts/new-package.mjs <name> "<description>" [--testing] [deps...]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
const [name, description, ...rest] = process.argv.slice(2);
const testing = rest.includes('--testing');
const deps = rest.filter((r) => r !== '--testing');
const dir = `packages/${name}`;
if (existsSync(`${dir}/package.json`)) throw new Error(`${dir} exists`);
mkdirSync(`${dir}/src`, { recursive: true });
const entry = (file) => ({
  "@tradepipe/source": `./src/${file}.ts`,
  import: { types: `./dist/${file}.d.ts`, default: `./dist/${file}.js` },
  require: { types: `./dist/${file}.d.cts`, default: `./dist/${file}.cjs` },
});
const exports = { '.': entry('index') };
if (testing) exports['./testing'] = entry('testing');
exports['./package.json'] = './package.json';
const pkg = {
  name: `@tradepipe/${name}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  type: 'module',
  engines: { node: '>=20.19' },
  sideEffects: false,
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.ts',
  exports,
  files: ['dist', 'README.md'],
  scripts: { build: 'tsup', test: 'vitest run --project ' + name },
  dependencies: Object.fromEntries(deps.map((d) => [d, d.startsWith('@tradepipe/') ? '0.1.0' : '*'])),
  repository: { type: 'git', url: 'https://github.com/tradepipe/tradepipe.git', directory: dir },
};
writeFileSync(`${dir}/package.json`, JSON.stringify(pkg, null, 2) + '\n');
const entries = ["'src/index.ts'"].concat(testing ? ["'src/testing.ts'"] : []);
writeFileSync(`${dir}/tsup.config.ts`, `import { defineConfig } from 'tsup';\nimport { packageBuild } from '../../tsup.shared.js';\n\nexport default defineConfig(packageBuild([${entries.join(', ')}]));\n`);
writeFileSync(`${dir}/tsconfig.json`, JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src'] }, null, 2) + '\n');
console.log('created', dir);
