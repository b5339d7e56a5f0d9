import type { Kysely } from 'kysely';
import type { SavedSearch } from '../model.js';
import type { Database } from './schema.js';

/** A user's saved searches, or null when they never saved any. */
export async function getSavedSearches(db: Kysely<Database>, userId: string): Promise<SavedSearch[] | null> {
  const row = await db.selectFrom('saved_searches').select('searches').where('user_id', '=', userId).executeTakeFirst();
  return row?.searches ?? null;
}

/** Replaces a user's saved searches. */
export async function putSavedSearches(
  db: Kysely<Database>,
  userId: string,
  list: readonly SavedSearch[],
  now: number,
): Promise<void> {
  const searches = JSON.stringify(list);
  await db
    .insertInto('saved_searches')
    .values({ user_id: userId, searches, updated_at: now })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ searches, updated_at: now }))
    .execute();
}
