import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layering of docs/architecture.md, checked on the sources: a route, a service or a repository
// that reaches across the layers fails here, not in review.

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

interface Import {
  /** A path relative to src/ for our own modules, else the package name. */
  target: string;
  /** `import type` / `export type`: erased, loads nothing at run time. */
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return /\.(ts|mjs)$/.test(e.name) ? [path.relative(SRC, full)] : [];
  });
}

const STATEMENT = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[\s\S]*?\s+from\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): Import[] {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8');
  const resolve = (spec: string) =>
    spec.startsWith('.')
      ? path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '.ts')
      : spec
          .split('/')
          .slice(0, spec.startsWith('@') ? 2 : 1)
          .join('/');
  return [
    ...[...text.matchAll(STATEMENT)].map((m) => ({ target: resolve(m[2] ?? ''), typeOnly: m[1] !== undefined })),
    ...[...text.matchAll(DYNAMIC)].map((m) => ({ target: resolve(m[1] ?? ''), typeOnly: false })),
  ];
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const layer = (f: string) => f.split('/')[0] ?? f;

/** Every import from a file under `from` to a module under one of `to` (type-only ones too unless said). */
function crossings(from: string, to: string[], opts: { runtimeOnly?: boolean } = {}): string[] {
  return [...graph].flatMap(([file, imports]) =>
    layer(file) !== from
      ? []
      : imports
          .filter((i) => to.includes(layer(i.target)) && !(opts.runtimeOnly && i.typeOnly))
          .map((i) => `${file} → ${i.target}`),
  );
}

describe('the layout of src/', () => {
  it('reads every module it checks', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(graph.get('store/events-repo.ts')?.some((i) => i.target === 'store/insert-rows.ts')).toBe(true);
  });

  it('keeps the store free of rules, services, routes and the rest', () => {
    expect(crossings('store', ['core', 'services', 'api', 'delivery', 'tracking', 'dns', 'app.ts'])).toEqual([]);
  });

  it('keeps the rules pure: no store, no services, no routes, no I/O adapters', () => {
    expect(crossings('core', ['store', 'services', 'api', 'delivery', 'tracking', 'dns', 'app.ts'])).toEqual([]);
    const io = ['node:fs', 'node:net', 'node:dns', 'kysely', 'pg', 'better-sqlite3', 'fastify', 'nodemailer'];
    const inCore = [...graph].flatMap(([f, is]) => (layer(f) === 'core' ? is.map((i) => `${f} → ${i.target}`) : []));
    expect(inCore.filter((line) => io.some((m) => line.endsWith(`→ ${m}`)))).toEqual([]);
  });

  it('keeps the report parser a pure function of the bytes: the listener around it does the I/O', () => {
    expect(crossings('inbound', ['store', 'services', 'api', 'delivery', 'tracking', 'dns', 'app.ts'])).toEqual([]);
    const io = ['node:fs', 'node:net', 'node:dns', 'kysely', 'pg', 'better-sqlite3', 'fastify', 'nodemailer'];
    const inInbound = [...graph].flatMap(([f, is]) =>
      layer(f) === 'inbound' && f !== 'inbound/listener.ts' ? is.map((i) => `${f} → ${i.target}`) : [],
    );
    expect(inInbound.filter((line) => io.some((m) => line.endsWith(`→ ${m}`)))).toEqual([]);
    expect(inInbound.length).toBeGreaterThan(0);
  });

  it('lets nothing but the app import the routes, and the routes run no SQL', () => {
    const intoApi = [...graph].flatMap(([file, imports]) =>
      layer(file) === 'api' || file === 'app.ts'
        ? []
        : imports.filter((i) => layer(i.target) === 'api').map((i) => `${file} → ${i.target}`),
    );
    expect(intoApi).toEqual([]);
    expect(crossings('api', ['store'], { runtimeOnly: true })).toEqual([]);
    expect(crossings('api', ['kysely', 'pg', 'better-sqlite3'])).toEqual([]);
  });

  it('keeps services free of HTTP', () => {
    expect(crossings('services', ['api', 'fastify'])).toEqual([]);
  });

  it('keeps the command line on the services: it opens the store, and reads and writes through services only', () => {
    const intoStore = [...graph].flatMap(([file, imports]) =>
      layer(file) !== 'cli'
        ? []
        : imports
            .filter((i) => layer(i.target) === 'store' && !i.typeOnly)
            .filter((i) => !['store/database.ts', 'store/group-commit.ts'].includes(i.target))
            .map((i) => `${file} → ${i.target}`),
    );
    expect(intoStore).toEqual([]);
    expect(crossings('cli', ['kysely', 'pg', 'better-sqlite3', 'fastify'])).toEqual([]);
    expect(graph.get('cli/send.ts')?.some((i) => i.target === 'services/send-emails.ts')).toBe(true);
  });

  it('keeps dialect differences in store/dialects', () => {
    const branching = files.filter(
      (f) =>
        !f.startsWith('store/dialects/') &&
        !f.startsWith('store/migrations/') &&
        /PostgresAdapter|dialectOf\(|isPostgres/.test(fs.readFileSync(path.join(SRC, f), 'utf8')),
    );
    expect(branching).toEqual([]);
  });

  it('writes events only through recordEvents, so that nothing that follows events can be forgotten', () => {
    const writers = files.filter(
      (f) =>
        f !== 'store/events-repo.ts' &&
        !f.startsWith('store/migrations/') &&
        /(insertInto|updateTable|deleteFrom)\(\s*'email_events'|insertRows\([^)]*'email_events'/.test(
          fs.readFileSync(path.join(SRC, f), 'utf8'),
        ),
    );
    expect(writers).toEqual([]);
    expect(graph.get('store/events-repo.ts')?.length).toBeGreaterThan(0);
  });

  it('has the recording thread load neither the link rewriting nor an HTML parser', () => {
    const loaded = new Set<string>();
    const visit = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      for (const i of graph.get(file) ?? []) if (!i.typeOnly) visit(i.target);
    };
    visit('tracking/recording/recording-thread.ts');
    expect(loaded.has('store/events-repo.ts')).toBe(true);
    const unwanted = [...loaded].filter(
      (m) => m.startsWith('tracking/links/') || ['htmlparser2', 'parse5', 'fastify', 'nodemailer'].includes(m),
    );
    expect(unwanted).toEqual([]);
  });
});
