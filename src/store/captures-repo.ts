import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** Keeps a message the sandbox transport "delivered". */
export async function insertCapture(
  db: Kysely<Database> | Transaction<Database>,
  c: {
    id: string;
    emailId: string;
    recipientId: string;
    envelopeFrom: string;
    envelopeTo: string;
    raw: Buffer;
    now: number;
  },
): Promise<void> {
  await db
    .insertInto('captured_messages')
    .values({
      id: c.id,
      email_id: c.emailId,
      recipient_id: c.recipientId,
      envelope_from: c.envelopeFrom,
      envelope_to: c.envelopeTo,
      raw: c.raw,
      created_at: c.now,
    })
    .execute();
}

/**
 * A captured message of an email (the raw MIME as it would have been sent): the copy for the
 * recipient address `to` when given (each recipient's copy has its own return path and tracking
 * links), else the first one; undefined when there is none.
 */
export async function findCapture(db: Kysely<Database>, emailId: string, to?: string): Promise<Buffer | undefined> {
  // Copies are captured in whatever order they were sent; "first" means the first recipient listed.
  let q = db
    .selectFrom('captured_messages')
    .innerJoin('email_recipients', 'email_recipients.id', 'captured_messages.recipient_id')
    .select('captured_messages.raw')
    .where('captured_messages.email_id', '=', emailId);
  if (to !== undefined)
    q = q.where((eb) => eb(eb.fn('lower', ['captured_messages.envelope_to']), '=', to.toLowerCase()));
  const row = await q.orderBy('email_recipients.position').orderBy('captured_messages.id').limit(1).executeTakeFirst();
  return row ? Buffer.from(row.raw) : undefined;
}
