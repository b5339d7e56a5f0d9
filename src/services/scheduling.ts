import { errors } from '../core/errors.js';
import { usagePeriods } from '../core/plans.js';
import type { Store } from '../store/database.js';
import { recordEvents } from '../store/events-repo.js';
import {
  anyScheduledDue,
  cancelScheduledRows,
  listScheduled,
  promoteScheduledRows,
  type ScheduledRow,
} from '../store/schedule-repo.js';
import type { Trx } from '../store/schema.js';
import { inWriteTransaction } from '../store/transactions.js';
import { newEvent } from './new-event.js';
import { giveBackQuota } from '../store/usage-repo.js';

async function promote(trx: Trx, p: Parameters<typeof promoteScheduledRows>[1]): Promise<string[]> {
  const promoted = await promoteScheduledRows(trx, p);
  await recordEvents(
    trx,
    promoted.map((e) => newEvent({ emailId: e.id, accountId: e.account_id }, 'queued', { scheduled: true }, p.now)),
  );
  return promoted.map((e) => e.id);
}

/**
 * Moves scheduled emails due by `dueBy` (default `now`; at most `limit`) to the queue, each with its
 * `queued` event, in one transaction. Returns the ids promoted.
 */
export async function promoteDueEmails(
  store: Store,
  p: { now: number; dueBy?: number; limit?: number },
): Promise<string[]> {
  const dueBy = p.dueBy ?? p.now;
  // Most ticks find nothing due: answer from the index without taking the write lock.
  if (!(await anyScheduledDue(store.db, dueBy))) return [];
  return inWriteTransaction(store.db, (trx) => promote(trx, { now: p.now, dueBy, limit: p.limit ?? 500 }));
}

/** POST /v1/emails/scheduled/{id}/send-now: queues one of an account's scheduled emails now; 404 otherwise. */
export async function sendScheduledNow(store: Store, accountId: string, emailId: string): Promise<void> {
  const promoted = await inWriteTransaction(store.db, (trx) =>
    promote(trx, { now: Date.now(), only: { accountId, emailId } }),
  );
  if (promoted.length === 0) throw errors.notFound('Scheduled email');
}

/**
 * Cancels one of an account's scheduled emails and, in the same transaction, records its `cancelled`
 * event and gives back the quota its recipients took: one unit each, in the day and month it was
 * accepted in. 404 unless it was still scheduled.
 */
export async function cancelScheduledEmail(store: Store, accountId: string, emailId: string): Promise<void> {
  const cancelled = await inWriteTransaction(store.db, async (trx) => {
    const now = Date.now();
    const c = await cancelScheduledRows(trx, accountId, emailId, now);
    if (!c) return false;
    for (const period of Object.values(usagePeriods(c.acceptedAt)))
      await giveBackQuota(trx, accountId, period, c.recipients);
    await recordEvents(trx, [newEvent({ emailId, accountId }, 'cancelled', null, now)]);
    return true;
  });
  if (!cancelled) throw errors.notFound('Scheduled email');
}

/** A page of an account's scheduled emails, soonest first (see listScheduled). */
export async function scheduledEmails(
  store: Store,
  accountId: string,
  o: Parameters<typeof listScheduled>[2],
): Promise<ScheduledRow[]> {
  return listScheduled(store.db, accountId, o);
}
