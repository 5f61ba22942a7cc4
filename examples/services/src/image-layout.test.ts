import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readImageLayout, treePathOf } from './image-layout.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** Where the program is in the runtime tree (scripts/image-runtime-tree.mjs installs the packed package). */
const PROGRAM = 'node_modules/@tradepipe/example-services/dist/main.js';
/** The documents that tell operators to run the program inside a pod. */
const DOCUMENTS = ['docs/going-live.md', 'docs/deployment.md', 'docs/operations.md', 'docs/stages/risk.md', 'examples/services/README.md'];

describe('the services image (examples/services/Dockerfile) runs the documented commands', () => {
  const layout = readImageLayout();

  it('the ENTRYPOINT and `node dist/main.js` in the WORKDIR are both the program in the runtime tree', () => {
    const [node, ...args] = layout.entrypoint;
    expect(node).toBe('node');
    expect(treePathOf(layout, args.at(-1)!)).toBe(PROGRAM);
    expect(treePathOf(layout, 'dist/main.js')).toBe(PROGRAM);
    const manifest = JSON.parse(readFileSync(`${ROOT}/examples/services/package.json`, 'utf8')) as { name: string; files: string[] };
    expect(manifest.name).toBe('@tradepipe/example-services');
    expect(manifest.files).toContain('dist');
  });

  it('every `kubectl exec … -- node <script>` in the documentation names that program', () => {
    const commands = DOCUMENTS.flatMap((document) => [...readFileSync(`${ROOT}/${document}`, 'utf8').matchAll(/exec\s+deploy\/[\w-]+\s+--\s+node\s+(\S+)/g)].map((match) => ({ document, script: match[1]! })));
    expect(commands.length).toBeGreaterThanOrEqual(4);
    for (const { document, script } of commands) expect(treePathOf(layout, script), `${document}: node ${script}`).toBe(PROGRAM);
  });

  it('reads WORKDIR and the runtime-tree copies as Docker does', () => {
    const old = readImageLayout(['FROM build AS x', 'WORKDIR /src', 'FROM node AS runtime', 'WORKDIR /app', 'COPY --from=runtime-tree /runtime/a.json /runtime/b.json ./', 'COPY --from=runtime-tree /runtime/node_modules ./node_modules', 'ENTRYPOINT ["node", "x.js"]'].join('\n'));
    expect(old.workdir).toBe('/app');
    expect(treePathOf(old, 'b.json')).toBe('b.json');
    expect(treePathOf(old, 'dist/main.js')).toBeUndefined();
    expect(treePathOf(old, `${PROGRAM}`)).toBe(PROGRAM);
  });
});
