import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  type Migration,
  type MigrationProvider,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';
import { JsonColumnsPlugin } from './json-columns.js';
import type { Database } from './schema.js';
import { DurableSqliteDialect, WalCheckpointer, WalSync, writesData } from './sqlite-durable.js';
import * as m0001 from './migrations/0001-foundation.js';
import * as m0002 from './migrations/0002-plans-scheduling.js';
import * as m0003 from './migrations/0003-search.js';
import * as m0004 from './migrations/0004-tracking.js';
import * as m0005 from './migrations/0005-counted-engagement.js';
import * as m0006 from './migrations/0006-lean-event-indexes.js';

/** An open database. */
export interface Store {
  db: Kysely<Database>;
  /** SQLite: what makes writes durable (tests count its syncs). */
  wal?: WalSync;
  close(): Promise<void>;
}

const PG_INT8 = 20;
const PG_NUMERIC = 1700;

/** Opens `sqlite:PATH` (WAL, each write fsynced before it is reported done) or `postgres://…` (synchronous_commit=on). */
export function openStore(
  databaseUrl: string,
  options: { poolSize?: number; checkpointEveryMs?: number; walRestartPages?: number } = {},
): Store {
  if (databaseUrl.startsWith('postgres://') || databaseUrl.startsWith('postgresql://')) {
    // Times and counters are bigint; they fit in a double for the next 285,000 years.
    const types = {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8 || oid === PG_NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
    };
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: options.poolSize ?? 10,
      types: types as pg.CustomTypesConfig,
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
  if (!databaseUrl.startsWith('sqlite:'))
    throw new Error(`DATABASE_URL must start with sqlite: or postgres://, got "${databaseUrl}"`);
  const file = databaseUrl.slice('sqlite:'.length);
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // Commits write the WAL without an fsync; WalSync makes each write durable before it is reported
  // done, off the event loop (see sqlite-durable.ts): the durability of synchronous=FULL.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // No busy handler: it would sleep on the event loop. The driver waits for the lock on timers instead.
  sqlite.pragma('busy_timeout = 0');
  // An in-memory database has no file to sync, and no other connection to checkpoint for it.
  const onDisk = file !== ':memory:';
  const wal = onDisk ? new WalSync(`${path.resolve(file)}-wal`) : null;
  const restartPages = options.walRestartPages ?? WAL_RESTART_PAGES;
  // Checkpoints run in a thread of their own (WalCheckpointer), not inside a COMMIT on the event loop.
  const checkpointer = !onDisk
    ? null
    : new WalCheckpointer(
        path.resolve(file),
        { everyMs: options.checkpointEveryMs ?? CHECKPOINT_EVERY_MS, restartFrames: restartPages },
        (message) => {
          process.emitWarning(`SQLite checkpoint failed: ${message}`);
        },
      );
  if (checkpointer) sqlite.pragma('wal_autocheckpoint = 0');
  // When the WAL starts over, its file is cut back to this size.
  sqlite.pragma(`journal_size_limit = ${restartPages * 4096}`);
  const db = new Kysely<Database>({
    dialect: new DurableSqliteDialect({ database: withStatementCache(sqlite, wal) }, wal, checkpointer),
    plugins: [new JsonColumnsPlugin()],
  });
  return {
    db,
    ...(wal ? { wal } : {}),
    close: async () => {
      await db.destroy();
      wal?.close();
      await checkpointer?.close();
    },
  };
}

const STATEMENT_CACHE_SIZE = 500;
/** How often the WAL is checkpointed (copied into the database file), in ms. */
export const CHECKPOINT_EVERY_MS = 200;
/** Past this many pages in the WAL (64 MiB of 4 KiB pages), the checkpointer makes it start over. */
export const WAL_RESTART_PAGES = 16_384;

/**
 * Kysely prepares every query anew, and better-sqlite3's prepare was the largest single cost on the
 * send path; statements are reusable (Kysely runs one at a time per connection), so keep them.
 */
function withStatementCache(sqlite: SQLite.Database, wal: WalSync | null): SqliteDatabase {
  const cache = new Map<string, { stmt: SqliteStatement; writes: boolean }>();
  return {
    // Kysely prepares each statement right before it runs it, so this is where WalSync learns of a write.
    prepare(sql: string): SqliteStatement {
      let entry = cache.get(sql);
      if (!entry) {
        entry = { stmt: sqlite.prepare(sql) as unknown as SqliteStatement, writes: writesData(sql) };
        cache.set(sql, entry);
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      if (entry.writes && wal) wal.dirty = true;
      return entry.stmt;
    },
    close: () => {
      cache.clear();
      sqlite.close();
    },
  };
}

const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-plans-scheduling': m0002,
  '0003-search': m0003,
  '0004-tracking': m0004,
  '0005-counted-engagement': m0005,
  '0006-lean-event-indexes': m0006,
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
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
