import type { Kysely } from 'kysely';

// Frozen in time: never import application code here.
/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  // Every tracking hit is an event row, and every index on email_events is written for each of them.
  // The tracking reads use the partial indexes of 0005 (counted hits, machines' clicks); the one
  // remaining reader of this index, the honeypot take-back (rare), reads the email's events by
  // email_events_email instead.
  await db.schema.dropIndex('email_events_recipient_type').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('email_events_recipient_type')
    .on('email_events')
    .columns(['recipient_id', 'event_type', 'created_at'])
    .execute();
}
