import { PostgresAdapter } from 'kysely';
import type { Db } from '../schema.js';

/** The databases Taifa Mail runs on. */
export type DialectName = 'sqlite' | 'postgres';

/**
 * Which database `db` talks to. Only the modules of this folder ask: each holds what differs between
 * SQLite and PostgreSQL for one concern, so that the rest of the store never branches on it.
 */
export function dialectOf(db: Db): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}
