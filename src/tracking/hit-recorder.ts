import type { Logger } from 'pino';
import type { ScannerLists } from '../core/bot-classification.js';
import { TtlCache } from '../core/ttl-cache.js';
import type { GroupCommitter } from '../store/group-commit.js';
import type { Hit, HitRules, RecipientCache } from './record-hit.js';
import { recordHits } from './record-hits.js';
import type { TrackingTokens } from './tokens.js';

/**
 * A pixel load whose token is not verified yet: the GIF is the answer whatever the token says, so the
 * check waits for the batch, where a few hundred HMACs in a row cost less than one per request.
 */
export interface PixelLoad {
  kind: 'pixel';
  token: string;
  ua: string;
  ip: string;
  at: number;
}

/** What a HitRecorder needs. */
export interface HitRecorderDeps {
  committer: GroupCommitter;
  tokens: TrackingTokens;
  lists: ScannerLists;
  rules: HitRules;
  log: Logger;
  /** Hits waiting (buffered or being written) past which add() hands back a promise of the hit's write. */
  maxPending: number;
  /** Called once per hit recorded. */
  onRecorded?: () => void;
}

/**
 * How long a hit waits in the buffer for others to share its transaction, in ms. Nobody waits on the
 * write (the answer went out already), so this buys batches of hundreds under load: a handful of
 * statements and one commit for all of them; each batch's statements run on the event loop (SQLite)
 * or cost a round trip each (PostgreSQL), so the fewer batches the better. (When SQLite's fsync still
 * ran on the event loop, batches every 10 ms took 15% of the server's time.)
 */
const FLUSH_EVERY_MS = 50;
/** Hits per transaction at most: past it, batches follow each other at once. */
const MAX_BATCH = 1_000;

/**
 * The buffer behind the tracking endpoints: hits are added in memory and answered at once; one batch
 * at a time is written through the group committer (one transaction, one fsync, with whatever else
 * commits then) by recordHits. No hit is dropped: a batch that fails is retried hit by hit, each in a
 * unit of its own, so that one bad hit cannot sink the others (and what fails then is logged).
 */
export class HitRecorder {
  private queue: Array<Hit | PixelLoad> = [];
  /** Hits ever added, and hits whose write has settled (committed or failed): pending is the difference. */
  private added = 0;
  private settled = 0;
  private waiters: Array<{ seq: number; resolve: () => void }> = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private readonly recipients: RecipientCache = new TtlCache(60_000, 50_000);

  constructor(private readonly deps: HitRecorderDeps) {}

  /** Hits added and not yet written (or failed). */
  get pending(): number {
    return this.added - this.settled;
  }

  /**
   * Buffers a hit. Returns undefined, or, when more than `maxPending` hits are waiting, a promise that
   * settles when this hit's write has (back-pressure: the caller may wait on it, for a while).
   */
  add(hit: Hit | PixelLoad): Promise<void> | undefined {
    this.queue.push(hit);
    const seq = ++this.added;
    this.schedule(this.queue.length >= MAX_BATCH ? 0 : FLUSH_EVERY_MS);
    if (seq - this.settled <= this.deps.maxPending) return undefined;
    return new Promise<void>((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** Resolves when every hit added so far has been written (or failed). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.writing) {
      if (!this.writing) this.schedule(0);
      await (this.writing ?? new Promise((r) => setImmediate(r)));
    }
  }

  private schedule(delayMs: number): void {
    if (this.writing) return;
    if (this.timer) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      // record() catches every write failure; this catch only keeps an unexpected throw from becoming an
      // unhandled rejection, which would end the process and lose the buffer.
      this.writing = this.writeBatch().catch((error: unknown) => this.deps.log.error({ err: error }, 'tracking batch failed')).finally(() => {
        this.writing = null;
        if (this.queue.length > 0) this.schedule(this.queue.length >= MAX_BATCH ? 0 : FLUSH_EVERY_MS);
      });
    }, delayMs);
  }

  private async writeBatch(): Promise<void> {
    const taken = this.queue.splice(0, MAX_BATCH);
    if (taken.length === 0) return;
    const batch = this.verified(taken);
    if (batch.length > 0) await this.record(batch);
    this.settled += taken.length;
    while (this.waiters.length > 0 && this.waiters[0]!.seq <= this.settled) this.waiters.shift()!.resolve();
  }

  private async record(batch: Hit[]): Promise<void> {
    const { committer, lists, rules, log, onRecorded } = this.deps;
    try {
      await committer.run((trx) => recordHits(trx, lists, rules, batch, this.recipients));
      if (onRecorded) batch.forEach(() => onRecorded());
    } catch {
      await Promise.all(batch.map((hit) => committer.run((trx) => recordHits(trx, lists, rules, [hit], this.recipients)).then(
        () => onRecorded?.(),
        (error: unknown) => log.error({ err: error, emailId: hit.emailId }, 'could not record a tracking hit'),
      )));
    }
  }

  /** The hits of a batch, with each pixel load's token verified (a forged or garbled one is no hit). */
  private verified(taken: ReadonlyArray<Hit | PixelLoad>): Hit[] {
    const hits: Hit[] = [];
    for (const h of taken) {
      if (h.kind !== 'pixel') {
        hits.push(h);
        continue;
      }
      const target = this.deps.tokens.verify(h.token, 'open');
      if (target) hits.push({ kind: 'open', emailId: target.emailId, recipientId: target.recipientId, url: null, ua: h.ua, ip: h.ip, referer: null, at: h.at });
    }
    return hits;
  }
}
