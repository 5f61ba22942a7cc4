// The Markdown files whose samples and links are checked (scripts/check-links.mjs, scripts/doc-samples.test.ts):
// the READMEs and the guides under docs/, not the generated API reference (docs/api), node_modules or dist.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', 'api', 'out', 'coverage']);

/** Repository-relative paths of every checked Markdown file, sorted. */
export function markdownFiles(root) {
  const found = [];
  const walk = (directory) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.')) walk(join(directory, entry.name));
      } else if (entry.name.endsWith('.md')) {
        found.push(relative(root, join(directory, entry.name)));
      }
    }
  };
  walk(root);
  return found.sort();
}

const OPENING = /^(\s*)```(ts|typescript)(?:\s+(.*))?$/;

/** Every ```ts / ```typescript block of a Markdown text, with the words after the language (its flags). */
export function typeScriptSamples(file, text) {
  const samples = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const opening = OPENING.exec(lines[index]);
    if (opening === null) continue;
    const indent = opening[1].length;
    const body = [];
    let end = index + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) body.push(lines[end++].slice(indent));
    samples.push({ file, line: index + 1, flags: (opening[3] ?? '').split(/\s+/).filter(Boolean), code: body.join('\n') });
    index = end;
  }
  return samples;
}
