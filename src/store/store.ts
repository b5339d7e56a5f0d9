import type { Kysely } from 'kysely';
import type { WalSync } from './dialects/sqlite/wal-sync.js';
import type { Database } from './schema.js';

/** An open database. */
export interface Store {
  db: Kysely<Database>;
  /** SQLite: what makes writes durable (tests count its syncs). */
  wal?: WalSync;
  close(): Promise<void>;
}
