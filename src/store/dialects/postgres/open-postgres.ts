import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { JsonColumnsPlugin } from '../../json-columns.js';
import type { Database } from '../../schema.js';
import type { Store } from '../../store.js';

const PG_INT8 = 20;
const PG_NUMERIC = 1700;

/** Opens `postgres://…` with synchronous_commit=on: a commit returns once it is on disk. */
export function openPostgres(databaseUrl: string, options: { poolSize?: number }): Store {
  // Times and counters are bigint; they fit in a double for the next 285,000 years.
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === PG_INT8 || oid === PG_NUMERIC
        ? (v: string) => Number(v)
        : (pg.types.getTypeParser(oid, format) as (v: string) => unknown),
  };
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    types: types,
    options: '-c synchronous_commit=on',
    // An unreachable server fails a query after this, rather than leaving it (and its caller) waiting forever.
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => undefined);
  // Nor one checked out (the pool listens only while a client is idle): its query fails with the
  // error, and the client's own 'error' event would otherwise be an uncaught exception.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new JsonColumnsPlugin()] });
  return { db, close: () => db.destroy() };
}
