// Checks every relative link of the READMEs and docs/ (not the generated docs/api): the file or folder it names
// exists, and its #anchor is a heading of the Markdown file it points at (GitHub's slugs: lower case,
// punctuation dropped, spaces as hyphens, repeats numbered -1, -2, …) or an explicit <a id="…">. Links to
// other sites are not fetched. Prints each broken link as file:line and exits 1 if there is any.
//   node scripts/check-links.mjs
// (scripts/check-links.test.ts runs it on the repository and on broken fixtures.)
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownFiles } from './markdown-files.mjs';


/** The lines of a Markdown text outside fenced code blocks, with inline code spans blanked; line numbers kept. */
function proseLines(text) {
  let fence;
  return text.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence !== undefined) {
      if (marker !== null && marker[1][0] === fence[0] && marker[1].length >= fence.length && line.trim() === marker[1].trim()) fence = undefined;
      return '';
    }
    if (marker !== null) {
      fence = marker[1];
      return '';
    }
    return line.replace(/(`+)[^`]*?\1/g, (span) => ' '.repeat(span.length));
  });
}

/** GitHub's anchor for a heading's text. */
export function slugOf(heading) {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/`/g, '');
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

const anchorCache = new Map();
/** Every anchor a Markdown file defines. */
function anchorsOf(file) {
  if (anchorCache.has(file)) return anchorCache.get(file);
  const anchors = new Set();
  const seen = new Map();
  const text = readFileSync(file, 'utf8');
  let fence = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) continue;
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading !== null) {
      const base = slugOf(heading[1]);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]);
  }
  anchorCache.set(file, anchors);
  return anchors;
}

const LINK = /!?\[(?:[^\]]|\][^(])*?\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/g;

/**
 * Every broken relative link of the given Markdown files (repository-relative paths), as `file:line: why`.
 * @returns the broken links and how many relative links were checked
 */
export function findBrokenLinks(root, files = markdownFiles(root)) {
  anchorCache.clear();
  const broken = [];
  let checked = 0;
  for (const file of files) {
    const path = join(root, file);
    const lines = proseLines(readFileSync(path, 'utf8'));
    lines.forEach((line, index) => {
      for (const match of line.matchAll(LINK)) {
        const target = match[1] ?? match[2];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …: another site
        checked += 1;
        const where = `${file}:${index + 1}`;
        const [pathPart, anchor] = target.split('#', 2);
        const targetPath = pathPart === '' ? path : resolve(dirname(path), decodeURIComponent(pathPart));
        if (targetPath !== root && !targetPath.startsWith(root + sep)) {
          broken.push(`${where}: ${target} leaves the repository`);
          continue;
        }
        if (!existsSync(targetPath)) {
          broken.push(`${where}: ${target}: no such file (${relative(root, targetPath)})`);
          continue;
        }
        if (anchor === undefined || anchor === '') continue;
        if (statSync(targetPath).isDirectory() || !targetPath.endsWith('.md')) continue; // GitHub line anchors and folder pages are not checked
        if (!anchorsOf(targetPath).has(decodeURIComponent(anchor))) broken.push(`${where}: ${target}: no heading #${anchor} in ${relative(root, targetPath)}`);
      }
    });
  }
  return { broken, checked };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(import.meta.dirname, '..');
  const files = markdownFiles(root);
  const { broken, checked } = findBrokenLinks(root, files);
  if (broken.length > 0) {
    console.error(`${broken.length} broken link(s) of ${checked} in ${files.length} Markdown files:`);
    for (const line of broken) console.error(`  ${line}`);
    process.exit(1);
  }
  console.log(`links: ${checked} relative links in ${files.length} Markdown files, all resolve`);
}
