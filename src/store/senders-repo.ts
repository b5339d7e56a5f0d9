import type { Insertable, Kysely } from 'kysely';
import type { Database, DomainRow, SenderRow, SendersTable } from './schema.js';

/** Stores a new sender. */
export async function insertSender(db: Kysely<Database>, row: Insertable<SendersTable>): Promise<void> {
  await db.insertInto('senders').values(row).execute();
}

/** An account's senders, oldest first. */
export async function listSenders(db: Kysely<Database>, accountId: string): Promise<SenderRow[]> {
  return db
    .selectFrom('senders')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** One of an account's senders by address (lower-cased), or undefined. */
export async function findSender(
  db: Kysely<Database>,
  accountId: string,
  email: string,
): Promise<SenderRow | undefined> {
  return db
    .selectFrom('senders')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('email', '=', email)
    .executeTakeFirst();
}

/** The sender registered for `email` with its domain, or undefined (one query: it is on the send path). */
export async function findSenderWithDomain(
  db: Kysely<Database>,
  accountId: string,
  email: string,
): Promise<{ sender: SenderRow; domain: Pick<DomainRow, 'id' | 'name' | 'status'> } | undefined> {
  const row = await db
    .selectFrom('senders')
    .innerJoin('domains', 'domains.id', 'senders.domain_id')
    .select([
      'senders.id',
      'senders.account_id',
      'senders.domain_id',
      'senders.email',
      'senders.name',
      'senders.created_at',
      'domains.name as domain_name',
      'domains.status as domain_status',
    ])
    .where('senders.account_id', '=', accountId)
    .where('senders.email', '=', email)
    .executeTakeFirst();
  if (!row) return undefined;
  const { domain_name, domain_status, ...sender } = row;
  return { sender, domain: { id: sender.domain_id, name: domain_name, status: domain_status } };
}

/** Deletes one of an account's senders; false when not found. */
export async function deleteSender(db: Kysely<Database>, accountId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('senders').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
