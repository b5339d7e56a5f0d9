import { CompiledQuery, PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Takes `n` units of one period's quota if that keeps the count within `limit`, atomically: the
 * limit is checked by the UPDATE itself, so two concurrent requests cannot both take the last unit
 * (PostgreSQL re-checks the WHERE after waiting for the row lock; SQLite has one writer).
 */
export async function takeQuota(trx: Db, accountId: string, period: string, n: number, limit: number): Promise<boolean> {
  if (n > limit) return false;
  // Written out rather than built with Kysely's query builder: twice per accepted request, and building it cost more than running it.
  const pg = trx.getExecutor().adapter instanceof PostgresAdapter;
  const r = await trx.executeQuery(CompiledQuery.raw(pg ? TAKE_QUOTA_PG : TAKE_QUOTA_SQLITE, [accountId, period, n, n, n, limit]));
  return Number(r.numAffectedRows ?? 0) === 1;
}

const TAKE_QUOTA = (p: (i: number) => string) => `insert into "usage_counters" ("account_id", "period", "count") values (${p(1)}, ${p(2)}, ${p(3)})
  on conflict ("account_id", "period") do update set "count" = "usage_counters"."count" + ${p(4)}
  where "usage_counters"."count" + ${p(5)} <= ${p(6)}`;
const TAKE_QUOTA_PG = TAKE_QUOTA((i) => `$${i}`);
const TAKE_QUOTA_SQLITE = TAKE_QUOTA(() => '?');

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
