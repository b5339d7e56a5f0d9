import type { Insertable, Updateable } from 'kysely';
import { lockAccountRow } from './dialects/row-locks.js';
import type { Db, Trx, WebhookRow, WebhooksTable } from './schema.js';

/** A webhook to store: `event_types` as JSON text (null for every event). */
export type NewWebhook = Insertable<WebhooksTable>;
/** Columns to change; `event_types` as JSON text. */
export type WebhookUpdate = Updateable<WebhooksTable>;

/**
 * Stores a webhook unless its account already has `max`, in the caller's transaction; false when it has.
 * The count is taken under the account's row lock, so that concurrent creates cannot both pass it.
 */
export async function insertWebhookWithin(trx: Trx, row: NewWebhook, max: number): Promise<boolean> {
  await lockAccountRow(trx, row.account_id);
  const { n } = await trx
    .selectFrom('webhooks')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', row.account_id)
    .executeTakeFirstOrThrow();
  if (Number(n) >= max) return false;
  await trx.insertInto('webhooks').values(row).execute();
  return true;
}

/** An account's webhooks, newest first. */
export async function listWebhooks(
  db: Db,
  accountId: string,
  page: { limit: number; offset: number },
): Promise<WebhookRow[]> {
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

/** One of an account's webhooks. */
export async function getWebhook(db: Db, accountId: string, id: string): Promise<WebhookRow | undefined> {
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Changes one of an account's webhooks; the row as it now is, or undefined when there is no such webhook. */
export async function updateWebhook(
  db: Db,
  accountId: string,
  id: string,
  set: WebhookUpdate,
): Promise<WebhookRow | undefined> {
  return db
    .updateTable('webhooks')
    .set(set)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Gives a webhook a new secret in one statement: the current one becomes the previous one (replacing any
 * earlier previous), valid until `previousExpiresAt`. Being one statement, concurrent rotations take turns:
 * the later one keeps the secret the earlier one made.
 */
export async function rotateWebhookSecret(
  db: Db,
  accountId: string,
  id: string,
  r: { secret: string; previousExpiresAt: number; now: number },
): Promise<WebhookRow | undefined> {
  return db
    .updateTable('webhooks')
    .set((eb) => ({
      previous_secret: eb.ref('secret'),
      previous_secret_expires_at: r.previousExpiresAt,
      secret: r.secret,
      updated_at: r.now,
    }))
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes one of an account's webhooks, with its outbox rows and their attempts (the keys cascade); false if none. */
export async function deleteWebhook(db: Db, accountId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('webhooks').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
