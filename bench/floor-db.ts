// The database of the benchmarks' storage floors (bench/noop-server.ts, bench/track.ts): SQLite in WAL
// mode with no fsync, checkpointed as Taifa Mail's is — in a thread of its own every 200 ms, the WAL
// made to start over past the same bound — so that a floor does the checkpoint work every server
// must do somewhere, off its event loop as Taifa does, and nothing else. (SQLite's automatic checkpoint
// would run inside a commit on the event loop; no checkpoint at all lets the WAL grow until reading a
// page means searching gigabytes of it.)
import path from 'node:path';
import Database from 'better-sqlite3';
import { CHECKPOINT_EVERY_MS, WAL_RESTART_PAGES } from '../src/store/dialects/sqlite/open-sqlite.js';
import { WalCheckpointer } from '../src/store/dialects/sqlite/wal-checkpointer.js';

export interface FloorDatabase {
  db: Database.Database;
  /**
   * A buffer in front of `write`: items added until `wait` runs its callback are written together, in
   * one transaction (after an overgrown WAL has started over, as Taifa's transactions wait for it);
   * what `add` returns resolves once its item is committed.
   */
  batches: <T>(write: (items: T[]) => void, wait: (run: () => void) => void) => (item: T) => Promise<void>;
}

export function floorDatabase(file: string): FloorDatabase {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  const checkpointer = new WalCheckpointer(
    path.resolve(file),
    { everyMs: CHECKPOINT_EVERY_MS, restartFrames: WAL_RESTART_PAGES },
    (message) => {
      process.emitWarning(`floor checkpoint failed: ${message}`);
    },
  );
  const ready = async () => {
    if (checkpointer.full) await checkpointer.restart();
  };
  return {
    db,
    batches<T>(write: (items: T[]) => void, wait: (run: () => void) => void) {
      const commit = db.transaction(write);
      let waiting: Array<{ item: T; done: () => void }> = [];
      return (item: T) =>
        new Promise<void>((done) => {
          waiting.push({ item, done });
          if (waiting.length > 1) return;
          wait(
            () =>
              void ready().then(() => {
                const taken = waiting;
                waiting = [];
                commit(taken.map((w) => w.item));
                taken.forEach((w) => w.done());
              }),
          );
        });
    },
  };
}
