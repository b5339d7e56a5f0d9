import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  IdentifierNode,
  RawNode,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  createQueryId,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from 'kysely';

/** Statements that end or frame a transaction: they write nothing of their own. */
const FRAMING = /^\s*(begin|commit|end|rollback|savepoint|release)\b/i;
/** Statements that only read (a RETURNING clause makes a write of any of them). */
const READING = /^\s*(\(\s*)?(select|explain)\b/i;

/** Whether executing `sql` may write to the database (conservative: anything not plainly a read). */
export function writesData(sql: string): boolean {
  if (FRAMING.test(sql)) return false;
  return !READING.test(sql) || /\breturning\b/i.test(sql);
}

/**
 * Makes SQLite commits durable without holding the event loop. SQLite's synchronous=FULL fsyncs the
 * WAL inside COMMIT, and better-sqlite3 runs COMMIT on the event loop: with group commit, about a
 * millisecond per group (a quarter of the send path's time) during which nothing else ran. Instead the
 * connection runs with synchronous=NORMAL (a commit writes its WAL frames, no fsync) and, before a
 * write is reported done, this fdatasyncs the WAL file on libuv's thread pool: the same guarantee as
 * FULL (the committed frames are on disk; frames a checkpoint already moved are in the database file,
 * which NORMAL syncs after each checkpoint), while the event loop goes on parsing and validating.
 * One difference from FULL, and only on power loss: other connections can read a commit in the
 * fsync's ~millisecond before it is on disk (no answer has been given for it yet).
 */
export class WalSync {
  private fd: number | null = null;
  /** A statement that writes ran since the last sync. */
  dirty = false;
  /** fdatasyncs made (tests check that writes wait for one). */
  syncs = 0;

  constructor(private readonly walPath: string) {}

  /** fdatasyncs the WAL if anything was written since the last time; resolves when it is on disk. */
  async syncIfDirty(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.fd === null) {
      try {
        this.fd = fs.openSync(this.walPath, 'r+');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // no WAL: nothing was written through one
        throw error;
      }
    }
    const fd = this.fd;
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
    this.syncs++;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

/** How long a statement waits for another connection's write lock before it fails with SQLITE_BUSY, in ms. */
const LOCK_WAIT_MS = 10_000;
/** The longest pause between two tries at a lock another connection holds, in ms. */
const LOCK_RETRY_MAX_MS = 4;

const isBusy = (error: unknown): boolean => /^SQLITE_BUSY/.test(String((error as { code?: unknown } | null)?.code));

/**
 * Runs `attempt` until it does not fail for a lock another connection holds (the recording thread, a
 * checkpoint, another process), pausing on timers between tries. The connection's busy_timeout is 0:
 * SQLite's own busy handler sleeps in the calling thread, which here is the event loop.
 */
async function waitingForLock<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let pause = 1; ; pause = Math.min(pause * 2, LOCK_RETRY_MAX_MS)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * The one connection of a better-sqlite3 database, as Kysely's SqliteDriver makes it, with two changes:
 * outside a transaction a statement waits for another connection's write lock on timers, never by
 * blocking the thread (waitingForLock), and a write is reported done only once WalSync has it on disk.
 * Inside a transaction the connection holds the write lock already (BEGIN IMMEDIATE), and the commit syncs.
 */
class DurableSqliteConnection implements DatabaseConnection {
  inTransaction = false;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly wal: WalSync | null,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.inTransaction) return this.run<R>(query);
    const result = await waitingForLock(async () => this.run<R>(query));
    await this.wal?.syncIfDirty();
    return result;
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('SQLite streams only select queries');
    for (const row of this.db.prepare(query.sql).iterate(query.parameters)) yield { rows: [row as R] };
  }

  private run<R>({ sql, parameters }: CompiledQuery): QueryResult<R> {
    const stmt = this.db.prepare(sql);
    if (stmt.reader) return { rows: stmt.all(parameters) as R[] };
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }
}

/** Hands SQLite's one connection to one user at a time (Kysely's SqliteDriver does the same). */
class ConnectionMutex {
  private held: Promise<void> | null = null;
  private release: (() => void) | null = null;

  async lock(): Promise<void> {
    while (this.held) await this.held;
    this.held = new Promise<void>((resolve) => (this.release = resolve));
  }

  unlock(): void {
    const release = this.release;
    this.held = null;
    this.release = null;
    release?.();
  }
}

/**
 * A Kysely driver for better-sqlite3, on Kysely's public Driver interface. Beyond what Kysely's own
 * SqliteDriver does: a transaction begins IMMEDIATE (it takes the write lock at BEGIN, waiting its turn
 * behind other connections such as the recording thread, where a deferred BEGIN would fail with
 * SQLITE_BUSY at its first write if another connection had committed since its first read); waiting for
 * that lock is done on timers (waitingForLock); a commit is reported done once WalSync has it on disk;
 * and a transaction first lets the checkpointer restart the WAL when it has grown past its bound.
 */
class DurableSqliteDriver implements Driver {
  private readonly mutex = new ConnectionMutex();
  private db: SqliteDatabase | null = null;
  private connection: DurableSqliteConnection | null = null;

  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly wal: WalSync | null,
    private readonly checkpointer: WalCheckpointer | null,
  ) {}

  async init(): Promise<void> {
    const { database, onCreateConnection } = this.config;
    this.db = typeof database === 'function' ? await database() : database;
    this.connection = new DurableSqliteConnection(this.db, this.wal);
    await onCreateConnection?.(this.connection);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.mutex.lock();
    return this.own();
  }

  async beginTransaction(): Promise<void> {
    // Holding the connection, so that no write of this process competes with the checkpoint.
    if (this.checkpointer?.full) await this.checkpointer.restart();
    await this.own().executeQuery(CompiledQuery.raw('begin immediate'));
    this.own().inTransaction = true;
  }

  async commitTransaction(): Promise<void> {
    await this.own().executeQuery(CompiledQuery.raw('commit'));
    this.own().inTransaction = false;
    await this.wal?.syncIfDirty();
  }

  async rollbackTransaction(): Promise<void> {
    this.own().inTransaction = false;
    if (this.wal) this.wal.dirty = false;
    await this.own().executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compile(savepointCommand('savepoint', name), createQueryId()));
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await connection.executeQuery(compile(savepointCommand('rollback to', name), createQueryId()));
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await connection.executeQuery(compile(savepointCommand('release', name), createQueryId()));
  }

  async releaseConnection(): Promise<void> {
    this.mutex.unlock();
  }

  async destroy(): Promise<void> {
    this.db?.close();
  }

  /** SQLite's one connection: every connection Kysely hands back to this driver is this one. */
  private own(): DurableSqliteConnection {
    if (!this.connection) throw new Error('the SQLite driver was not initialised');
    return this.connection;
  }
}

/** `savepoint`, `rollback to` or `release` a savepoint, its name quoted by the query compiler. */
function savepointCommand(command: string, name: string): RawNode {
  return RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]);
}

/** Kysely's SQLite dialect (adapter, query compiler, introspector) with DurableSqliteDriver. */
export class DurableSqliteDialect implements Dialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly wal: WalSync | null,
    private readonly checkpointer: WalCheckpointer | null,
  ) {}

  createDriver(): Driver {
    return new DurableSqliteDriver(this.config, this.wal, this.checkpointer);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/**
 * Checkpoints the WAL from a thread of its own. A checkpoint copies the WAL's pages into the database
 * file and fsyncs both; left to SQLite, it runs inside whichever COMMIT crosses 1,000 WAL pages, on
 * the event loop (18% of the send path's time). The connections that write turn that off
 * (wal_autocheckpoint=0) and this thread runs a PASSIVE checkpoint (which never blocks a writer) every
 * `everyMs`. Under steady writes a passive checkpoint never quite catches up, though, and SQLite
 * starts the WAL over only once one has. So past `restartFrames` pages in the WAL the thread says so,
 * and the next transaction of this process first waits (without holding the event loop) for a
 * RESTART checkpoint, which copies the little that the passive ones left; that transaction then
 * starts the WAL from its beginning and cuts its file back to journal_size_limit. Plain JavaScript,
 * so that it runs the same from source and compiled.
 */
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
let full = false;
const checkpoint = (mode) => {
  try {
    const [r] = db.pragma('wal_checkpoint(' + mode + ')');
    const over = (r ? r.log : 0) > workerData.restartFrames;
    if (over !== full) parentPort.postMessage({ full: over });
    full = over;
    return true;
  } catch (error) {
    // Another process's checkpoint, or a writer holding the lock past busy_timeout: the next look will do.
    if (!/^SQLITE_(BUSY|LOCKED)/.test(String(error && error.code))) parentPort.postMessage({ error: String(error && error.message || error) });
    return false;
  }
};
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.everyMs);
parentPort.on('message', (m) => {
  if (m === 'restart') {
    checkpoint('RESTART');
    // Whatever happened, the waiting writer goes on (a failed RESTART is tried again next time).
    full = false;
    parentPort.postMessage({ restarted: true });
    return;
  }
  clearInterval(timer);
  checkpoint('PASSIVE');
  db.close();
  parentPort.close();
});
`;

/** The checkpoint thread of one SQLite database (see CHECKPOINTER). */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private alive = true;
  /** The WAL has grown past its bound: the next transaction waits for restart() first. */
  full = false;
  private restarting: Promise<void> | null = null;
  private restarted: (() => void) | null = null;

  constructor(file: string, opts: { everyMs: number; restartFrames: number }, onError: (message: string) => void) {
    this.worker = new Worker(CHECKPOINTER, {
      eval: true,
      workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file, ...opts },
    });
    this.worker.on('message', (m: { error?: string; full?: boolean; restarted?: boolean }) => {
      if (m.error) onError(m.error);
      if (m.full !== undefined) this.full = m.full && this.alive;
      if (m.restarted) this.settleRestart();
    });
    this.worker.on('error', (error) => onError(`the checkpoint thread failed: ${error.message}`));
    // A thread that is gone checkpoints nothing more (SQLite's own checkpoint on close still runs), and
    // must not leave a transaction waiting for it.
    this.exited = new Promise<void>((resolve) =>
      this.worker.once('exit', () => {
        this.alive = false;
        this.full = false;
        this.settleRestart();
        resolve();
      }),
    );
  }

  /** A RESTART checkpoint; resolves when it is done (or failed, or the thread is gone). */
  restart(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    this.restarting ??= new Promise<void>((resolve) => {
      this.restarted = resolve;
      this.worker.postMessage('restart');
    });
    return this.restarting;
  }

  /** A last checkpoint, then the thread ends. */
  async close(): Promise<void> {
    if (this.alive) this.worker.postMessage('close');
    await this.exited;
  }

  private settleRestart(): void {
    this.full = false;
    const done = this.restarted;
    this.restarting = null;
    this.restarted = null;
    done?.();
  }
}
