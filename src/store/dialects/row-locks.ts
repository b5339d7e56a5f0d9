import type { Db, Trx } from '../schema.js';
import { dialectOf } from './dialect.js';

/** A select that can lock the rows it reads (Kysely's SelectQueryBuilder). */
interface Lockable<Q> {
  forUpdate(): Q;
  skipLocked(): Q;
}

/**
 * Claims rows for this process: on PostgreSQL `FOR UPDATE SKIP LOCKED`, so that any number of
 * processes claim side by side without waiting on each other; on SQLite, whose one writer holds the
 * whole database for the transaction, the select as it is.
 */
export function skippingLocked<Q extends Lockable<Q>>(db: Db, query: Q): Q {
  return dialectOf(db) === 'postgres' ? query.forUpdate().skipLocked() : query;
}

/**
 * Locks the emails' rows, in id order, until the transaction ends (PostgreSQL; SQLite has one writer).
 * Taken before reading what other processes may be writing about the same emails, it makes them take turns.
 */
export async function lockEmailRows(trx: Trx, emailIds: readonly string[]): Promise<void> {
  if (emailIds.length === 0 || dialectOf(trx) === 'sqlite') return;
  await trx
    .selectFrom('emails')
    .select('id')
    .where('id', 'in', [...emailIds].sort())
    .orderBy('id')
    .forUpdate()
    .execute();
}

/**
 * Locks an account's row until the transaction ends (PostgreSQL; SQLite has one writer): a count-then-insert
 * of the account's rows (its capped webhooks) taken under it cannot be raced past the cap.
 */
export async function lockAccountRow(trx: Trx, accountId: string): Promise<void> {
  if (dialectOf(trx) === 'sqlite') return;
  await trx.selectFrom('accounts').select('id').where('id', '=', accountId).forUpdate().execute();
}
