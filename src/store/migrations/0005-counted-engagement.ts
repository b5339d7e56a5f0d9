import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code here.
/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  // 1 on an open or click that moved a counter (a person's first hit in a window, or an open a click
  // back-filled), 0 on everything else; a honeypot take-back sets it back to 0. The tracking reads
  // (coalescing, back-fill, first times) filter on it instead of matching `"coalesced":true` in the
  // metadata text.
  await db.schema
    .alterTable('email_events')
    .addColumn('counted', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`UPDATE email_events SET counted = 1
    WHERE event_type IN ('open', 'click') AND bot = '' AND (metadata IS NULL OR metadata NOT LIKE '%"coalesced":true%')`.execute(
    db,
  );
  // Partial indexes, so that a batch of hits reads only the rows its rules look at, however many
  // repeats and scanner hits a recipient has. A query uses one only when it repeats the predicate
  // with literals (SQLite does not match a bound parameter against it).
  await db.schema
    .createIndex('email_events_counted')
    .on('email_events')
    .columns(['recipient_id', 'event_type', 'created_at'])
    .where(sql.ref('counted'), '=', 1)
    .execute();
  // Clicks by machines: the honeypot rule looks for the trap among them. The same columns as
  // email_events_recipient_type, so that SQLite (choosing between equals without statistics) takes the
  // one created last, this one.
  await db.schema
    .createIndex('email_events_machine_clicks')
    .on('email_events')
    .columns(['recipient_id', 'event_type', 'created_at'])
    .where(sql.ref('event_type'), '=', 'click')
    .where(sql.ref('bot'), '<>', '')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('email_events_machine_clicks').execute();
  await db.schema.dropIndex('email_events_counted').execute();
  await db.schema.alterTable('email_events').dropColumn('counted').execute();
}
