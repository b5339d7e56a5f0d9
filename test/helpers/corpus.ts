import fs from 'node:fs';
import path from 'node:path';

/**
 * The real-world test data (../shared/corpus next to the checkout, or TAIFA_CORPUS_DIR). Tests read it
 * in place. Absent (a clone outside this workplace), its tests skip; under CI=true absence is a failure.
 */
export function corpusDir(sub: string): string | null {
  const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../..');
  const candidates = [
    process.env.TAIFA_CORPUS_DIR,
    path.resolve(root, '../shared/corpus'),
    '/work/shared/corpus',
  ].filter((c): c is string => Boolean(c));
  const found = candidates.map((c) => path.join(c, sub)).find((c) => fs.existsSync(c));
  if (found) return found;
  if (process.env.CI === 'true')
    throw new Error(`CI=true but the test corpus is missing (looked for ${sub} in ${candidates.join(', ')})`);
  process.stderr.write(
    `skipping the ${sub} corpus tests: no corpus at ${candidates.join(', ')} (set TAIFA_CORPUS_DIR)\n`,
  );
  return null;
}
