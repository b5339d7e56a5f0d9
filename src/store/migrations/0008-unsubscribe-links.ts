import type { Kysely } from 'kysely';

// Frozen in time: never import application code here.
/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  // Off by default: unsubscribe headers suit bulk and lifecycle mail, not every transactional message.
  await db.schema
    .alterTable('domains')
    .addColumn('unsubscribe_links', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // The send body's override: 1 or 0 when given, null for the domain's setting.
  await db.schema.alterTable('emails').addColumn('unsubscribe', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('emails').dropColumn('unsubscribe').execute();
  await db.schema.alterTable('domains').dropColumn('unsubscribe_links').execute();
}
