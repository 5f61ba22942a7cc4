// Test support: the services tests run the BUILT program (dist/main.js and the packages' dist), as the image
// does; starting eight processes through tsx on a busy machine took minutes. This refuses, with the command to
// run, a build that is missing or older than its sources.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVICES_ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPOSITORY_ROOT = resolve(SERVICES_ROOT, '../..');

/** The workspaces the program loads at run time: this one and every `@tradepipe/*` dependency. */
function runtimeWorkspaces(): string[] {
  const manifest = JSON.parse(readFileSync(join(SERVICES_ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const packages = Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith('@tradepipe/'));
  return [SERVICES_ROOT, ...packages.map((name) => join(REPOSITORY_ROOT, 'packages', name.slice('@tradepipe/'.length)))];
}

/** What is wrong with the build of one workspace: no dist, or a bundle older than a source it was built from. */
function buildProblems(workspace: string): string[] {
  const dist = join(workspace, 'dist');
  const name = workspace.slice(REPOSITORY_ROOT.length + 1);
  // The program loads the packages' main entries, never their `testing` entries (the tests use those from source).
  const maps = existsSync(dist) ? readdirSync(dist).filter((file) => file.endsWith('.js.map') && !file.startsWith('testing')) : [];
  if (maps.length === 0) return [`${name}/dist is missing`];
  const problems: string[] = [];
  for (const map of maps) {
    const bundle = join(dist, map.slice(0, -'.map'.length));
    const builtAtMs = statSync(bundle).mtimeMs;
    const { sources } = JSON.parse(readFileSync(join(dist, map), 'utf8')) as { sources: string[] };
    for (const source of sources.map((path) => resolve(dirname(bundle), path))) {
      if (!existsSync(source)) problems.push(`${name}/dist/${map} was built from ${source}, which is gone`);
      else if (statSync(source).mtimeMs > builtAtMs) problems.push(`${source.slice(REPOSITORY_ROOT.length + 1)} is newer than ${name}/dist`);
    }
  }
  return problems;
}

let checked: string | undefined;

/**
 * The path of the built service program, once the build of it and of the packages it loads is there and newer
 * than their sources.
 * @throws Error naming what is missing or stale, and `npm run build`
 */
export function builtServiceProgram(): string {
  if (checked !== undefined) return checked;
  const problems = runtimeWorkspaces().flatMap(buildProblems);
  if (problems.length > 0) {
    throw new Error(
      `The services tests run the built program and packages, and the build is missing or stale:\n  ${problems.slice(0, 8).join('\n  ')}` +
        `${problems.length > 8 ? `\n  … ${problems.length - 8} more` : ''}\nRun \`npm run build\` from the repository root first (CI builds before \`npm test\`).`,
    );
  }
  checked = join(SERVICES_ROOT, 'dist', 'main.js');
  return checked;
}
