import { CompiledQuery, sql } from 'kysely';
import { parameterMarkers } from './dialects/statement-text.js';
import type { Db } from './schema.js';

/** The counts of the given periods (0 where nothing was sent). */
export async function readUsage(db: Db, accountId: string, periods: string[]): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('usage_counters')
    .select(['period', 'count'])
    .where('account_id', '=', accountId)
    .where('period', 'in', periods)
    .execute();
  const out: Record<string, number> = Object.fromEntries(periods.map((p) => [p, 0]));
  for (const r of rows) out[r.period] = Number(r.count);
  return out;
}

/**
 * Returns units: taken in the same transaction (when a later check refused the request), or taken
 * earlier for an email that will now never be sent (a cancelled scheduled email). Never below zero.
 */
export async function giveBackQuota(trx: Db, accountId: string, period: string, n: number): Promise<void> {
  if (n <= 0) return;
  await trx
    .updateTable('usage_counters')
    .set({ count: sql<number>`CASE WHEN count > ${n} THEN count - ${n} ELSE 0 END` })
    .where('account_id', '=', accountId)
    .where('period', '=', period)
    .execute();
}

/** One period's quota that a unit wants to take: `n` units within `limit`. */
export interface QuotaWant {
  period: string;
  n: number;
  limit: number;
}

/**
 * The quota counters a group commit takes from, read once per account and written once per period at
 * the end of the group, instead of an upsert per request and period (on PostgreSQL each was a round
 * trip while the group's transaction waited). The first read locks the account's rows until the
 * commit (an upsert that touches them; the group's units run in account order, so groups lock in one
 * order), and the units decide against the counts in memory: as exact as one upsert each.
 */
export class QuotaLedger {
  private readonly counts = new Map<string, { count: number; taken: number }>();

  /**
   * Takes every want of one account, or none: resolves with -1, or the index of the first want that
   * would go past its limit.
   */
  async take(trx: Db, accountId: string, wants: readonly QuotaWant[]): Promise<number> {
    const key = (period: string) => `${accountId}\0${period}`;
    // More than a whole period allows is refused without a look (or a counter row) at all.
    const never = wants.findIndex((w) => w.n > w.limit);
    if (never !== -1) return never;
    const unread = wants.filter((w) => !this.counts.has(key(w.period)));
    if (unread.length > 0) {
      const p = parameterMarkers(trx);
      const values = unread.map(() => `(${p()}, ${p()}, 0)`).join(', ');
      const r = await trx.executeQuery<{ period: string; count: number | string }>(
        CompiledQuery.raw(
          `insert into "usage_counters" ("account_id", "period", "count") values ${values}
          on conflict ("account_id", "period") do update set "count" = "usage_counters"."count" returning "period", "count"`,
          unread.flatMap((w) => [accountId, w.period]),
        ),
      );
      for (const row of r.rows) this.counts.set(key(row.period), { count: Number(row.count), taken: 0 });
    }
    // Every period was read above (or earlier in the group).
    const entries = wants.map((w) => ({ w, e: this.counts.get(key(w.period)) ?? { count: 0, taken: 0 } }));
    const over = entries.findIndex(({ w, e }) => e.count + e.taken + w.n > w.limit);
    if (over === -1) for (const { w, e } of entries) e.taken += w.n;
    return over;
  }

  /** Writes what the group took, one statement per account and period. */
  async flush(trx: Db): Promise<void> {
    for (const [key, e] of this.counts) {
      if (e.taken === 0) continue;
      const [accountId, period] = key.split('\0') as [string, string];
      await trx
        .updateTable('usage_counters')
        .set((eb) => ({ count: eb('count', '+', e.taken) }))
        .where('account_id', '=', accountId)
        .where('period', '=', period)
        .execute();
    }
  }
}
