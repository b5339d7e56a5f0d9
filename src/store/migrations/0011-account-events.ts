import type { Kysely } from 'kysely';

// Frozen in time: never import application code here.
/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  // GET /v1/events walks an account's events in id order, from a cursor, a page at a time.
  await db.schema.createIndex('email_events_account').on('email_events').columns(['account_id', 'id']).execute();
  // …and one type's (or a few types', merged), however rare the type.
  await db.schema
    .createIndex('email_events_account_type')
    .on('email_events')
    .columns(['account_id', 'event_type', 'id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('email_events_account_type').execute();
  await db.schema.dropIndex('email_events_account').execute();
}
