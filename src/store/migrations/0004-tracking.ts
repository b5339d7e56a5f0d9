import { PostgresAdapter, type Kysely } from 'kysely';

// Frozen in time: never import application code here.
/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  const isPg = db.getExecutor().adapter instanceof PostgresAdapter;
  const time = isPg ? 'bigint' : 'integer';
  await db.schema.alterTable('emails').addColumn('tracking_json', 'text').execute();
  await db.schema.alterTable('emails').addColumn('opened_at', time).execute();
  await db.schema.alterTable('emails').addColumn('clicked_at', time).execute();
  await db.schema
    .alterTable('domains')
    .addColumn('pixel_position', 'text', (c) => c.notNull().defaultTo('bottom'))
    .execute();
  // Coalescing and honeypot look-ups: a recipient's recent events of one type.
  await db.schema
    .createIndex('email_events_recipient_type')
    .on('email_events')
    .columns(['recipient_id', 'event_type', 'created_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('email_events_recipient_type').execute();
  for (const c of ['tracking_json', 'opened_at', 'clicked_at'])
    await db.schema.alterTable('emails').dropColumn(c).execute();
  await db.schema.alterTable('domains').dropColumn('pixel_position').execute();
}
