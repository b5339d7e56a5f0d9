import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Takes `n` units of one period's quota if that keeps the count within `limit`, atomically: the
 * limit is checked by the UPDATE itself, so two concurrent requests cannot both take the last unit
 * (PostgreSQL re-checks the WHERE after waiting for the row lock; SQLite has one writer).
 */
export async function takeQuota(trx: Db, accountId: string, period: string, n: number, limit: number): Promise<boolean> {
  if (n > limit) return false;
  const r = await trx.insertInto('usage_counters').values({ account_id: accountId, period, count: n })
    .onConflict((oc) => oc.columns(['account_id', 'period'])
      .doUpdateSet((eb) => ({ count: eb('usage_counters.count', '+', n) }))
      .where((eb) => eb(eb('usage_counters.count', '+', n), '<=', limit)))
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** The counts of the given periods (0 where nothing was sent). */
export async function readUsage(db: Db, accountId: string, periods: string[]): Promise<Record<string, number>> {
  const rows = await db.selectFrom('usage_counters').select(['period', 'count']).where('account_id', '=', accountId).where('period', 'in', periods).execute();
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
  await trx.updateTable('usage_counters').set({ count: sql<number>`CASE WHEN count > ${n} THEN count - ${n} ELSE 0 END` })
    .where('account_id', '=', accountId).where('period', '=', period).execute();
}
