// Test support: the services image's layout as examples/services/Dockerfile declares it (its last stage), so tests
// can check that the paths the documentation runs with `kubectl exec` (which skips the ENTRYPOINT) exist in the
// runtime tree that scripts/image-runtime-tree.mjs builds.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const DOCKERFILE = fileURLToPath(new URL('../Dockerfile', import.meta.url));

/** The last stage's working directory and ENTRYPOINT, and where its runtime-tree copies land in the image. */
export interface ImageLayout {
  /** The final WORKDIR, absolute: where `kubectl exec … -- node <path>` resolves `<path>`. */
  workdir: string;
  entrypoint: string[];
  /** Image path → runtime tree path (relative to the tree's root), per `COPY --from=runtime-tree /runtime/…`. */
  copies: { image: string; tree: string }[];
}

/** Reads the layout of the Dockerfile's last stage. */
export function readImageLayout(text: string = readFileSync(DOCKERFILE, 'utf8')): ImageLayout {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const stage = lines.slice(lines.findLastIndex((line) => /^FROM\s/i.test(line)));
  let workdir = '/';
  let entrypoint: string[] = [];
  const copies: ImageLayout['copies'] = [];
  for (const line of stage) {
    const [instruction = '', ...rest] = line.split(/\s+/);
    if (/^WORKDIR$/i.test(instruction)) workdir = posix.resolve(workdir, rest.join(' '));
    else if (/^ENTRYPOINT$/i.test(instruction)) entrypoint = JSON.parse(rest.join(' ')) as string[];
    else if (/^COPY$/i.test(instruction) && rest[0] === '--from=runtime-tree') {
      const sources = rest.slice(1, -1);
      const destination = posix.resolve(workdir, rest.at(-1)!);
      for (const source of sources) {
        const tree = posix.relative('/runtime', source);
        copies.push({ image: sources.length > 1 || destination.endsWith('/') ? posix.join(destination, posix.basename(source)) : destination, tree });
      }
    }
  }
  return { workdir, entrypoint, copies };
}

/** Where `path`, as a command run in the image's WORKDIR names it, is in the runtime tree; undefined outside it. */
export function treePathOf(layout: ImageLayout, path: string): string | undefined {
  const absolute = posix.resolve(layout.workdir, path);
  for (const { image, tree } of layout.copies) {
    if (absolute === image || absolute.startsWith(`${image}/`)) return posix.join(tree, posix.relative(image, absolute));
  }
  return undefined;
}
