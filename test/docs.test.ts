import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve('.');

/** The pages people who run Taifa Mail read: the README and every page in docs/. */
const PAGES = [
  'README.md',
  ...fs
    .readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/**
 * Words that only make sense to whoever wrote the project, not to whoever runs it: documents a clone does not have,
 * and the vocabulary of the work that made it. Each is narrow enough to leave the product's own words alone (the
 * validate answer's `issues`, an SMTP or dashboard session, a fuzzing seed, `test/helpers/`).
 */
const INTERNAL: Array<[RegExp, string]> = [
  [/\bseeds?\s+\d{3}\b/i, 'a product document by number ("seed 001")'],
  [/\bseeds?\//i, 'the seeds/ folder'],
  [/\bDESIGN(\.md)?\b/, 'a design document outside the repository'],
  [/\bSTYLE\.md\b/, 'a style document outside the repository'],
  [/(^|[^\w./-])shared\//m, 'the shared/ folder outside the repository'],
  [/\/work\//, 'a path on the machine the project was written on'],
  [
    /\b(later|future|next|previous|earlier|this|another|separate|open|follow-up)\s+issues?\b/i,
    'a work item ("a later issue")',
  ],
  [/\bissues?\s+#?\d+/i, 'a work item by number'],
  [/\b(later|future|next|previous|earlier|this|another|coding|working)\s+sessions?\b/i, 'a work session'],
  [/\bsessions?\s+\d+/i, 'a work session by number'],
  [/(?<![\w/-])helpers?\b(?!\/)/i, 'whoever helped write it'],
];

/** A file's markdown link targets (inline links and images, and reference definitions), with their line. */
function linksOf(text: string): Array<{ target: string; line: number }> {
  const links: Array<{ target: string; line: number }> = [];
  for (const [i, line] of text.split('\n').entries()) {
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      links.push({ target: m[1]!, line: i + 1 });
    const ref = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(\s|$)/.exec(line);
    if (ref) links.push({ target: ref[1]!, line: i + 1 });
  }
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a markdown file's headings (outside code blocks). */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const h = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (h) anchors.add(slug(h[1]!));
  }
  return anchors;
}

describe('the README and docs/', () => {
  it.each(PAGES)('%s uses no words of the project’s making', (page) => {
    const text = fs.readFileSync(page, 'utf8');
    const found = text
      .split('\n')
      .flatMap((line, i) =>
        INTERNAL.filter(([re]) => re.test(line)).map(([, what]) => `${page}:${i + 1}: ${what}: ${line.trim()}`),
      );
    expect(found).toEqual([]);
  });

  it.each(PAGES)('%s links only to files of the repository that exist, and to headings that exist', (page) => {
    const text = fs.readFileSync(page, 'utf8');
    const broken: string[] = [];
    for (const { target, line } of linksOf(text)) {
      if (/^[a-z][a-z\d+.-]*:/i.test(target)) continue; // https:, mailto:: another site's
      const [file = '', anchor] = target.split('#');
      const resolved = file ? path.resolve(path.dirname(page), decodeURI(file)) : path.resolve(page);
      const where = `${page}:${line}: ${target}`;
      if (path.relative(ROOT, resolved).startsWith('..') || path.isAbsolute(file))
        broken.push(`${where}: outside the repository`);
      else if (!fs.existsSync(resolved)) broken.push(`${where}: no such file`);
      else if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor))
        broken.push(`${where}: no such heading`);
    }
    expect(broken).toEqual([]);
    // Nor a path outside it in the text itself.
    const withoutLinks = text.replace(/\]\([^)]*\)/g, ']()');
    expect(withoutLinks.split('\n').filter((l) => l.includes('../'))).toEqual([]);
  });

  it('checks what it should: a link outside the repository, a missing file or heading, and a work word are caught', () => {
    expect(linksOf('see [x](../shared/DESIGN.md) and [y](docs/none.md#a "t")').map((l) => l.target)).toEqual([
      '../shared/DESIGN.md',
      'docs/none.md#a',
    ]);
    expect(slug('Bounces that come back later, and complaints')).toBe('bounces-that-come-back-later-and-complaints');
    expect(slug('`TAIFA_SECRET`')).toBe('taifa_secret');
    const caught = (s: string) => INTERNAL.some(([re]) => re.test(s));
    for (const s of [
      'as in seed 001',
      'see /work/shared/x',
      'left for a later issue',
      'the CLI helper',
      'DESIGN.md says',
    ])
      expect(caught(s), s).toBe(true);
    for (const s of [
      'the dry run reports it as an issue',
      'in our own SMTP session',
      'test/helpers/',
      'a `seed` and `path`',
    ])
      expect(caught(s), s).toBe(false);
  });
});

/** SHA-256 of the GNU AGPL v3 text as the Free Software Foundation publishes it (agpl-3.0.txt, 34,523 bytes). */
const AGPL_3_SHA256 = '0d96a4ff68ad6d4b6f1f30f713b18d5184912ba8dd389f86aa7710db079abcb0';

describe('the license', () => {
  it('is the GNU AGPL v3, verbatim, as package.json says', () => {
    const license = fs.readFileSync('LICENSE', 'utf8');
    const lines = license.split('\n');
    expect(lines[0]?.trim()).toBe('GNU AFFERO GENERAL PUBLIC LICENSE');
    expect(lines[1]?.trim()).toBe('Version 3, 19 November 2007');
    expect(createHash('sha256').update(license).digest('hex')).toBe(AGPL_3_SHA256);
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { license: string };
    expect(pkg.license).toBe('AGPL-3.0-only');
  });
});
