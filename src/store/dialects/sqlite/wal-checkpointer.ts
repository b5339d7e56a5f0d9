import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

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
