import { savedSearchesFrom, type SavedSearchInput } from '../core/saved-searches.js';
import type { SavedSearch } from '../model.js';
import type { Store } from '../store/database.js';
import { getSavedSearches, putSavedSearches } from '../store/saved-searches-repo.js';

/** A user's saved searches (none until they save some). */
export async function listSavedSearches(store: Store, userId: string): Promise<SavedSearch[]> {
  return (await getSavedSearches(store.db, userId)) ?? [];
}

/** Replaces a user's saved searches; new entries get ids, an id given twice is a 422. */
export async function replaceSavedSearches(
  store: Store,
  userId: string,
  list: readonly SavedSearchInput[],
): Promise<SavedSearch[]> {
  const searches = savedSearchesFrom(list);
  await putSavedSearches(store.db, userId, searches, Date.now());
  return searches;
}
