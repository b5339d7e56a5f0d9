import type { Kysely } from 'kysely';
import type { ApiKeyRow, Database } from './schema.js';

/** Stores a new key (by hash) for a user of an account. */
export async function insertApiKey(
  db: Kysely<Database>,
  k: { id: string; accountId: string; userId: string; name: string; prefix: string; keyHash: string; now: number },
): Promise<void> {
  await db
    .insertInto('api_keys')
    .values({
      id: k.id,
      account_id: k.accountId,
      user_id: k.userId,
      name: k.name,
      prefix: k.prefix,
      key_hash: k.keyHash,
      created_at: k.now,
      last_used_at: null,
    })
    .execute();
}

/** An account's keys, newest first. */
export async function listApiKeys(db: Kysely<Database>, accountId: string): Promise<ApiKeyRow[]> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/** Deletes one of an account's keys; false when it does not exist in that account. */
export async function deleteApiKey(db: Kysely<Database>, accountId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('api_keys').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
