import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import { WalCheckpointer } from '../../src/store/dialects/sqlite/wal-checkpointer.js';
import { writesData } from '../../src/store/dialects/sqlite/wal-sync.js';
import { eventually } from '../helpers/server.js';

// SQLite commits with synchronous=NORMAL and the store fdatasyncs the WAL itself, off the event loop,
// before a write is reported done; checkpoints run in a thread of their own.
describe('SQLite writes: durable before they resolve, off the event loop', () => {
  let dir: string;
  let file: string;
  let store: Store;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-durable-'));
    file = path.join(dir, 'db.sqlite');
    store = openStore(`sqlite:${file}`);
    await sql`create table t (id integer primary key, v text)`.execute(store.db);
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const syncs = () => store.wal!.syncs;

  it('fsyncs the WAL before a write resolves: a statement, a transaction; never for reads or a rollback', async () => {
    const before = syncs();
    await store.db
      .insertInto('t' as never)
      .values({ v: 'a' })
      .execute();
    expect(syncs()).toBe(before + 1);
    await store.db.transaction().execute(async (trx) => {
      await sql`insert into t (v) values ('b')`.execute(trx);
      await sql`insert into t (v) values ('c')`.execute(trx);
      expect(syncs()).toBe(before + 1); // not inside the transaction: once, at its commit
    });
    expect(syncs()).toBe(before + 2);
    await sql`select count(*) from t`.execute(store.db);
    await store.db.transaction().execute(async (trx) => sql`select * from t`.execute(trx));
    expect(syncs()).toBe(before + 2);
    await expect(
      store.db.transaction().execute(async (trx) => {
        await sql`insert into t (v) values ('d')`.execute(trx);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await sql`select 1`.execute(store.db);
    expect(syncs()).toBe(before + 2);
    // What resolved is there for a new connection (and was written with synchronous=NORMAL).
    const other = new SQLite(file);
    expect(other.prepare('select v from t order by id').pluck().all()).toEqual(['a', 'b', 'c']);
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    other.close();
    expect((await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db)).rows[0]!.synchronous).toBe(1);
  });

  it('takes the write lock at BEGIN, so another connection waits instead of failing mid-transaction', async () => {
    const other = new SQLite(file);
    other.pragma('busy_timeout = 0');
    await store.db.transaction().execute(async (trx) => {
      await sql`select count(*) from t`.execute(trx); // no write yet
      expect(() => other.exec('begin immediate')).toThrow(/locked|busy/i);
    });
    other.exec('begin immediate');
    other.exec('rollback');
    other.close();
  });

  it("waits for another connection's write lock on timers, not by holding the event loop", async () => {
    const other = new SQLite(file);
    other.exec('begin immediate');
    // Both wait for the lock: a transaction at BEGIN, a statement outside one when it runs.
    const inTransaction = store.db
      .transaction()
      .execute(async (trx) => sql`insert into t (v) values ('in a transaction')`.execute(trx));
    const alone = sql`insert into t (v) values ('alone')`.execute(store.db);
    // Timers still fire while they wait: SQLite's busy handler would have slept on this thread instead.
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => ++ticks === 5 && (clearInterval(timer), resolve()), 5);
    });
    expect(other.prepare('select count(*) as n from t').get()).toEqual({ n: 0 });
    other.exec('commit');
    other.close();
    await Promise.all([inTransaction, alone]);
    const rows = await sql<{ v: string }>`select v from t order by v`.execute(store.db);
    expect(rows.rows.map((r) => r.v)).toEqual(['alone', 'in a transaction']);
  });

  it('checkpoints the WAL into the database file from its own thread', async () => {
    const size = () => fs.statSync(file).size;
    const start = size();
    for (let i = 0; i < 20; i++) await sql`insert into t (v) values (${'x'.repeat(10_000)})`.execute(store.db);
    // The writing connection never checkpoints (wal_autocheckpoint=0): only the thread moves pages into the file.
    expect(
      (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db)).rows[0]!
        .wal_autocheckpoint,
    ).toBe(0);
    await eventually('the database file to grow', async () => (size() > start + 200_000 ? true : undefined));
  });

  it('keeps the WAL bounded under steady writes: a long one is made to start over', async () => {
    const small = openStore(`sqlite:${path.join(dir, 'small.sqlite')}`, { checkpointEveryMs: 50, walRestartPages: 64 });
    try {
      await sql`create table t (id integer primary key, v text)`.execute(small.db);
      // 40 MB in transactions queued back to back: passive checkpoints alone never catch up with
      // them, and the WAL would hold everything written.
      let written = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (written < 40_000_000) {
            await small.db.transaction().execute(async (trx) => {
              for (let i = 0; i < 20; i++) await sql`insert into t (v) values (${'y'.repeat(4_000)})`.execute(trx);
            });
            written += 80_000;
          }
        }),
      );
      // Without the restarts the WAL holds everything written (47 MB when measured, pages and frame
      // headers included); with them, the bound plus what the writers add between two looks of the
      // checkpoint thread, which depends on how fast the machine writes (4 MB on a slow one, 6 on a fast
      // one), hence a bound well above that and far below what no restart would leave.
      expect(fs.statSync(path.join(dir, 'small.sqlite-wal')).size).toBeLessThan(written / 4);
    } finally {
      await small.close();
    }
  });

  it('goes on without its checkpoint thread: nothing waits for a thread that is gone', async () => {
    const errors: string[] = [];
    // The thread cannot open this database, so it ends at once.
    const checkpointer = new WalCheckpointer(
      path.join(dir, 'missing', 'db.sqlite'),
      { everyMs: 10, restartFrames: 1 },
      (m) => errors.push(m),
    );
    await eventually('the thread to report its failure', async () => (errors.length > 0 ? true : undefined));
    expect(errors[0]).toMatch(/checkpoint thread failed/);
    await checkpointer.restart();
    expect(checkpointer.full).toBe(false);
    await checkpointer.close();
  });

  it('leaves an in-memory database alone: no WAL to sync, no checkpoint thread', async () => {
    const memory = openStore('sqlite::memory:');
    await sql`create table m (v text)`.execute(memory.db);
    await memory.db.transaction().execute(async (trx) => sql`insert into m (v) values ('x')`.execute(trx));
    expect((await sql<{ v: string }>`select v from m`.execute(memory.db)).rows).toEqual([{ v: 'x' }]);
    expect(memory.wal).toBeUndefined();
    await memory.close();
  });

  it('tells reads from writes', () => {
    for (const read of [
      'select 1',
      '  SELECT * from t',
      '(select 1) union (select 2)',
      'explain query plan select 1',
      'begin immediate',
      'commit',
      'rollback',
    ])
      expect([read, writesData(read)]).toEqual([read, false]);
    for (const write of [
      'insert into t values (1)',
      'update t set v = 1',
      'delete from t',
      'with x as (select 1) insert into t select * from x',
      'insert into t (v) values (1) returning id',
      'create table u (x)',
      'pragma foreign_keys = on',
    ])
      expect([write, writesData(write)]).toEqual([write, true]);
  });
});
