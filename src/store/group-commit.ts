import type { Kysely, Transaction } from 'kysely';
import { boundWriteTransaction } from './dialects/write-transactions.js';
import type { Database } from './schema.js';
import { gatherUntilEnd, writeAtEnd } from './transactions.js';

/** Lets the units of a group hand rows to one shared write made after all of them, before the commit. */
export interface GroupBatch {
  /** Adds `item` to the batch `key`; `flush` runs once per key with every item of the group. */
  add<I>(key: string, item: I, flush: (trx: Transaction<Database>, items: I[]) => Promise<void>): void;
  /** One object per group (and per transaction) under `key`, made by `make` for the first unit that asks. */
  shared<T>(key: string, make: () => T): T;
}

type Work<T> = (trx: Transaction<Database>, batch: GroupBatch) => Promise<T>;

class Batches implements GroupBatch {
  private readonly byKey = new Map<
    string,
    { items: unknown[]; flush: (trx: Transaction<Database>, items: unknown[]) => Promise<void> }
  >();
  private readonly objects = new Map<string, unknown>();

  shared<T>(key: string, make: () => T): T {
    if (!this.objects.has(key)) this.objects.set(key, make());
    return this.objects.get(key) as T;
  }

  add<I>(key: string, item: I, flush: (trx: Transaction<Database>, items: I[]) => Promise<void>): void {
    const entry = this.byKey.get(key);
    if (entry) entry.items.push(item);
    else
      this.byKey.set(key, {
        items: [item],
        flush: flush as (trx: Transaction<Database>, items: unknown[]) => Promise<void>,
      });
  }

  async flushAll(trx: Transaction<Database>): Promise<void> {
    for (const { items, flush } of this.byKey.values()) await flush(trx, items);
  }
}
interface Pending {
  work: Work<unknown>;
  /** Units of a group run in this order, so that concurrent groups take row locks in one order. */
  orderKey: string;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** PostgreSQL's "deadlock detected" and "could not serialize": the transaction may simply be run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const ALONE_ATTEMPTS = 3;

function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && RETRYABLE.has(String((error as { code?: unknown }).code));
}

/**
 * Commits concurrent units of work in one transaction and one fsync, then answers each of them.
 * Work that arrives while groups are committing waits for the next group; up to `concurrency` groups
 * commit at once (1 on SQLite, which has one writer; more on PostgreSQL, where each round trip of a
 * group would otherwise hold everyone up). If a group fails, each of its units is retried in a
 * transaction of its own, so that one bad unit cannot sink the others.
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly opts: { maxGroup?: number; concurrency?: number } = {},
  ) {}

  /** Runs `work` inside a shared transaction; resolves only after that transaction committed. */
  run<T>(work: Work<T>, orderKey = ''): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, orderKey, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Resolves when everything queued so far has been committed (or failed). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.running > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private schedule(): void {
    if (this.scheduled || this.running >= (this.opts.concurrency ?? 1)) return;
    this.scheduled = true;
    // setImmediate lets every request parsed in this turn of the event loop join the group.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.queue.length === 0 || this.running >= (this.opts.concurrency ?? 1)) return;
    this.running++;
    const group = this.queue
      .splice(0, this.opts.maxGroup ?? 256)
      .sort((a, b) => (a.orderKey < b.orderKey ? -1 : a.orderKey > b.orderKey ? 1 : 0));
    try {
      const results: unknown[] = [];
      await this.db.transaction().execute(async (trx) => {
        await boundWriteTransaction(trx);
        gatherUntilEnd(trx);
        const batches = new Batches();
        for (const p of group) results.push(await p.work(trx, batches));
        await batches.flushAll(trx);
        await writeAtEnd(trx);
      });
      group.forEach((p, i) => p.resolve(results[i]));
    } catch (error) {
      const [only] = group;
      if (group.length === 1 && only && !isRetryable(error)) only.reject(error);
      else for (const p of group) await this.runAlone(p);
    } finally {
      this.running--;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private async runAlone(p: Pending): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return p.resolve(
          await this.db.transaction().execute(async (trx) => {
            await boundWriteTransaction(trx);
            gatherUntilEnd(trx);
            const batches = new Batches();
            const result = await p.work(trx, batches);
            await batches.flushAll(trx);
            await writeAtEnd(trx);
            return result;
          }),
        );
      } catch (error) {
        if (attempt >= ALONE_ATTEMPTS || !isRetryable(error)) return p.reject(error);
      }
    }
  }
}
