import type { Transaction } from 'kysely';
import type { Database, EventRow, NewEvent } from './schema.js';

type Trx = Transaction<Database>;

/**
 * Events stored but not counted carry `"coalesced":true` in their metadata, written by JSON.stringify;
 * inside a JSON string value a quote is escaped, so only that flag can match. A text match works the
 * same on both databases, where JSON operators differ.
 */
const COALESCED = '%"coalesced":true%';

/** The recipient a tracking token names, with the time its copy went out. */
export async function findTrackedRecipient(trx: Trx, emailId: string, recipientId: string): Promise<{ accountId: string; address: string; sentAt: number | null } | undefined> {
  const r = await trx.selectFrom('email_recipients').select(['account_id', 'address', 'status', 'last_attempt_at'])
    .where('id', '=', recipientId).where('email_id', '=', emailId).executeTakeFirst();
  if (!r) return undefined;
  return { accountId: r.account_id, address: r.address, sentAt: r.status === 'sent' || r.status === 'delivered' ? r.last_attempt_at : null };
}

/** A recipient's events of one type since `since`, by people (`human`) or by machines, newest first. */
export async function recentEvents(trx: Trx, recipientId: string, type: string, since: number, human: boolean, limit = 50): Promise<EventRow[]> {
  return trx.selectFrom('email_events').selectAll().where('recipient_id', '=', recipientId).where('event_type', '=', type)
    .where('created_at', '>=', since).where('bot', human ? '=' : '<>', '').orderBy('created_at', 'desc').limit(limit).execute();
}

/** A recipient's counted events by people (coalesced repeats left out) of one type since `since`, newest first. */
export async function recentCountedEvents(trx: Trx, recipientId: string, type: string, since: number, limit: number): Promise<EventRow[]> {
  return trx.selectFrom('email_events').selectAll().where('recipient_id', '=', recipientId).where('event_type', '=', type)
    .where('created_at', '>=', since).where('bot', '=', '').where('metadata', 'not like', COALESCED)
    .orderBy('created_at', 'desc').limit(limit).execute();
}

/** Whether a recipient has a counted open by a person. */
export async function hasHumanOpen(trx: Trx, recipientId: string): Promise<boolean> {
  const r = await trx.selectFrom('email_events').select('id').where('recipient_id', '=', recipientId).where('event_type', '=', 'open')
    .where('bot', '=', '').where('metadata', 'not like', COALESCED).limit(1).execute();
  return r.length > 0;
}

/** Stores an engagement event. */
export async function insertEngagement(trx: Trx, e: NewEvent): Promise<void> {
  await trx.insertInto('email_events').values(e).execute();
}

/** Re-labels events as machine traffic (after the visitor followed the honeypot). */
export async function relabelAsBot(trx: Trx, ids: Array<{ id: string; metadata: string }>, bot: string): Promise<void> {
  for (const e of ids) await trx.updateTable('email_events').set({ bot, metadata: e.metadata }).where('id', '=', e.id).execute();
}

/** Moves an email's open or click counter (and sets the first time on the first counted one). */
export async function bumpEngagement(trx: Trx, emailId: string, kind: 'open' | 'click', delta: number, at: number): Promise<void> {
  if (kind === 'open') {
    await trx.updateTable('emails').set((eb) => ({ updated_at: at, opened_count: eb('opened_count', '+', delta), ...(delta > 0 ? { opened_at: eb.fn.coalesce('opened_at', eb.val(at)) } : {}) }))
      .where('id', '=', emailId).execute();
  } else {
    await trx.updateTable('emails').set((eb) => ({ updated_at: at, clicked_count: eb('clicked_count', '+', delta), ...(delta > 0 ? { clicked_at: eb.fn.coalesce('clicked_at', eb.val(at)) } : {}) }))
      .where('id', '=', emailId).execute();
  }
}

/** The time of an email's first counted event by a person of one type, or null. */
async function firstCounted(trx: Trx, emailId: string, type: 'open' | 'click'): Promise<number | null> {
  const r = await trx.selectFrom('email_events').select((eb) => eb.fn.min<number | null>('created_at').as('first'))
    .where('email_id', '=', emailId).where('event_type', '=', type).where('bot', '=', '').where('metadata', 'not like', COALESCED)
    .executeTakeFirst();
  return r?.first ?? null;
}

/** Sets `opened_at`/`clicked_at` to the first counted open/click left (null when none is), after counted ones were taken back. */
export async function recomputeFirstTimes(trx: Trx, emailId: string): Promise<void> {
  const counts = await trx.selectFrom('emails').select(['opened_count', 'clicked_count']).where('id', '=', emailId).executeTakeFirst();
  if (!counts) return;
  await trx.updateTable('emails').set({
    opened_at: counts.opened_count > 0 ? await firstCounted(trx, emailId, 'open') : null,
    clicked_at: counts.clicked_count > 0 ? await firstCounted(trx, emailId, 'click') : null,
  }).where('id', '=', emailId).execute();
}
