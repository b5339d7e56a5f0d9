import type { Db } from './schema.js';

/** The copy an unsubscribe token names, with what its unsubscribe is scoped by. */
export interface UnsubscribeCopy {
  recipientId: string;
  emailId: string;
  accountId: string;
  address: string;
  fromEmail: string;
  tags: string[];
}

/** The recipient copy and its email, or undefined when the email was deleted since. */
export async function findUnsubscribeCopy(db: Db, recipientId: string): Promise<UnsubscribeCopy | undefined> {
  const row = await db
    .selectFrom('email_recipients as r')
    .innerJoin('emails as e', 'e.id', 'r.email_id')
    .select(['r.id', 'r.email_id', 'r.account_id', 'r.address', 'e.from_email', 'e.tags_json'])
    .where('r.id', '=', recipientId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    recipientId: row.id,
    emailId: row.email_id,
    accountId: row.account_id,
    address: row.address,
    fromEmail: row.from_email,
    tags: row.tags_json ?? [],
  };
}
