import { PostgresAdapter, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Whether `db` talks to PostgreSQL (else SQLite). */
export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Parameter markers for the text of one written-out statement, in order: `$1`, `$2`… on PostgreSQL,
 * `?` on SQLite (the hot statements are written out rather than built with Kysely; see insertRows).
 */
export function parameterMarkers(pg: boolean): () => string {
  let n = 0;
  return () => (pg ? `$${++n}` : '?');
}
