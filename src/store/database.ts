import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { ModeChange } from '../file-modes.js';
import { openPostgres } from './dialects/postgres/open-postgres.js';
import { openSqlite } from './dialects/sqlite/open-sqlite.js';
import type { Store } from './store.js';
import * as m0001 from './migrations/0001-foundation.js';
import * as m0002 from './migrations/0002-plans-scheduling.js';
import * as m0003 from './migrations/0003-search.js';
import * as m0004 from './migrations/0004-tracking.js';
import * as m0005 from './migrations/0005-counted-engagement.js';
import * as m0006 from './migrations/0006-lean-event-indexes.js';
import * as m0007 from './migrations/0007-suppressions.js';
import * as m0008 from './migrations/0008-unsubscribe-links.js';
import * as m0009 from './migrations/0009-webhooks.js';
import * as m0010 from './migrations/0010-stats-rollups.js';
import * as m0011 from './migrations/0011-account-events.js';
import * as m0013 from './migrations/0013-dashboard-logins.js';

export type { Store };

/**
 * Opens `sqlite:PATH` (WAL, each write fsynced before it is reported done; its files kept to their owner,
 * each permission tightened told to `onModeChange`, a process warning by default) or `postgres://…`
 * (synchronous_commit=on).
 */
export function openStore(
  databaseUrl: string,
  options: {
    poolSize?: number;
    checkpointEveryMs?: number;
    walRestartPages?: number;
    onModeChange?: (change: ModeChange) => void;
  } = {},
): Store {
  if (databaseUrl.startsWith('postgres://') || databaseUrl.startsWith('postgresql://'))
    return openPostgres(databaseUrl, options);
  if (!databaseUrl.startsWith('sqlite:'))
    throw new Error(`DATABASE_URL must start with sqlite: or postgres://, got "${databaseUrl}"`);
  return openSqlite(databaseUrl, options);
}

const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-plans-scheduling': m0002,
  '0003-search': m0003,
  '0004-tracking': m0004,
  '0005-counted-engagement': m0005,
  '0006-lean-event-indexes': m0006,
  '0007-suppressions': m0007,
  '0008-unsubscribe-links': m0008,
  '0009-webhooks': m0009,
  '0010-stats-rollups': m0010,
  '0011-account-events': m0011,
  '0013-dashboard-logins': m0013,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

/** Applies every pending migration; safe to run from several processes at once. */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const migrator = new Migrator({ db: store.db, provider: new StaticMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(JSON.stringify(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
