import type { Kysely } from 'kysely';
import type { Plan } from '../model.js';
import type { Database, UserRow } from './schema.js';

/** Stores a new dashboard user (the unique email key refuses a second user with the same address). */
export async function insertUser(
  db: Kysely<Database>,
  u: {
    id: string;
    accountId: string;
    email: string;
    emailKey: string;
    name: string;
    passwordHash: string;
    now: number;
  },
): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id: u.id,
      account_id: u.accountId,
      email: u.email,
      email_key: u.emailKey,
      password_hash: u.passwordHash,
      name: u.name,
      created_at: u.now,
    })
    .execute();
}

/** The user with this email key (core/dashboard-users.ts), with their password hash, or undefined. */
export async function findUserByEmailKey(db: Kysely<Database>, emailKey: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email_key', '=', emailKey).executeTakeFirst();
}

/** A user and their account, as the dashboard shows them, or undefined. */
export async function findUserWithAccount(
  db: Kysely<Database>,
  userId: string,
): Promise<
  { id: string; email: string | null; name: string; account_id: string; account_name: string; plan: Plan } | undefined
> {
  return db
    .selectFrom('users')
    .innerJoin('accounts', 'accounts.id', 'users.account_id')
    .select([
      'users.id as id',
      'users.email as email',
      'users.name as name',
      'users.account_id as account_id',
      'accounts.name as account_name',
      'accounts.plan as plan',
    ])
    .where('users.id', '=', userId)
    .executeTakeFirst();
}

/** Whether any user can log in (has a password). */
export async function hasLoginUser(db: Kysely<Database>): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('password_hash', 'is not', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether an account exists. */
export async function accountExists(db: Kysely<Database>, accountId: string): Promise<boolean> {
  const row = await db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
  return row !== undefined;
}
