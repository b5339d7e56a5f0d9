import { CONTROL_CHARACTER_ERROR, hasControlCharacter } from '../core/control-characters.js';
import { errors } from '../core/errors.js';
import { apiKeyPrefix, hashApiKey, newApiKey, newId } from '../ids.js';
import { deleteApiKey, insertApiKey, listApiKeys } from '../store/api-keys-repo.js';
import type { Store } from '../store/database.js';
import type { ApiKeyRow } from '../store/schema.js';

/**
 * Creates an API key for a user of an account: the row, and the key itself (shown once, stored as a hash).
 * 422 for a name with a control character.
 */
export async function createApiKey(
  store: Store,
  owner: { accountId: string; userId: string },
  name = 'API key',
): Promise<{ row: ApiKeyRow; key: string }> {
  if (hasControlCharacter(name)) throw errors.validation([{ field: 'name', error: CONTROL_CHARACTER_ERROR }]);
  const key = newApiKey();
  const row: ApiKeyRow = {
    id: newId(),
    account_id: owner.accountId,
    user_id: owner.userId,
    name: name.trim(),
    prefix: apiKeyPrefix(key),
    key_hash: hashApiKey(key),
    created_at: Date.now(),
    last_used_at: null,
  };
  await insertApiKey(store.db, {
    id: row.id,
    accountId: row.account_id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    keyHash: row.key_hash,
    now: row.created_at,
  });
  return { row, key };
}

/** An account's keys, newest first. */
export async function apiKeys(store: Store, accountId: string): Promise<ApiKeyRow[]> {
  return listApiKeys(store.db, accountId);
}

/** Deletes one of an account's keys; 404 otherwise. */
export async function removeApiKey(store: Store, accountId: string, id: string): Promise<void> {
  if (!(await deleteApiKey(store.db, accountId, id))) throw errors.notFound('API key');
}
