import { CompiledQuery, sql, type Transaction } from 'kysely';
import { insertRows } from './insert-rows.js';
import { isPostgres, parameterMarkers } from './sql-text.js';
import type { Database, EventRow, NewEvent } from './schema.js';

type Trx = Transaction<Database>;

/**
 * The predicates of the partial indexes of migration 0005, as literals: SQLite uses a partial index
 * only when the query repeats its predicate, and a bound parameter does not count.
 */
const COUNTED = sql.lit(1);
const OPEN = sql.lit('open');

/**
 * Pads an id list to a power of two by repeating its last id, so that `IN (…)` lists of any length
 * compile to a dozen statements, not one per length (SQLite keeps prepared statements by their text).
 */
function padded(ids: readonly string[]): string[] {
  let n = 1;
  while (n < ids.length) n *= 2;
  const out = [...ids];
  while (out.length < n) out.push(ids[ids.length - 1]!);
  return out;
}

/** Splits `rows` into statements of 256, 64, 16, 4 and 1 rows: few statement texts, few statements. */
function chunksOfPowersOf4<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  let i = 0;
  for (const size of [256, 64, 16, 4, 1]) {
    while (rows.length - i >= size) {
      out.push(rows.slice(i, i + size));
      i += size;
    }
  }
  return out;
}

/** A recipient a tracking token names, with the time its copy went out (null: not recorded as sent). */
export interface TrackedRecipient {
  emailId: string;
  accountId: string;
  address: string;
  sentAt: number | null;
}

/** The recipients among `ids`, by id. */
export async function findTrackedRecipients(trx: Trx, ids: readonly string[]): Promise<Map<string, TrackedRecipient>> {
  const out = new Map<string, TrackedRecipient>();
  if (ids.length === 0) return out;
  const rows = await trx
    .selectFrom('email_recipients')
    .select(['id', 'email_id', 'account_id', 'address', 'status', 'last_attempt_at'])
    .where('id', 'in', padded(ids))
    .execute();
  for (const r of rows) {
    out.set(r.id, {
      emailId: r.email_id,
      accountId: r.account_id,
      address: r.address,
      sentAt: r.status === 'sent' || r.status === 'delivered' ? r.last_attempt_at : null,
    });
  }
  return out;
}

/**
 * Locks the emails' rows, in id order, until the transaction ends (PostgreSQL; SQLite has one writer).
 * Taken before the reads of recent events, it makes processes that record hits on the same email take
 * turns, so that each sees the other's hits and none counts a repeat the other already counted.
 */
export async function lockEmails(trx: Trx, emailIds: readonly string[]): Promise<void> {
  if (emailIds.length === 0 || !isPostgres(trx)) return;
  await trx
    .selectFrom('emails')
    .select('id')
    .where('id', 'in', [...emailIds].sort())
    .orderBy('id')
    .forUpdate()
    .execute();
}

/** An open or click as the batch rules read it back. */
export interface EngagementRow {
  recipient_id: string;
  event_type: string;
  bot: string;
  metadata: string | null;
  created_at: number;
}

/**
 * For the recipients of a batch: their counted opens and clicks since `countedSince`, and (when
 * `machineClicksSince` is given) their clicks by machines since then, among which the honeypot's trap.
 */
export async function recentEngagement(
  trx: Trx,
  recipientIds: readonly string[],
  countedSince: number,
  machineClicksSince: number | null,
): Promise<EngagementRow[]> {
  if (recipientIds.length === 0) return [];
  const ids = padded(recipientIds);
  const pg = isPostgres(trx);
  const params: unknown[] =
    machineClicksSince === null ? [...ids, countedSince] : [...ids, countedSince, ...ids, machineClicksSince];
  const r = await trx.executeQuery<EngagementRow>(
    CompiledQuery.raw(recentEngagementText(pg, ids.length, machineClicksSince !== null), params),
  );
  return r.rows;
}

const engagementTexts = new Map<string, string>();

/**
 * The text of recentEngagement's query, written out and kept per list length: with a few hundred ids
 * in two IN lists, building it with Kysely cost more than running it. The partial indexes' predicates
 * stay literals (see COUNTED).
 */
function recentEngagementText(pg: boolean, n: number, machineClicks: boolean): string {
  const key = `${pg}:${n}:${machineClicks}`;
  let text = engagementTexts.get(key);
  if (text === undefined) {
    const p = parameterMarkers(pg);
    const list = () => Array.from({ length: n }, p).join(', ');
    const columns = '"recipient_id", "event_type", "bot", "metadata", "created_at"';
    text = `select ${columns} from "email_events" where "counted" = 1 and "recipient_id" in (${list()}) and "event_type" in ('open', 'click') and "created_at" >= ${p()}`;
    if (machineClicks)
      text += ` union all select ${columns} from "email_events" where "event_type" = 'click' and "bot" <> '' and "recipient_id" in (${list()}) and "created_at" >= ${p()}`;
    engagementTexts.set(key, text);
  }
  return text;
}

/** Which of the recipients have a counted open (any time). */
export async function recipientsWithCountedOpen(trx: Trx, recipientIds: readonly string[]): Promise<Set<string>> {
  if (recipientIds.length === 0) return new Set();
  const rows = await trx
    .selectFrom('email_events')
    .select('recipient_id')
    .distinct()
    .where('counted', '=', COUNTED)
    .where('recipient_id', 'in', padded(recipientIds))
    .where('event_type', '=', OPEN)
    .execute();
  return new Set(rows.map((r) => r.recipient_id!));
}

/** Stores engagement events, in multi-row statements. */
export async function insertEngagements(trx: Trx, rows: readonly NewEvent[]): Promise<void> {
  for (const chunk of chunksOfPowersOf4(rows)) await insertRows(trx, 'email_events', chunk);
}

/** What a batch of hits changes on one email: counted opens and clicks, and the time of the first of each. */
export interface EngagementDelta {
  emailId: string;
  opens: number;
  firstOpenAt: number | null;
  clicks: number;
  firstClickAt: number | null;
}

/**
 * Adds the batch's counted opens and clicks to their emails (one statement per email, in id order, so
 * that concurrent writers lock rows in one order) and sets `opened_at`/`clicked_at` where unset.
 * `updated_at` is stamped now, just before the write, as on every other write of an email (see listUpdates).
 */
export async function addEngagement(trx: Trx, deltas: readonly EngagementDelta[]): Promise<void> {
  const stampedAt = Date.now();
  for (const d of [...deltas].sort((a, b) => (a.emailId < b.emailId ? -1 : a.emailId > b.emailId ? 1 : 0))) {
    if (d.opens === 0 && d.clicks === 0) continue;
    await trx
      .updateTable('emails')
      .set((eb) => ({
        updated_at: stampedAt,
        ...(d.opens
          ? {
              opened_count: eb('opened_count', '+', d.opens),
              opened_at: eb.fn.coalesce('opened_at', eb.val(d.firstOpenAt)),
            }
          : {}),
        ...(d.clicks
          ? {
              clicked_count: eb('clicked_count', '+', d.clicks),
              clicked_at: eb.fn.coalesce('clicked_at', eb.val(d.firstClickAt)),
            }
          : {}),
      }))
      .where('id', '=', d.emailId)
      .execute();
  }
}

/** A recipient's events of one type since `since`, by people (`human`) or by machines, newest first (read by the email's index). */
export async function recentEvents(
  trx: Trx,
  target: { emailId: string; recipientId: string },
  type: string,
  since: number,
  human: boolean,
  limit = 50,
): Promise<EventRow[]> {
  return trx
    .selectFrom('email_events')
    .selectAll()
    .where('email_id', '=', target.emailId)
    .where('recipient_id', '=', target.recipientId)
    .where('event_type', '=', type)
    .where('created_at', '>=', since)
    .where('bot', human ? '=' : '<>', '')
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}

/** Stores an engagement event. */
export async function insertEngagement(trx: Trx, e: NewEvent): Promise<void> {
  await trx.insertInto('email_events').values(e).execute();
}

/** Re-labels events as machine traffic (after the visitor followed the honeypot): they no longer count. */
export async function relabelAsBot(trx: Trx, ids: Array<{ id: string; metadata: string }>, bot: string): Promise<void> {
  for (const e of ids)
    await trx
      .updateTable('email_events')
      .set({ bot, metadata: e.metadata, counted: 0 })
      .where('id', '=', e.id)
      .execute();
}

/** Moves an email's open or click counter (and sets the first time on the first counted one). */
export async function bumpEngagement(
  trx: Trx,
  emailId: string,
  kind: 'open' | 'click',
  delta: number,
  at: number,
): Promise<void> {
  if (kind === 'open') {
    await trx
      .updateTable('emails')
      .set((eb) => ({
        updated_at: at,
        opened_count: eb('opened_count', '+', delta),
        ...(delta > 0 ? { opened_at: eb.fn.coalesce('opened_at', eb.val(at)) } : {}),
      }))
      .where('id', '=', emailId)
      .execute();
  } else {
    await trx
      .updateTable('emails')
      .set((eb) => ({
        updated_at: at,
        clicked_count: eb('clicked_count', '+', delta),
        ...(delta > 0 ? { clicked_at: eb.fn.coalesce('clicked_at', eb.val(at)) } : {}),
      }))
      .where('id', '=', emailId)
      .execute();
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

/** Sets `opened_at`/`clicked_at` to the first counted open/click left (null when none is), after counted ones were taken back. */
export async function recomputeFirstTimes(trx: Trx, emailId: string): Promise<void> {
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
