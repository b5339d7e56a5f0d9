import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { makePrivateFolder, restrictToOwner, type ModeChange } from '../../../file-modes.js';
import { JsonColumnsPlugin } from '../../json-columns.js';
import type { Database } from '../../schema.js';
import type { Store } from '../../store.js';
import { DurableSqliteDialect } from './durable-driver.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import { WalSync, writesData } from './wal-sync.js';

/**
 * Opens `sqlite:PATH` in WAL mode: each write fsynced before it is reported done (WalSync), checkpoints
 * in a thread of their own (WalCheckpointer), waits for other connections' locks on timers. The files
 * are kept to their owner (see keepToOwner); each permission it had to tighten is told to `onModeChange`.
 */
export function openSqlite(
  databaseUrl: string,
  options: { checkpointEveryMs?: number; walRestartPages?: number; onModeChange?: (change: ModeChange) => void },
): Store {
  const file = databaseUrl.slice('sqlite:'.length);
  if (file !== ':memory:') {
    const report =
      options.onModeChange ?? ((c: ModeChange) => process.emitWarning(`${c.path}: mode ${c.from} → ${c.to}`));
    for (const change of keepToOwner(path.resolve(file))) report(change);
  }
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // Commits write the WAL without an fsync; WalSync makes each write durable before it is reported
  // done, off the event loop (see sqlite-durable.ts): the durability of synchronous=FULL.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // 64 MiB of page cache per connection, not SQLite's 2 MiB: the reads that range over a large
  // account's events (GET /v1/events by a rare tag or domain, at millions of events) stay in memory.
  sqlite.pragma('cache_size = -65536');
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

/**
 * Creates the database's folder 0700 when it is missing (an existing one may be shared, such as /tmp:
 * only TAIFA_DATA_DIR is tightened, by the server) and the database file 0600 before SQLite opens it:
 * SQLite gives the WAL and shared-memory files it makes the database file's permissions. Files left
 * readable by others (by an earlier version) are tightened; the changes made are returned.
 */
function keepToOwner(file: string): ModeChange[] {
  makePrivateFolder(path.dirname(file));
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  return [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]
    .map(restrictToOwner)
    .filter((c): c is ModeChange => c !== null);
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
