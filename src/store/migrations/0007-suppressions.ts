import { PostgresAdapter, type Kysely } from 'kysely';

// Frozen in time: never import application code here.
/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  const isPg = db.getExecutor().adapter instanceof PostgresAdapter;
  const time = isPg ? 'bigint' : 'integer';
  // One row per address the account must not send to. `key` is the address compared as mail is
  // routed: the local part exactly, the domain lower-cased. `domain` (the sending domain) and `tag`
  // scope an unsubscribe; both are '' for account-wide rows (bounces, complaints), never null, so
  // that the unique constraint holds for them too (NULLs are all distinct in a unique index).
  await db.schema
    .createTable('suppressions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('domain', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('tag', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('reason', 'text')
    .addColumn('source_email_id', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    // The key comes before the type: the same constraint (its columns are a set) then also serves the
    // send path's look-up, "this account's rows for these N keys", as one index range per key, with
    // no second index to write.
    .addUniqueConstraint('suppressions_scope', ['account_id', 'key', 'type', 'domain', 'tag'])
    .execute();
  // The list, newest first, whole or of one type.
  await db.schema
    .createIndex('suppressions_account_created')
    .on('suppressions')
    .columns(['account_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('suppressions_account_type_created')
    .on('suppressions')
    .columns(['account_id', 'type', 'created_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('suppressions').execute();
}
