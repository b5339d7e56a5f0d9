import type { Kysely } from 'kysely';
import { newId } from '../core/ids.js';
import type { Dialect } from './database.js';
import { boundWriteTransaction } from './group-commit.js';
import type { Database, EmailRow } from './schema.js';
import { giveBackQuota } from './usage-repo.js';

/**
 * Moves scheduled emails to the queue at time `now`: those due by `dueBy` (default `now`; at most
 * `limit`), or one email by id (send-now). The status check in the UPDATE makes two schedulers, or a scheduler and a cancel,
 * race safely: each email is promoted once. Returns the ids promoted.
 */
export async function promoteScheduled(
  db: Kysely<Database>,
  dialect: Dialect,
  p: { now: number; dueBy?: number; limit?: number; only?: { accountId: string; emailId: string } },
): Promise<string[]> {
  if (!p.only) {
    // Most ticks find nothing due: answer from the index without taking the write lock.
    const due = await db
      .selectFrom('emails')
      .select('id')
      .where('status', '=', 'scheduled')
      .where('scheduled_at', '<=', p.dueBy ?? p.now)
      .limit(1)
      .execute();
    if (due.length === 0) return [];
  }
  return db.transaction().execute(async (trx) => {
    await boundWriteTransaction(trx);
    // updated_at is stamped inside the transaction, as late as it can be (GET /v1/emails/updates).
    const promoted = await trx
      .updateTable('emails')
      .set({ status: 'queued', updated_at: Math.max(p.now, Date.now()) })
      .where('status', '=', 'scheduled')
      .where('id', 'in', (eb) => {
        let sub = eb.selectFrom('emails').select('id').where('status', '=', 'scheduled');
        sub = p.only
          ? sub.where('id', '=', p.only.emailId).where('account_id', '=', p.only.accountId)
          : sub
              .where('scheduled_at', '<=', p.dueBy ?? p.now)
              .orderBy('scheduled_at')
              .limit(p.limit ?? 500);
        if (dialect === 'postgres') sub = sub.forUpdate().skipLocked();
        return sub;
      })
      .returning(['id', 'account_id'])
      .execute();
    if (promoted.length === 0) return [];
    const ids = promoted.map((e) => e.id);
    await trx
      .updateTable('email_recipients')
      .set({ status: 'queued', next_attempt_at: p.now, updated_at: p.now })
      .where('email_id', 'in', ids)
      .where('status', '=', 'scheduled')
      .execute();
    await trx
      .insertInto('email_events')
      .values(
        promoted.map((e) => ({
          id: newId(),
          email_id: e.id,
          account_id: e.account_id,
          recipient_id: null,
          recipient: null,
          event_type: 'queued',
          metadata: JSON.stringify({ scheduled: true }),
          bot: null,
          created_at: p.now,
        })),
      )
      .execute();
    return ids;
  });
}

/**
 * Cancels one of an account's scheduled emails and, in the same transaction, gives back the quota
 * its recipients took: one unit each, in the periods `quotaPeriodsOf(created_at)` names (the day and
 * month it was accepted in). False unless it was still scheduled.
 */
export async function cancelScheduled(
  db: Kysely<Database>,
  accountId: string,
  emailId: string,
  quotaPeriodsOf: (acceptedAtMs: number) => string[],
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await boundWriteTransaction(trx);
    const now = Date.now();
    const cancelled = await trx
      .updateTable('emails')
      .set({ status: 'cancelled', updated_at: now })
      .where('id', '=', emailId)
      .where('account_id', '=', accountId)
      .where('status', '=', 'scheduled')
      .returning('created_at')
      .executeTakeFirst();
    if (!cancelled) return false;
    const r = await trx
      .updateTable('email_recipients')
      .set({ status: 'cancelled', updated_at: now })
      .where('email_id', '=', emailId)
      .where('status', '=', 'scheduled')
      .executeTakeFirst();
    const units = Number(r.numUpdatedRows);
    for (const period of quotaPeriodsOf(cancelled.created_at)) await giveBackQuota(trx, accountId, period, units);
    await trx
      .insertInto('email_events')
      .values({
        id: newId(),
        email_id: emailId,
        account_id: accountId,
        recipient_id: null,
        recipient: null,
        event_type: 'cancelled',
        metadata: null,
        bot: null,
        created_at: now,
      })
      .execute();
    return true;
  });
}

/** What the scheduled list shows of an email. */
export type ScheduledRow = Pick<
  EmailRow,
  'id' | 'from_email' | 'from_name' | 'to_json' | 'subject' | 'status' | 'tags_json' | 'scheduled_at' | 'created_at'
>;

/**
 * An account's scheduled emails, soonest first: `limit` of them after the (scheduled_at, id) of the
 * last one seen (so that a caller can walk them all in pages that each cost the same), or at `offset`.
 * Only the listed columns are read: bodies stay on disk.
 */
export async function listScheduled(
  db: Kysely<Database>,
  accountId: string,
  o: { limit: number; offset?: number; after?: { scheduledAt: number; id: string } },
): Promise<ScheduledRow[]> {
  let q = db
    .selectFrom('emails')
    .select([
      'id',
      'from_email',
      'from_name',
      'to_json',
      'subject',
      'status',
      'tags_json',
      'scheduled_at',
      'created_at',
    ])
    .where('account_id', '=', accountId)
    .where('status', '=', 'scheduled');
  const after = o.after;
  if (after)
    q = q.where((eb) =>
      eb.or([
        eb('scheduled_at', '>', after.scheduledAt),
        eb.and([eb('scheduled_at', '=', after.scheduledAt), eb('id', '>', after.id)]),
      ]),
    );
  return q
    .orderBy('scheduled_at')
    .orderBy('id')
    .limit(o.limit)
    .offset(o.offset ?? 0)
    .execute();
}
