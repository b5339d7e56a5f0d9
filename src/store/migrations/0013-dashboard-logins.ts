import { PostgresAdapter, type Kysely } from 'kysely';

// Frozen in time: never import application code here.
/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  const time = db.getExecutor().adapter instanceof PostgresAdapter ? 'bigint' : 'integer';

  // Dashboard logins. `email` stays as it was typed; `email_key` is the address lower-cased, unique, so that one
  // address is one user whatever its letter case (the same rule on both databases, applied by the application rather
  // than by lower(), which SQLite applies to ASCII letters only). `password_hash`: scrypt with its parameters; null for
  // a user who cannot log in (the owner user each account was created with).
  await db.schema.alterTable('users').addColumn('email_key', 'text').execute();
  await db.schema.alterTable('users').addColumn('password_hash', 'text').execute();
  // No version before this one wrote an email, but an operator may have: the oldest user of each address gets its key
  // (the others keep their email, without a key, and cannot log in), so that the unique index can be built on any data.
  const rows = await db
    .selectFrom('users')
    .select(['id', 'email'])
    .where('email', 'is not', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const taken = new Set<string>();
  for (const row of rows) {
    const key = String(row.email).trim().toLowerCase();
    if (key === '' || taken.has(key)) continue;
    taken.add(key);
    await db.updateTable('users').set({ email_key: key }).where('id', '=', row.id).execute();
  }
  await db.schema.createIndex('users_email_key').on('users').column('email_key').unique().execute();

  // One row per dashboard session: its JWT's jti. Logging out deletes it, so the cookie stops working at once.
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('expires_at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').columns(['user_id', 'expires_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sessions').execute();
  await db.schema.dropIndex('users_email_key').execute();
  await db.schema.alterTable('users').dropColumn('password_hash').execute();
  await db.schema.alterTable('users').dropColumn('email_key').execute();
}
