import type { Logger } from 'pino';

/**
 * Keeps a worker's leases alive: remembers each claimed recipient until its attempt is recorded and,
 * every third of the lease term, extends all of them in one write. Without it, a transaction slower
 * than the lease (a tarpitting MX, a big attachment) or work waiting in the buffer would be claimed
 * and sent again by another worker.
 */
export class LeaseKeeper {
  /** Recipient id → when its lease ends, as last written. */
  private readonly held = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;

  constructor(
    private readonly opts: {
      leaseMs: number;
      /** Extends the leases of `ids` to `now + leaseMs`; resolves to the ids still held. */
      renew: (ids: string[], now: number) => Promise<string[]>;
      /** Called with the ids whose lease turned out to be lost (another worker has them now). */
      onLost: (ids: string[]) => void;
      log: Logger;
    },
  ) {}

  /** Starts renewing. */
  start(): void {
    this.timer ??= setInterval(() => void this.tick(), Math.max(Math.floor(this.opts.leaseMs / 3), 10));
    this.timer.unref();
  }

  /** Stops renewing (what is still held will expire) and waits for a renewal in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.renewing;
  }

  hold(id: string, until: number): void {
    this.held.set(id, until);
  }

  drop(id: string): void {
    this.held.delete(id);
  }

  ids(): string[] {
    return [...this.held.keys()];
  }

  /** How many recipients are held (claimed and not yet done with). */
  count(): number {
    return this.held.size;
  }

  /**
   * Whether a transaction may start on this lease: more than a third of the term must be left (so a
   * renewal is not overdue); otherwise another worker may be about to take it, and sending would risk a duplicate.
   */
  canStart(id: string, now: number): boolean {
    return (this.held.get(id) ?? 0) - now > this.opts.leaseMs / 3;
  }

  private async tick(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = (async () => {
      const ids = this.ids();
      const now = Date.now();
      try {
        const renewed = new Set(await this.opts.renew(ids, now));
        const lost: string[] = [];
        for (const id of ids) {
          if (renewed.has(id)) {
            if (this.held.has(id)) this.held.set(id, now + this.opts.leaseMs);
          } else if (this.held.has(id)) {
            // Not renewed and still held: recorded meanwhile (the record releases the lease), or lost.
            lost.push(id);
          }
        }
        if (lost.length) this.opts.onLost(lost);
      } catch (error) {
        this.opts.log.warn(
          { err: error, count: ids.length },
          'renewing leases failed; will try again (no new transaction starts on a lease about to expire)',
        );
      }
    })();
    await this.renewing;
    this.renewing = null;
  }
}
