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
import type { WalCheckpointer } from './wal-checkpointer.js';
import type { WalSync } from './wal-sync.js';

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
