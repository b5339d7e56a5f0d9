import type { EmailStatus } from '../model.js';
import { recordEvents } from './events-repo.js';
import { insertRows } from './insert-rows.js';
import { indexEmails } from './search-repo.js';
import type {
  AttachmentRow,
  Db,
  EmailRow,
  NewAttachment,
  NewEmail,
  NewEvent,
  NewRecipient,
  RecipientRow,
  Trx,
} from './schema.js';

/** An accepted email's rows. */
export interface AcceptedRows {
  email: NewEmail;
  recipients: NewRecipient[];
  attachments: NewAttachment[];
  events: NewEvent[];
  searchTokens: string[];
}

/** Rows per multi-row statement (well inside SQLite's 32,766 and PostgreSQL's 65,535 parameters). */
const ROWS_PER_STATEMENT = 400;

function chunks<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) out.push(rows.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

/**
 * Writes accepted emails with their recipients, attachments, first events and search tokens, a table
 * at a time in multi-row statements (a whole group commit's emails in a handful of round trips).
 * `updated_at` is stamped here, inside the transaction and just before the write, rather than when
 * the request arrived: the later the stamp, the sooner the change is visible after it (see listUpdates).
 */
export async function insertAcceptedEmails(trx: Trx, list: AcceptedRows[]): Promise<void> {
  const stampedAt = Date.now();
  for (const rows of chunks(list.map((e) => ({ ...e.email, updated_at: Math.max(stampedAt, e.email.created_at) })))) {
    await insertRows(trx, 'emails', rows);
  }
  for (const rows of chunks(list.flatMap((e) => e.recipients))) await insertRows(trx, 'email_recipients', rows);
  // One attachment per statement: a multi-row insert of large blobs would hit size limits.
  for (const a of list.flatMap((e) => e.attachments)) await trx.insertInto('email_attachments').values(a).execute();
  await recordEvents(
    trx,
    list.flatMap((e) => e.events),
  );
  await indexEmails(
    trx,
    list.map((e) => ({
      id: e.email.id,
      accountId: e.email.account_id,
      createdAt: e.email.created_at,
      tokens: e.searchTokens,
    })),
  );
}

/** One of an account's emails, or undefined. */
export async function getEmail(db: Db, accountId: string, id: string): Promise<EmailRow | undefined> {
  return db
    .selectFrom('emails')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** An email's recipients in the order they were given. */
export async function listRecipients(db: Db, emailId: string): Promise<RecipientRow[]> {
  return db.selectFrom('email_recipients').selectAll().where('email_id', '=', emailId).orderBy('position').execute();
}

/** An email's attachments in the order they were given. */
export async function listAttachments(db: Db, emailId: string): Promise<AttachmentRow[]> {
  return db.selectFrom('email_attachments').selectAll().where('email_id', '=', emailId).orderBy('position').execute();
}

/** Emails and their attachments by id, for the delivery worker (two queries for a whole claim). */
export async function loadEmailsForDelivery(
  db: Db,
  ids: string[],
): Promise<Map<string, { email: EmailRow; attachments: AttachmentRow[] }>> {
  const out = new Map<string, { email: EmailRow; attachments: AttachmentRow[] }>();
  if (ids.length === 0) return out;
  for (const email of await db.selectFrom('emails').selectAll().where('id', 'in', ids).execute())
    out.set(email.id, { email, attachments: [] });
  const attachments = await db
    .selectFrom('email_attachments')
    .selectAll()
    .where('email_id', 'in', ids)
    .orderBy('email_id')
    .orderBy('position')
    .execute();
  for (const a of attachments) out.get(a.email_id)?.attachments.push(a);
  return out;
}

/** An account's emails, newest first, optionally of some statuses. */
export async function listEmails(
  db: Db,
  accountId: string,
  o: { statuses: EmailStatus[]; limit: number; offset: number },
): Promise<EmailRow[]> {
  let q = db.selectFrom('emails').selectAll().where('account_id', '=', accountId);
  if (o.statuses.length) q = q.where('status', 'in', o.statuses);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(o.limit).offset(o.offset).execute();
}

/**
 * An account's emails changed after `since` (or after (`since`, `afterId`)) and no later than
 * `until`, oldest change first. `until` lies a settle window in the past, beyond which no write still
 * in flight can commit, so a poller that passes back the last `updated_at` it saw misses nothing.
 * With `afterId` the page is cut at exactly `limit` rows (the id orders rows of one millisecond).
 * Without it the page never ends inside a millisecond: it stops before a millisecond that `limit`
 * would split, or, when that millisecond fills the page, holds all of its rows, so that `since`
 * alone is lossless too.
 */
export async function listUpdates(
  db: Db,
  accountId: string,
  o: { since: number; afterId?: string; until: number; limit: number },
): Promise<EmailRow[]> {
  const changed = () =>
    db.selectFrom('emails').selectAll().where('account_id', '=', accountId).where('updated_at', '<=', o.until);
  const rows = await changed()
    .where((eb) =>
      o.afterId
        ? eb.or([eb('updated_at', '>', o.since), eb.and([eb('updated_at', '=', o.since), eb('id', '>', o.afterId)])])
        : eb('updated_at', '>', o.since),
    )
    .orderBy('updated_at')
    .orderBy('id')
    .limit(o.limit + 1)
    .execute();
  const extra = rows[o.limit];
  if (o.afterId || !extra || extra.updated_at !== rows[o.limit - 1]?.updated_at) return rows.slice(0, o.limit);
  const split = extra.updated_at;
  const first = rows.findIndex((r) => r.updated_at === split);
  if (first > 0) return rows.slice(0, first);
  return changed().where('updated_at', '=', split).orderBy('id').execute();
}
