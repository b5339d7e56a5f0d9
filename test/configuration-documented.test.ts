import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const run = promisify(execFile);

/** The variables src/config.ts reads, as its source names them: `env.NAME` and `(env, 'NAME'`. */
function readInConfigSource(): string[] {
  const source = fs.readFileSync(path.resolve('src/config.ts'), 'utf8');
  const names = [...source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)|\(env, '([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1] ?? m[2]!);
  return [...new Set(names)].sort();
}

/** The variables loadConfig actually asks its environment for. */
function readByLoadConfig(): string[] {
  const asked = new Set<string>();
  const empty: Record<string, string | undefined> = {};
  const env = new Proxy(empty, {
    get: (_target, name) => {
      if (typeof name === 'string') asked.add(name);
      return undefined;
    },
  });
  loadConfig(env);
  return [...asked].sort();
}

/** `.env.example`'s assignments, in order. */
function envExample(): Array<[string, string]> {
  const text = fs.readFileSync(path.resolve('.env.example'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (!m) throw new Error(`.env.example: not NAME=value: ${line}`);
      return [m[1]!, m[2]!];
    });
}

/** The variables named in the first column of the README's configuration table. */
function inReadmeTable(): string[] {
  const readme = fs.readFileSync(path.resolve('README.md'), 'utf8');
  const start = readme.indexOf('\n## Configuration\n');
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start + 1, readme.indexOf('\n## ', start + 1));
  const names = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!));
  return [...new Set(names)].sort();
}

describe('the configuration is documented', () => {
  it('names the same variables in src/config.ts, .env.example and the README table', () => {
    const source = readInConfigSource();
    expect(source.length).toBeGreaterThan(40);
    // The source scan misses none that loadConfig reads.
    expect(readByLoadConfig().filter((name) => !source.includes(name))).toEqual([]);
    const example = envExample().map(([name]) => name);
    expect(new Set(example).size).toBe(example.length);
    expect([...example].sort()).toEqual(source);
    expect(inReadmeTable()).toEqual(source);
  });

  it('gives every variable in .env.example a comment and its default', () => {
    const lines = fs.readFileSync(path.resolve('.env.example'), 'utf8').split('\n');
    for (const [i, line] of lines.entries())
      if (/^[A-Z]/.test(line)) expect(lines[i - 1], `the comment above ${line}`).toMatch(/^# \S/);
    // As written, the file configures exactly what no configuration does.
    const asWritten = loadConfig(Object.fromEntries(envExample()));
    expect(asWritten).toEqual(loadConfig({}));
  });

  it('works as a file for node --env-file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-env-'));
    try {
      // An environment without any of our variables, so that the file alone decides.
      const names = new Set(readInConfigSource());
      const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !names.has(name)));
      const [fromFile, bare] = await Promise.all([
        run('node', ['--env-file=.env.example', 'bin/taifa.js', 'config'], { env: { ...env, TAIFA_DATA_DIR: dir } }),
        run('node', ['bin/taifa.js', 'config'], { env: { ...env, TAIFA_DATA_DIR: dir } }),
      ]);
      expect(JSON.parse(fromFile.stdout)).toEqual(JSON.parse(bare.stdout));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
