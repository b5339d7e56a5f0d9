import type { RecipientStatus } from '../model.js';
import { recipientStatuses } from './queue-repo.js';
import type { Db, RecipientRow, Trx } from './schema.js';

/** The recipient copy a VERP token names, or undefined (a token we never issued). */
export async function findRecipientByVerpToken(db: Db, token: string): Promise<RecipientRow | undefined> {
  return db.selectFrom('email_recipients').selectAll().where('verp_token', '=', token).executeTakeFirst();
}

/**
 * The recipients of the email a Message-ID names, or []: our Message-IDs are `<email id@domain>`, so the
 * id is read from it and the stored Message-ID must match it whole.
 */
export async function findRecipientsByMessageId(db: Db, messageId: string): Promise<RecipientRow[]> {
  const id = /^<?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@/i.exec(messageId.trim())?.[1];
  if (!id) return [];
  const email = await db
    .selectFrom('emails')
    .select(['id', 'message_id'])
    .where('id', '=', id.toLowerCase())
    .executeTakeFirst();
  if (!email || email.message_id.toLowerCase() !== `<${messageId.trim().replace(/^<|>$/g, '')}>`.toLowerCase())
    return [];
  return db.selectFrom('email_recipients').selectAll().where('email_id', '=', email.id).orderBy('position').execute();
}

/** Whether `host` is the return-path host of one of the domains (the MX we answer for). */
export async function isReturnPathHost(db: Db, host: string): Promise<boolean> {
  const row = await db
    .selectFrom('domains')
    .select('id')
    .where('return_path_host', '=', host.toLowerCase())
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Moves a recipient to `status` after a report about its copy (a late bounce, a relay's delivery
 * report), in the caller's transaction; returns the statuses of all of its email's recipients after it.
 */
export async function setReportedStatus(
  trx: Trx,
  r: { recipientId: string; emailId: string; status: RecipientStatus; now: number },
): Promise<RecipientStatus[]> {
  await trx
    .updateTable('email_recipients')
    .set({ status: r.status, updated_at: r.now })
    .where('id', '=', r.recipientId)
    .execute();
  return recipientStatuses(trx, r.emailId);
}
