import type { Kysely } from 'kysely';
import type { LimitOverrides, Plan } from '../model.js';
import type { Database } from './schema.js';

/** The account and user an API key authenticates as. */
export interface KeyOwner {
  keyId: string;
  accountId: string;
  userId: string;
  plan: Plan;
  /** Operator overrides of the plan's limits, or null. */
  limits: LimitOverrides | null;
  lastUsedAt: number | null;
}

/** Creates an account with its first user and that user's first API key (by hash). */
export async function insertAccountWithKey(
  db: Kysely<Database>,
  a: {
    accountId: string;
    userId: string;
    keyId: string;
    name: string;
    plan: Plan;
    keyHash: string;
    keyPrefix: string;
    now: number;
  },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('accounts')
      .values({ id: a.accountId, name: a.name, plan: a.plan, limits: null, settings: null, created_at: a.now })
      .execute();
    await trx
      .insertInto('users')
      .values({ id: a.userId, account_id: a.accountId, email: null, name: 'Owner', created_at: a.now })
      .execute();
    await trx
      .insertInto('api_keys')
      .values({
        id: a.keyId,
        account_id: a.accountId,
        user_id: a.userId,
        name: 'Default key',
        prefix: a.keyPrefix,
        key_hash: a.keyHash,
        created_at: a.now,
        last_used_at: null,
      })
      .execute();
  });
}

/** How many accounts exist (0 on a fresh install). */
export async function countAccounts(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The owner of a key hash, or undefined. */
export async function findKeyOwner(db: Kysely<Database>, keyHash: string): Promise<KeyOwner | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .innerJoin('accounts', 'accounts.id', 'api_keys.account_id')
    .select([
      'api_keys.id as keyId',
      'api_keys.account_id as accountId',
      'api_keys.user_id as userId',
      'accounts.plan as plan',
      'accounts.limits as limits',
      'api_keys.last_used_at as lastUsedAt',
    ])
    .where('api_keys.key_hash', '=', keyHash)
    .executeTakeFirst();
  return row;
}

/** Records that a key was used (callers throttle this). */
export async function touchApiKey(db: Kysely<Database>, keyId: string, now: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', keyId).execute();
}

/** Sets an account's limit overrides and optionally its plan; false when the account does not exist. */
export async function updateAccountLimits(
  db: Kysely<Database>,
  accountId: string,
  u: { limits?: LimitOverrides | null; plan?: Plan },
): Promise<boolean> {
  const r = await db
    .updateTable('accounts')
    .set({
      ...(u.limits !== undefined ? { limits: u.limits === null ? null : JSON.stringify(u.limits) } : {}),
      ...(u.plan ? { plan: u.plan } : {}),
    })
    .where('id', '=', accountId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Every account, oldest first (for the operator's command line). */
export async function listAccounts(
  db: Kysely<Database>,
): Promise<Array<{ id: string; name: string; plan: Plan; limits: LimitOverrides | null; created_at: number }>> {
  return db
    .selectFrom('accounts')
    .select(['id', 'name', 'plan', 'limits', 'created_at'])
    .orderBy('created_at')
    .execute();
}

/**
 * An account's plan and limits with its owner, the first of its users (the one created with it): who the
 * operator's command line acts as. Undefined when there is no such account.
 */
export async function findAccountOwner(
  db: Kysely<Database>,
  accountId: string,
): Promise<{ accountId: string; userId: string; plan: Plan; limits: LimitOverrides | null } | undefined> {
  return db
    .selectFrom('accounts')
    .innerJoin('users', 'users.account_id', 'accounts.id')
    .select(['accounts.id as accountId', 'users.id as userId', 'accounts.plan as plan', 'accounts.limits as limits'])
    .where('accounts.id', '=', accountId)
    .orderBy('users.created_at')
    .orderBy('users.id')
    .limit(1)
    .executeTakeFirst();
}
