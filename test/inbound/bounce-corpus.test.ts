import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { corpusDir } from '../helpers/corpus.js';

// Every real bounce and complaint of the corpus through `taifa bounces parse`, compared with its labels
// (the corpus README): the status code and the hard/soft decision must each agree for at least 95% of
// the labelled recipients. Counting is per labelled recipient, by position in the file's list: when a
// file yields fewer recipients than labelled, each missing one is a miss on both; extra recipients we
// report are listed but not counted. The misses and the figures are printed for whoever tunes the rules.

const dir = corpusDir('bounces');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Label {
  status: string;
  hard: boolean;
  reason: string;
}
interface Reported {
  recipient: string;
  status: string;
  reply_code: string;
  action: string;
  reason: string;
  hard: boolean;
  feedback_type: string;
}

const exec = promisify(execFile);

describe.skipIf(dir === null)('the bounce corpus', () => {
  it('agrees with the labels on status and on hard for at least 95% of the recipients', async () => {
    const corpus = dir ?? '';
    const labels = JSON.parse(fs.readFileSync(path.join(corpus, 'expected.json'), 'utf8')) as Record<string, Label[]>;
    const names = Object.keys(labels).sort();
    // One process for all files: the command's own start-up dominates otherwise.
    const { stdout } = await exec(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      ['src/main.ts', 'bounces', 'parse', ...names.map((n) => path.join(corpus, n))],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
    );
    const parsed = JSON.parse(stdout) as Record<string, Reported[]>;

    let total = 0;
    let statusOk = 0;
    let hardOk = 0;
    let filesParsed = 0;
    const misses: string[] = [];
    for (const name of names) {
      const want = labels[name] ?? [];
      const got = parsed[path.join(corpus, name)] ?? [];
      if (got.length > 0) filesParsed++;
      if (got.length !== want.length) misses.push(`${name}: ${got.length} recipients, labelled ${want.length}`);
      want.forEach((w, i) => {
        total++;
        const g = got[i];
        if (g?.status === w.status) statusOk++;
        else
          misses.push(
            `${name}[${i}] status ${g?.status ?? '(none)'} ≠ ${w.status} (${g?.reason ?? '-'} / ${w.reason})`,
          );
        if (g?.hard === w.hard) hardOk++;
        else misses.push(`${name}[${i}] hard ${g?.hard ?? '(none)'} ≠ ${w.hard} (${g?.reason ?? '-'} / ${w.reason})`);
      });
    }
    const pct = (n: number) => ((100 * n) / total).toFixed(1);
    console.log(
      `${misses.join('\n')}\n\nbounce corpus: ${filesParsed}/${names.length} files parsed, ${total} labelled recipients; ` +
        `status agrees ${statusOk} (${pct(statusOk)}%), hard agrees ${hardOk} (${pct(hardOk)}%)`,
    );
    expect(statusOk / total).toBeGreaterThanOrEqual(0.95);
    expect(hardOk / total).toBeGreaterThanOrEqual(0.95);
  }, 120_000);
});
