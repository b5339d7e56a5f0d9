import type { Logger } from 'pino';
import type { Store } from '../store/database.js';
import { purgeIdempotencyKeys } from '../store/idempotency-repo.js';
import { promoteDueEmails } from '../services/scheduling.js';

/** How often expired Idempotency-Keys (older than 24 h) are deleted. */
const PURGE_EVERY_MS = 3_600_000;

/** Moves scheduled emails into the queue when they fall due (an index on the due time, no scan), and hourly forgets
 * expired Idempotency-Keys. */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private lastPurgeAt = 0;

  constructor(
    private readonly store: Store,
    private readonly opts: { intervalMs: number; onPromoted: () => void },
    private readonly log: Logger,
  ) {}

  /** Starts ticking. */
  start(): void {
    this.tick();
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = (async () => {
      try {
        let promoted: string[];
        do {
          promoted = await promoteDueEmails(this.store, { now: Date.now(), limit: 500 });
          if (promoted.length) {
            this.log.info({ count: promoted.length }, 'scheduled emails queued');
            this.opts.onPromoted();
          }
        } while (promoted.length === 500 && !this.stopped);
        if (Date.now() - this.lastPurgeAt > PURGE_EVERY_MS) {
          this.lastPurgeAt = Date.now();
          await purgeIdempotencyKeys(this.store.db, this.lastPurgeAt);
        }
      } catch (error) {
        this.log.error({ err: error }, 'promoting scheduled emails failed; will retry');
      }
    })();
    void this.running.then(() => {
      if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.opts.intervalMs);
    });
  }
}
