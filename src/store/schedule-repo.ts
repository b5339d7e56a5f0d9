import type { Kysely } from 'kysely';
import { skippingLocked } from './dialects/row-locks.js';
import type { Database, EmailRow, Trx } from './schema.js';

/** Whether any scheduled email is due by `dueBy`: read from the index, without taking the write lock. */
export async function anyScheduledDue(db: Kysely<Database>, dueBy: number): Promise<boolean> {
  const due = await db
    .selectFrom('emails')
    .select('id')
    .where('status', '=', 'scheduled')
    .where('scheduled_at', '<=', dueBy)
    .limit(1)
    .execute();
  return due.length > 0;
}

/**
 * Moves scheduled emails and their recipients to the queue at time `now`, in the caller's transaction:
 * those due by `dueBy` (at most `limit`), or one email by id (send-now). The status check in the UPDATE
 * makes two schedulers, or a scheduler and a cancel, race safely: each email is promoted once.
 * Returns the emails promoted.
 */
export async function promoteScheduledRows(
  trx: Trx,
  p: { now: number; dueBy: number; limit: number } | { now: number; only: { accountId: string; emailId: string } },
): Promise<Array<{ id: string; account_id: string }>> {
  // updated_at is stamped inside the transaction, as late as it can be (GET /v1/emails/updates).
  const promoted = await trx
    .with(
      (w) => w('promotable').materialized(),
      (qb) => {
        const sub = qb.selectFrom('emails').select('id').where('status', '=', 'scheduled');
        return skippingLocked(
          trx,
          'only' in p
            ? sub.where('id', '=', p.only.emailId).where('account_id', '=', p.only.accountId)
            : sub.where('scheduled_at', '<=', p.dueBy).orderBy('scheduled_at').limit(p.limit),
        );
      },
    )
    .updateTable('emails')
    .set({ status: 'queued', updated_at: Math.max(p.now, Date.now()) })
    .where('status', '=', 'scheduled')
    // Chosen once, in a materialised CTE (see claimDueRecipients).
    .where('id', 'in', (eb) => eb.selectFrom('promotable').select('promotable.id'))
    .returning(['id', 'account_id'])
    .execute();
  if (promoted.length === 0) return [];
  await trx
    .updateTable('email_recipients')
    .set({ status: 'queued', next_attempt_at: p.now, updated_at: p.now })
    .where(
      'email_id',
      'in',
      promoted.map((e) => e.id),
    )
    .where('status', '=', 'scheduled')
    .execute();
  return promoted;
}

/**
 * Cancels one of an account's scheduled emails and its recipients, in the caller's transaction.
 * Returns when it was accepted and how many recipients it had, or null unless it was still scheduled.
 */
export async function cancelScheduledRows(
  trx: Trx,
  accountId: string,
  emailId: string,
  now: number,
): Promise<{ acceptedAt: number; recipients: number } | null> {
  const cancelled = await trx
    .updateTable('emails')
    .set({ status: 'cancelled', updated_at: now })
    .where('id', '=', emailId)
    .where('account_id', '=', accountId)
    .where('status', '=', 'scheduled')
    .returning('created_at')
    .executeTakeFirst();
  if (!cancelled) return null;
  const r = await trx
    .updateTable('email_recipients')
    .set({ status: 'cancelled', updated_at: now })
    .where('email_id', '=', emailId)
    .where('status', '=', 'scheduled')
    .executeTakeFirst();
  return { acceptedAt: cancelled.created_at, recipients: Number(r.numUpdatedRows) };
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
