import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

const options = packageBuild(['src/index.ts']);

// PGlite's own declarations use the Emscripten types without referencing them, so a user compiling with
// `skipLibCheck: false` (and a `types` list) would fail on them: the published .d.ts references
// @types/emscripten (a dependency of this package) so they are always found.
export default defineConfig({ ...options, dts: { banner: '/// <reference types="emscripten" />' } });
