/**
 * Counts failures per key (a client address, an email) in fixed windows, in this process's memory: after
 * `maxFailures` failures within `windowMs` of a key's first, the key is blocked until that window ends, then starts
 * again from nothing. At most `maxKeys` windows are kept; past it, the oldest go.
 */
export class FailureWindows {
  /** Failures per key: how many, and when its window ends. In the order windows end (a new one is inserted last). */
  private readonly windows = new Map<string, { count: number; until: number }>();

  /** `maxFailures` 0 blocks nothing. */
  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until `key` may fail again, or 0 when it is not blocked. */
  blockedForSeconds(key: string, now = Date.now()): number {
    if (this.maxFailures === 0) return 0;
    const entry = this.windows.get(key);
    if (!entry || entry.until <= now || entry.count < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((entry.until - now) / 1000));
  }

  /** Counts a failure of `key`. */
  recordFailure(key: string, now = Date.now()): void {
    if (this.maxFailures === 0) return;
    const entry = this.windows.get(key);
    if (entry && entry.until > now) {
      entry.count++;
      return;
    }
    this.windows.delete(key);
    this.windows.set(key, { count: 1, until: now + this.windowMs });
    this.prune(now);
  }

  /** Forgets the failures of `key`. */
  forget(key: string): void {
    this.windows.delete(key);
  }

  /** Drops ended windows, and the oldest ones while there are too many: it stops at the first live one, so it costs
   * nothing per failure but what it drops. */
  private prune(now: number): void {
    for (const [key, entry] of this.windows) {
      if (entry.until > now && this.windows.size <= this.maxKeys) break;
      this.windows.delete(key);
    }
  }
}
