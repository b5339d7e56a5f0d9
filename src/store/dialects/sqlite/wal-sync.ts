import fs from 'node:fs';

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
