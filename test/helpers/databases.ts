import pg from 'pg';
import { randomBytes } from 'node:crypto';

export type DatabaseKind = 'sqlite' | 'postgres';

/**
 * The databases every suite runs on: SQLite always, PostgreSQL when TAIFA_TEST_DATABASE_URL is set
 * (CI sets it; under CI=true it must be). TAIFA_TEST_DATABASES=sqlite narrows the list.
 */
export function testDatabases(): DatabaseKind[] {
  const pgUrl = process.env.TAIFA_TEST_DATABASE_URL;
  if (!pgUrl && process.env.CI === 'true')
    throw new Error('CI=true but TAIFA_TEST_DATABASE_URL is not set: the PostgreSQL run is required in CI');
  const all: DatabaseKind[] = pgUrl ? ['sqlite', 'postgres'] : ['sqlite'];
  const only = (process.env.TAIFA_TEST_DATABASES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return only.length ? all.filter((k) => only.includes(k)) : all;
}

/** A fresh, empty database of one kind; `drop()` removes it. */
export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  drop(): Promise<void>;
}

/** Creates a fresh database: a file in `dir` for SQLite, a new database on the test server for PostgreSQL. */
export async function createTestDatabase(kind: DatabaseKind, dir: string): Promise<TestDatabase> {
  if (kind === 'sqlite') return { kind, url: `sqlite:${dir}/taifa.db`, drop: async () => undefined };
  const base = process.env.TAIFA_TEST_DATABASE_URL!;
  const name = `taifa_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
