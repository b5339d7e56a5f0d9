import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { spawnThread } from '../../threads.js';
import type { ScannerListFiles } from '../scanner-lists.js';
import type { Hit, HitRules, PixelLoad } from '../hit.js';

/** What the recording thread needs to judge and write hits on a connection of its own (plain data: it is copied to the
 * thread). */
export interface RecordingSetup {
  databaseUrl: string;
  /** The tracking tokens' secret, and the one before it while TAIFA_SECRET_PREVIOUS is set. */
  secret: string;
  previousSecret?: string | null;
  scannerFiles: ScannerListFiles;
  rules: HitRules;
  logLevel: string;
}

/** Messages to the recording thread: hits to write, "write what you hold now", "write it all and stop". */
export type ToRecordingThread = { type: 'hits'; hits: Array<Hit | PixelLoad> } | { type: 'flush' } | { type: 'close' };
/** Messages from it: started (or could not), and after each batch how many hits it settled and recorded, in order. */
export type FromRecordingThread =
  { type: 'ready' } | { type: 'failed'; message: string } | { type: 'settled'; settled: number; recorded: number };

/** What a HitBuffer needs besides its thread's setup. */
export interface HitBufferOptions {
  log: Logger;
  /** Hits waiting (buffered or being written) past which add() hands back a promise of the hit's write. */
  maxPending: number;
  /** Called once per hit recorded. */
  onRecorded?: () => void;
}

/**
 * How long hits gather before they are handed to the thread, in ms: a message costs about as much as
 * a request's own work, so they go a few dozen at a time (the thread gathers them for longer anyway).
 */
const HAND_OVER_EVERY_MS = 10;
/** Pause before a recording thread that died is replaced, in ms. */
const RESPAWN_AFTER_MS = 1_000;

/**
 * The buffer behind the tracking endpoints: hits are added in memory and answered at once; every few
 * milliseconds what was gathered goes to the recording thread (recording-thread.ts), which checks
 * the pixels' tokens, applies the counting rules and writes in batches (BatchWriter) on a database
 * connection of its own. So the event loop only answers: the statements, the rules and the HMACs run
 * on another core, and a batch being written never holds a request. No hit is dropped: hits stay here
 * until the thread says they were settled, and if the thread dies, a new one gets them.
 */
export class HitBuffer {
  private thread: Worker;
  /** Hits gathered since the last hand-over, handed over together. */
  private outgoing: Array<Hit | PixelLoad> = [];
  /** Hits handed over and not settled yet, in order (the thread settles them in order). */
  private unsettled: Array<Hit | PixelLoad> = [];
  /** Hits ever added, and hits whose write has settled (committed or failed): pending is the difference. */
  private added = 0;
  private settled = 0;
  private waiters: Array<{ seq: number; resolve: () => void }> = [];
  private closing = false;

  private constructor(
    private readonly setup: RecordingSetup,
    private readonly opts: HitBufferOptions,
    thread: Worker,
  ) {
    this.thread = thread;
    this.attach(thread);
  }

  /** Starts the recording thread; rejects if it cannot start (its database or scanner lists). */
  static async start(setup: RecordingSetup, opts: HitBufferOptions): Promise<HitBuffer> {
    if (setup.databaseUrl === 'sqlite::memory:')
      throw new Error(
        'tracking needs a database file or PostgreSQL: the recording thread cannot share an in-memory SQLite database',
      );
    return new HitBuffer(setup, opts, await HitBuffer.spawn(setup));
  }

  private static async spawn(setup: RecordingSetup): Promise<Worker> {
    const thread = spawnThread(new URL('./recording-thread.ts', import.meta.url), setup);
    const [first] = (await Promise.race([
      once(thread, 'message'),
      once(thread, 'error').then(([e]) => Promise.reject(e instanceof Error ? e : new Error(String(e)))),
      once(thread, 'exit').then(([code]) => Promise.reject(new Error(`the recording thread exited (${code})`))),
    ])) as [FromRecordingThread];
    if (first.type !== 'ready') {
      await thread.terminate();
      throw new Error(`the recording thread could not start: ${first.type === 'failed' ? first.message : first.type}`);
    }
    // The thread keeps the process alive only while it holds hits (see add and settle), so that an idle one
    // never holds up an exit, and a busy one always gets to write what it holds.
    thread.unref();
    return thread;
  }

  /**
   * Buffers a hit. Returns undefined, or, when more than `maxPending` hits are waiting, a promise that
   * settles when this hit's write has (back-pressure: the caller may wait on it, for a while).
   */
  add(hit: Hit | PixelLoad): Promise<void> | undefined {
    if (this.outgoing.push(hit) === 1) setTimeout(() => this.handOver(), HAND_OVER_EVERY_MS);
    if (this.added === this.settled) this.thread.ref();
    const seq = ++this.added;
    if (seq - this.settled <= this.opts.maxPending) return undefined;
    return new Promise<void>((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** How many hits the thread has been handed and not settled yet (read-only; tests wait on it). */
  get handedOver(): number {
    return this.unsettled.length;
  }

  /** Resolves when every hit added so far has been written (or failed). */
  async drain(): Promise<void> {
    const upTo = this.added;
    if (this.settled >= upTo) return;
    this.handOver();
    this.send({ type: 'flush' });
    await new Promise<void>((resolve) => this.waiters.push({ seq: upTo, resolve }));
  }

  /** Writes everything added, then stops the thread. */
  async close(): Promise<void> {
    await this.drain();
    this.closing = true;
    this.thread.ref();
    const exited = once(this.thread, 'exit');
    this.send({ type: 'close' });
    await exited;
  }

  private send(m: ToRecordingThread): void {
    this.thread.postMessage(m);
  }

  private handOver(): void {
    if (this.outgoing.length === 0) return;
    const hits = this.outgoing;
    this.outgoing = [];
    for (const h of hits) this.unsettled.push(h);
    this.send({ type: 'hits', hits });
  }

  private attach(thread: Worker): void {
    thread.on('message', (m: FromRecordingThread) => {
      if (m.type !== 'settled') return;
      this.unsettled.splice(0, m.settled);
      this.settle(m.settled);
      for (let i = 0; i < m.recorded; i++) this.opts.onRecorded?.();
    });
    thread.on('error', (error) => this.opts.log.error({ err: error }, 'the recording thread failed'));
    thread.on('exit', () => {
      if (!this.closing) this.respawnLater();
    });
  }

  /** Schedules respawn; the timer keeps the process alive only while there are hits to hand over. */
  private respawnLater(): void {
    const timer = setTimeout(() => void this.respawn(), RESPAWN_AFTER_MS);
    if (this.added === this.settled) timer.unref();
  }

  /** Replaces a thread that died, and hands it what the dead one had not settled (some of it may be written twice). */
  private async respawn(): Promise<void> {
    if (this.closing) return;
    try {
      this.thread = await HitBuffer.spawn(this.setup);
    } catch (error) {
      this.opts.log.error(
        { err: error, waiting: this.unsettled.length },
        'could not restart the recording thread; trying again',
      );
      this.respawnLater();
      return;
    }
    this.attach(this.thread);
    if (this.added > this.settled) this.thread.ref();
    if (this.unsettled.length > 0) this.send({ type: 'hits', hits: this.unsettled });
  }

  private settle(n: number): void {
    this.settled += n;
    if (this.settled === this.added && !this.closing) this.thread.unref();
    for (let first = this.waiters[0]; first && first.seq <= this.settled; first = this.waiters[0]) {
      this.waiters.shift();
      first.resolve();
    }
  }
}
