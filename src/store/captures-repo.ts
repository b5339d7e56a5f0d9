import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** Keeps a message the sandbox transport "delivered". */
export async function insertCapture(
  db: Kysely<Database> | Transaction<Database>,
  c: { id: string; emailId: string; recipientId: string; envelopeFrom: string; envelopeTo: string; raw: Buffer; now: number },
): Promise<void> {
  await db.insertInto('captured_messages').values({
    id: c.id, email_id: c.emailId, recipient_id: c.recipientId, envelope_from: c.envelopeFrom, envelope_to: c.envelopeTo, raw: c.raw, created_at: c.now,
  }).execute();
}

/** The first captured message of an email (the raw MIME as it would have been sent), or undefined. */
export async function firstCapture(db: Kysely<Database>, emailId: string): Promise<Buffer | undefined> {
  const row = await db.selectFrom('captured_messages').select('raw').where('email_id', '=', emailId).orderBy('id').limit(1).executeTakeFirst();
  return row ? Buffer.from(row.raw) : undefined;
}
