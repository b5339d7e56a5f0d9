import type { Logger } from 'pino';
import type { Store } from '../store/database.js';
import { deleteEventsBefore } from '../store/events-repo.js';

const DAY_MS = 86_400_000;
/** Events deleted per statement: a short write, so that writers (the tracking thread's batches) barely wait. */
const BATCH = 1_000;
/** The pause between two batches, in ms, in which the writers go first. */
const PAUSE_MS = 100;
/** How often a pass starts, in ms: the first right away, then every ten minutes. */
const PASS_EVERY_MS = 600_000;

/** What one pass needs; `stopping` ends it between two batches. */
export interface PruneOptions {
  now: number;
  retentionDays: number;
  batchSize?: number;
  pauseMs?: number;
  stopping?: () => boolean;
  /** Waits between batches (a timer by default; the loop's can be cut short on shutdown). */
  pause?: (ms: number) => Promise<void>;
}

/**
 * One retention pass: deletes every event older than `retentionDays` at `now` (none when it is 0), a
 * batch at a time in the order they were recorded, pausing between batches. Returns how many it deleted.
 */
export async function pruneExpiredEvents(store: Store, o: PruneOptions): Promise<number> {
  if (o.retentionDays <= 0) return 0;
  const before = o.now - o.retentionDays * DAY_MS;
  const limit = o.batchSize ?? BATCH;
  const pause = o.pause ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let after: string | null = null;
  let deleted = 0;
  for (;;) {
    const batch = await deleteEventsBefore(store.db, { before, after, limit });
    if (batch.last === null) return deleted;
    after = batch.last;
    deleted += batch.deleted;
    if (o.stopping?.()) return deleted;
    await pause(o.pauseMs ?? PAUSE_MS);
  }
}

/** The background loop of retention: a pass now and every ten minutes, stopped between two batches on shutdown. */
export class EventPruner {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly retentionDays: number,
    private readonly log: Logger,
  ) {}

  /** Starts the first pass. */
  start(): void {
    this.pass();
  }

  /** Stops: a pass in progress ends after its current batch; resolves once it has. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.running;
  }

  private pass(): void {
    if (this.stopped) return;
    this.running = (async () => {
      try {
        const deleted = await pruneExpiredEvents(this.store, {
          now: Date.now(),
          retentionDays: this.retentionDays,
          stopping: () => this.stopped,
          pause: (ms) => this.sleep(ms),
        });
        if (deleted > 0) this.log.info({ deleted, retentionDays: this.retentionDays }, 'expired events deleted');
      } catch (error) {
        this.log.error({ err: error }, 'deleting expired events failed; will retry');
      }
    })();
    void this.running.then(() => {
      if (!this.stopped) this.timer = setTimeout(() => this.pass(), PASS_EVERY_MS);
    });
  }

  /** A pause that stop() cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
