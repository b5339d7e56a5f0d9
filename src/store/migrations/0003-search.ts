import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen in time: never import application code here.
/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  const isPg = db.getExecutor().adapter instanceof PostgresAdapter;
  // The search index holds tokens the application computes (field tokens like to:gmail.com, words of
  // the subject, addresses), written with the email: sender, subject, recipients and tags never change.
  if (isPg) {
    await db.schema
      .createTable('email_search')
      .addColumn('email_id', 'text', (c) => c.primaryKey().references('emails.id').onDelete('cascade'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('doc', sql`tsvector`, (c) => c.notNull())
      .execute();
    await sql`CREATE INDEX email_search_doc ON email_search USING gin (doc)`.execute(db);
    await db.schema
      .createIndex('email_search_account_created')
      .on('email_search')
      .columns(['account_id', 'created_at'])
      .execute();
  } else {
    // rowid grows with insertion, so ORDER BY rowid DESC walks newest first and stops at the page.
    await sql`CREATE VIRTUAL TABLE email_search USING fts5(
      email_id UNINDEXED, account, doc,
      tokenize = "unicode61 remove_diacritics 0 tokenchars ':@.-_+'",
      prefix = '2 3 4'
    )`.execute(db);
  }
  await db.schema
    .createIndex('emails_account_status_created')
    .on('emails')
    .columns(['account_id', 'status', 'created_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('emails_account_status_created').execute();
  await sql`DROP TABLE email_search`.execute(db);
}
