import type { Logger } from 'pino';
import type { ScannerLists } from '../../core/bot-classification.js';
import { TtlCache } from '../../ttl-cache.js';
import type { GroupCommitter } from '../../store/group-commit.js';
import type { Hit, HitRules, PixelLoad, RecipientCache } from '../hit.js';
import { writeHitBatch } from './write-hit-batch.js';
import type { TrackingTokens } from '../tokens.js';

/** What a BatchWriter needs. */
export interface BatchWriterDeps {
  committer: GroupCommitter;
  tokens: TrackingTokens;
  lists: ScannerLists;
  rules: HitRules;
  log: Logger;
  /** Called after each batch, in order: how many hits it settled (written or failed), and how many of them were
   * recorded. */
  onSettled: (settled: number, recorded: number) => void;
}

/**
 * How long a hit waits in the buffer for others to share its transaction, in ms. Nobody waits on the
 * write (the answer went out already), so this buys batches of hundreds under load: a handful of
 * statements and one commit for all of them.
 */
const FLUSH_EVERY_MS = 50;
/** Hits per transaction at most: past it, batches follow each other after PAUSE_BETWEEN_MS. */
const MAX_BATCH = 1_000;
/**
 * Between two full batches, a pause in which the main thread's connection can take SQLite's write lock
 * (it tries again every few ms while another connection holds it), so that a flood of hits cannot keep
 * the API's writes waiting.
 */
const PAUSE_BETWEEN_MS = 2;

/**
 * The writing end of the tracking endpoints (it runs in the recording thread): hits are buffered and
 * written one batch at a time through the group committer (one transaction, one fsync) by writeHitBatch.
 * No hit is dropped: a batch that fails is retried hit by hit, each in a unit of its own, so that one
 * bad hit cannot sink the others (and what fails then is logged).
 */
export class BatchWriter {
  private queue: Array<Hit | PixelLoad> = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private readonly recipients: RecipientCache = new TtlCache(60_000, 50_000);

  constructor(private readonly deps: BatchWriterDeps) {}

  /** Buffers hits, in the order they came. */
  add(hits: ReadonlyArray<Hit | PixelLoad>): void {
    for (const h of hits) this.queue.push(h);
    this.schedule(this.queue.length >= MAX_BATCH ? PAUSE_BETWEEN_MS : FLUSH_EVERY_MS);
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
      if (delayMs >= FLUSH_EVERY_MS) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      // record() catches every write failure; this catch only keeps an unexpected throw from becoming an
      // unhandled rejection, which would end the thread.
      this.writing = this.writeBatch()
        .catch((error: unknown) => this.deps.log.error({ err: error }, 'tracking batch failed'))
        .finally(() => {
          this.writing = null;
          if (this.queue.length > 0) this.schedule(this.queue.length >= MAX_BATCH ? PAUSE_BETWEEN_MS : FLUSH_EVERY_MS);
        });
    }, delayMs);
  }

  private async writeBatch(): Promise<void> {
    const taken = this.queue.splice(0, MAX_BATCH);
    if (taken.length === 0) return;
    let recorded = 0;
    try {
      const batch = this.verified(taken);
      if (batch.length > 0) recorded = await this.record(batch);
    } finally {
      this.deps.onSettled(taken.length, recorded);
    }
  }

  /** Writes the batch; returns how many of its hits were recorded. */
  private async record(batch: Hit[]): Promise<number> {
    const { committer, lists, rules, log } = this.deps;
    try {
      await committer.run((trx) => writeHitBatch(trx, lists, rules, batch, this.recipients));
      return batch.length;
    } catch {
      const each = await Promise.all(
        batch.map((hit) =>
          committer
            .run((trx) => writeHitBatch(trx, lists, rules, [hit], this.recipients))
            .then(
              () => 1,
              (error: unknown) => {
                log.error({ err: error, emailId: hit.emailId }, 'could not record a tracking hit');
                return 0;
              },
            ),
        ),
      );
      return each.reduce((a: number, b) => a + b, 0);
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
      if (target)
        hits.push({
          kind: 'open',
          emailId: target.emailId,
          recipientId: target.recipientId,
          url: null,
          ua: h.ua,
          ip: h.ip,
          referer: null,
          at: h.at,
        });
    }
    return hits;
  }
}
