import { sql } from 'kysely';
import { idBoundAt } from '../ids.js';
import type { BotKind } from '../model.js';
import { chunksOfPowersOf4, insertRows } from './insert-rows.js';
import { enqueueWebhookDeliveries } from './webhook-outbox-repo.js';
import type { Db, EventRow, NewEvent, Trx } from './schema.js';
import { moveRollups } from './stats-repo.js';

/**
 * A counted open or click found later to be a machine's (its visitor followed the honeypot): the
 * event keeps its place in the timeline, relabelled, and what it counted is taken back. A compensating
 * change, so that every counter kept from events can follow it.
 */
export interface Relabel {
  /** The event as stored. */
  event: EventRow;
  bot: Exclude<BotKind, ''>;
  /** Its metadata after the change (JSON text). */
  metadata: string;
}

/** The predicate of migration 0005's partial indexes, as a literal: SQLite ignores a partial index for a bound
 * parameter. */
const COUNTED = sql.lit(1);

/** What the events of one transaction change on one email's engagement counters. */
interface CounterDelta {
  emailId: string;
  opens: number;
  firstOpenAt: number | null;
  clicks: number;
  firstClickAt: number | null;
  /** A counted event was taken back: the first-open and first-click times must be looked up again. */
  takenBack: boolean;
}

/**
 * Records events in the caller's transaction: appends `events` and applies `relabels`. The one way
 * events are written — by the API's accept path, the worker, the scheduler and the tracking thread —
 * so that what must follow every event follows it in the same transaction: the emails' open and
 * click counters and first times (moved by counted events, taken back by relabels), then the stats
 * rollups (stats-repo.ts) and the webhook outbox (webhook-outbox-repo.ts). An email's status change is
 * the caller's, in the same transaction.
 */
export async function recordEvents(
  trx: Trx,
  events: readonly NewEvent[],
  relabels: readonly Relabel[] = [],
): Promise<void> {
  if (events.length > 0) await insertEvents(trx, events);
  for (const r of relabels) {
    await trx
      .updateTable('email_events')
      .set({ bot: r.bot, metadata: r.metadata, counted: 0 })
      .where('id', '=', r.event.id)
      .execute();
  }
  const deltas = counterDeltas(events, relabels);
  if (deltas.length > 0) await moveCounters(trx, deltas);
  const emails = await loadEventEmails(trx, [
    ...events.map((e) => e.email_id),
    ...relabels.map((r) => r.event.email_id),
  ]);
  await moveRollups(trx, events, relabels, emails);
  await enqueueWebhookDeliveries(trx, events, emails);
}

/** What the followers of recordEvents (webhook outbox, stats rollups) need to know of an event's email. */
export interface EventEmail {
  id: string;
  account_id: string;
  from_email: string;
  subject: string;
  message_id: string;
  tags: string[];
  /** The sending domain (of the From address), lower-cased. */
  domain: string;
  /** How many recipients it was sent to. */
  recipients: number;
  /** Whether its account has an enabled webhook endpoint (read with the email: no query for accounts without). */
  hooked: boolean;
}

/** The emails of `emailIds`, by id, read in the caller's transaction (one statement per 400). */
export async function loadEventEmails(trx: Trx, emailIds: Iterable<string>): Promise<Map<string, EventEmail>> {
  const ids = [...new Set(emailIds)];
  const out = new Map<string, EventEmail>();
  for (let i = 0; i < ids.length; i += 400) {
    const rows = await trx
      .selectFrom('emails')
      .select(['id', 'account_id', 'from_email', 'subject', 'message_id', 'tags_json'])
      .select((eb) =>
        eb
          .selectFrom('email_recipients')
          .select((e2) => e2.fn.countAll<number>().as('n'))
          .whereRef('email_recipients.email_id', '=', 'emails.id')
          .as('recipients'),
      )
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('webhooks')
              .select('webhooks.id')
              .whereRef('webhooks.account_id', '=', 'emails.account_id')
              .where('webhooks.enabled', '=', 1),
          )
          .as('hooked'),
      )
      .where('id', 'in', ids.slice(i, i + 400))
      .execute();
    for (const r of rows) {
      out.set(r.id, {
        id: r.id,
        account_id: r.account_id,
        from_email: r.from_email,
        subject: r.subject,
        message_id: r.message_id,
        tags: r.tags_json ?? [],
        domain: r.from_email.slice(r.from_email.lastIndexOf('@') + 1).toLowerCase(),
        recipients: Number(r.recipients ?? 0),
        // A boolean on PostgreSQL, 0 or 1 on SQLite.
        hooked: Boolean(r.hooked),
      });
    }
  }
  return out;
}

/** Events as rows of one set of columns, in one order, so that they go out in a few cached statements. */
async function insertEvents(trx: Trx, events: readonly NewEvent[]): Promise<void> {
  const rows = events.map((e) => ({
    id: e.id,
    email_id: e.email_id,
    account_id: e.account_id,
    recipient_id: e.recipient_id ?? null,
    recipient: e.recipient ?? null,
    event_type: e.event_type,
    metadata: e.metadata ?? null,
    bot: e.bot ?? null,
    counted: e.counted ?? 0,
    created_at: e.created_at,
  }));
  for (const chunk of chunksOfPowersOf4(rows)) await insertRows(trx, 'email_events', chunk);
}

function counterDeltas(events: readonly NewEvent[], relabels: readonly Relabel[]): CounterDelta[] {
  const deltas = new Map<string, CounterDelta>();
  const delta = (emailId: string) => {
    let d = deltas.get(emailId);
    if (!d) {
      d = { emailId, opens: 0, firstOpenAt: null, clicks: 0, firstClickAt: null, takenBack: false };
      deltas.set(emailId, d);
    }
    return d;
  };
  for (const e of events) {
    if (e.counted !== 1) continue;
    const d = delta(e.email_id);
    if (e.event_type === 'open') {
      d.opens++;
      d.firstOpenAt = Math.min(d.firstOpenAt ?? e.created_at, e.created_at);
    } else if (e.event_type === 'click') {
      d.clicks++;
      d.firstClickAt = Math.min(d.firstClickAt ?? e.created_at, e.created_at);
    }
  }
  for (const { event: e } of relabels) {
    if (e.counted !== 1) continue;
    const d = delta(e.email_id);
    if (e.event_type === 'open') d.opens--;
    else if (e.event_type === 'click') d.clicks--;
    d.takenBack = true;
  }
  return [...deltas.values()].filter((d) => d.opens !== 0 || d.clicks !== 0 || d.takenBack);
}

/**
 * Moves the emails' counters (one statement per email, in id order, so that concurrent writers lock
 * rows in one order) and sets `opened_at`/`clicked_at` where unset. `updated_at` is stamped now, just
 * before the write, as on every other write of an email (see listUpdates).
 */
async function moveCounters(trx: Trx, deltas: CounterDelta[]): Promise<void> {
  const stampedAt = Date.now();
  deltas.sort((a, b) => (a.emailId < b.emailId ? -1 : a.emailId > b.emailId ? 1 : 0));
  for (const d of deltas) {
    await trx
      .updateTable('emails')
      .set((eb) => ({
        updated_at: stampedAt,
        ...(d.opens
          ? {
              opened_count: eb('opened_count', '+', d.opens),
              ...(d.firstOpenAt !== null ? { opened_at: eb.fn.coalesce('opened_at', eb.val(d.firstOpenAt)) } : {}),
            }
          : {}),
        ...(d.clicks
          ? {
              clicked_count: eb('clicked_count', '+', d.clicks),
              ...(d.firstClickAt !== null ? { clicked_at: eb.fn.coalesce('clicked_at', eb.val(d.firstClickAt)) } : {}),
            }
          : {}),
      }))
      .where('id', '=', d.emailId)
      .execute();
    if (d.takenBack) await recomputeFirstTimes(trx, d.emailId);
  }
}

/** The time of an email's first counted event of one type, or null. */
async function firstCounted(trx: Trx, emailId: string, type: 'open' | 'click'): Promise<number | null> {
  const r = await trx
    .selectFrom('email_events')
    .select((eb) => eb.fn.min<number | null>('created_at').as('first'))
    .where('email_id', '=', emailId)
    .where('event_type', '=', type)
    .where('counted', '=', COUNTED)
    .executeTakeFirst();
  return r?.first ?? null;
}

/** Sets `opened_at`/`clicked_at` to the first counted open/click left (null when none is). */
async function recomputeFirstTimes(trx: Trx, emailId: string): Promise<void> {
  const counts = await trx
    .selectFrom('emails')
    .select(['opened_count', 'clicked_count'])
    .where('id', '=', emailId)
    .executeTakeFirst();
  if (!counts) return;
  await trx
    .updateTable('emails')
    .set({
      opened_at: counts.opened_count > 0 ? await firstCounted(trx, emailId, 'open') : null,
      clicked_at: counts.clicked_count > 0 ? await firstCounted(trx, emailId, 'click') : null,
    })
    .where('id', '=', emailId)
    .execute();
}

/** An email's events, oldest first, after an optional event id (ids are time-ordered). */
export async function listEvents(
  db: Db,
  emailId: string,
  opts: { after?: string; limit?: number } = {},
): Promise<EventRow[]> {
  let q = db.selectFrom('email_events').selectAll().where('email_id', '=', emailId);
  if (opts.after) q = q.where('id', '>', opts.after);
  return q
    .orderBy('id')
    .limit(opts.limit ?? 1000)
    .execute();
}

/**
 * Retention: deletes the `limit` oldest events recorded before `before` (epoch ms) and after the id
 * `after` (where the previous batch ended), by primary key, in one short statement of its own. Returns
 * how many went and the last id deleted (null: none was left). Nothing else moves: an email keeps its
 * counters and first times, which were kept as its events came, never recounted from them.
 */
export async function deleteEventsBefore(
  db: Db,
  o: { before: number; after: string | null; limit: number },
): Promise<{ deleted: number; last: string | null }> {
  // An id is made after its event's created_at, so every event with an older id is older itself.
  let oldest = db
    .selectFrom('email_events')
    .select('id')
    .where('id', '<', idBoundAt(o.before, 'first'))
    .orderBy('id')
    .limit(o.limit);
  if (o.after !== null) oldest = oldest.where('id', '>', o.after);
  const rows = await db.deleteFrom('email_events').where('id', 'in', oldest).returning('id').execute();
  const last = rows.reduce<string | null>((max, r) => (max === null || r.id > max ? r.id : max), null);
  return { deleted: rows.length, last };
}
