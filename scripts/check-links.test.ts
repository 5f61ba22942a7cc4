import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBrokenLinks, slugOf } from './check-links.mjs';

describe('check-links', () => {
  it('finds no broken link in the READMEs and docs/', () => {
    const { broken, checked } = findBrokenLinks(resolve(import.meta.dirname, '..'));
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  it('slugs headings as GitHub does', () => {
    expect(slugOf('Paper → live checklist')).toBe('paper--live-checklist');
    expect(slugOf('`dev` — the whole deployment, locally')).toBe('dev--the-whole-deployment-locally');
    expect(slugOf('1. Market data (candle ingest)')).toBe('1-market-data-candle-ingest');
    expect(slugOf('Orders in UNKNOWN state')).toBe('orders-in-unknown-state');
    expect(slugOf('[Linked](x.md) and `code`_ok')).toBe('linked-and-code_ok');
  });

  const root = mkdtempSync(join(tmpdir(), 'check-links-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reports a missing file, a missing anchor and a link leaving the repository, and accepts repeated headings, folders and code', () => {
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'target.md'), '# Target\n\n## Step\n\n## Step\n\n```md\n# Not a heading\n```\n');
    writeFileSync(
      join(root, 'README.md'),
      [
        '# Read me',
        '[ok](docs/target.md#step-1) [ok too](docs/target.md#step) [folder](docs) [self](#read-me) [site](https://example.com/missing)',
        '[gone](docs/missing.md) [no anchor](docs/target.md#not-a-heading) [out](../outside.md)',
        '`[in code](nowhere.md)`',
        '```',
        '[in a block](nowhere.md)',
        '```',
      ].join('\n'),
    );
    const { broken, checked } = findBrokenLinks(root, ['README.md', 'docs/target.md']);
    expect(checked).toBe(7);
    expect(broken).toEqual([
      'README.md:3: docs/missing.md: no such file (docs/missing.md)',
      'README.md:3: docs/target.md#not-a-heading: no heading #not-a-heading in docs/target.md',
      'README.md:3: ../outside.md leaves the repository',
    ]);
  });
});
