import { sql, type Kysely } from 'kysely';
import type { EmailStatus, RecipientStatus, SmtpReply } from '../model.js';
import { skippingLocked } from './dialects/row-locks.js';
import type { Database, RecipientRow, Trx } from './schema.js';

/**
 * Written into the SQL, not bound: SQLite only uses the partial index `email_recipients_due`
 * (WHERE status IN ('queued','deferred')) when the query states the same constants; with bound
 * parameters every claim scanned the whole table (65 ms per claim with 500k sent rows, on the event loop).
 */
const WAITING = sql<boolean>`status IN ('queued', 'deferred')`;

/**
 * Claims up to `limit` due recipients under a lease. The lease end is also written as the next attempt
 * time, so a recipient whose worker died becomes due again, through the same index, when its lease expires.
 * On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets any number of workers claim side by side. The rows are
 * chosen once, in a materialised CTE: as `id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` the planner may
 * run the subquery again for each row it updates, and each run skips the rows the statement has
 * already locked, so a claim of one took every due row (seen on the webhook outbox's claim).
 */
export async function claimDueRecipients(
  db: Kysely<Database>,
  c: { workerId: string; now: number; leaseMs: number; limit: number },
): Promise<RecipientRow[]> {
  const until = c.now + c.leaseMs;
  return db
    .with(
      (w) => w('claimable').materialized(),
      (qb) =>
        skippingLocked(
          db,
          qb
            .selectFrom('email_recipients')
            .select('id')
            .where(WAITING)
            .where('next_attempt_at', '<=', c.now)
            .orderBy('next_attempt_at')
            .limit(c.limit),
        ),
    )
    .updateTable('email_recipients')
    .set({ locked_by: c.workerId, locked_until: until, next_attempt_at: until })
    .where('id', 'in', (eb) => eb.selectFrom('claimable').select('claimable.id'))
    .returningAll()
    .execute();
}

/**
 * Extends the leases `workerId` still holds on `ids` (claimed and waiting, or in flight), in one
 * UPDATE. The next attempt time moves with the lease, or another worker's claim would take the
 * recipient when the first lease term ends. Returns the ids renewed; a missing one was lost.
 */
export async function renewLeases(
  db: Kysely<Database>,
  c: { workerId: string; ids: string[]; now: number; leaseMs: number },
): Promise<string[]> {
  if (c.ids.length === 0) return [];
  const until = c.now + c.leaseMs;
  const rows = await db
    .updateTable('email_recipients')
    .set({ locked_until: until, next_attempt_at: until })
    .where('locked_by', '=', c.workerId)
    .where('id', 'in', c.ids)
    .where(WAITING)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** What one delivery attempt did to one recipient. */
export interface AttemptRecord {
  recipientId: string;
  emailId: string;
  workerId: string;
  status: RecipientStatus;
  now: number;
  nextAttemptAt: number | null;
  /** The reply of the attempt; null when nothing was sent (a suppression stopped it): no attempt is counted. */
  lastReply: SmtpReply | null;
  /** The email has no other recipient, so its recipients' statuses need not be read back. */
  onlyRecipient?: boolean;
}

/**
 * Records an attempt's outcome on its recipient, in the caller's transaction, and releases the lease.
 * Fenced on the lease: when `workerId` no longer holds it (it expired and another worker claimed the
 * recipient), nothing is written and null is returned, so one attempt never records a second outcome
 * over another's. Otherwise returns the recipient statuses of the email after the change.
 */
export async function recordAttempt(trx: Trx, r: AttemptRecord): Promise<RecipientStatus[] | null> {
  const updated = await trx
    .updateTable('email_recipients')
    .set((eb) => ({
      status: r.status,
      ...(r.lastReply
        ? {
            attempts: eb('attempts', '+', 1),
            first_attempt_at: eb.fn.coalesce('first_attempt_at', eb.val(r.now)),
            last_attempt_at: r.now,
            last_reply: JSON.stringify(r.lastReply),
          }
        : {}),
      next_attempt_at: r.nextAttemptAt,
      locked_by: null,
      locked_until: null,
      updated_at: r.now,
    }))
    .where('id', '=', r.recipientId)
    .where('locked_by', '=', r.workerId)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) return null;
  if (r.onlyRecipient) return [r.status];
  return recipientStatuses(trx, r.emailId);
}

/** The statuses of an email's recipients, in the order they were given (its status is derived from them). */
export async function recipientStatuses(trx: Trx, emailId: string): Promise<RecipientStatus[]> {
  const rows = await trx
    .selectFrom('email_recipients')
    .select('status')
    .where('email_id', '=', emailId)
    .orderBy('position')
    .execute();
  return rows.map((row) => row.status);
}

/**
 * Sets an email's derived status and the first-sent / delivered times when they apply; `rejection`
 * adds a sentence to its rejection reason.
 */
export async function updateEmailStatus(
  trx: Trx,
  emailId: string,
  u: { status: EmailStatus; now: number; sent: boolean; delivered: boolean; rejection?: string },
): Promise<void> {
  const rejection = u.rejection;
  await trx
    .updateTable('emails')
    .set((eb) => ({
      status: u.status,
      updated_at: u.now,
      ...(u.sent ? { sent_at: eb.fn.coalesce('sent_at', eb.val(u.now)) } : {}),
      ...(u.delivered ? { delivered_at: u.now } : {}),
      ...(rejection
        ? { rejection_reason: sql<string>`coalesce(${sql.ref('rejection_reason')} || ' ', '') || ${rejection}` }
        : {}),
    }))
    .where('id', '=', emailId)
    .execute();
}

/** Gives back leases a stopping worker holds but never attempted, so they are due at once elsewhere. */
export async function releaseLeases(db: Kysely<Database>, workerId: string, ids: string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('email_recipients')
    .set({ locked_by: null, locked_until: null, next_attempt_at: now })
    .where('locked_by', '=', workerId)
    .where('id', 'in', ids)
    .where(WAITING)
    .execute();
}
