import { hashApiKey } from '../ids.js';
import { findKeyOwner, touchApiKey, type KeyOwner } from '../store/accounts-repo.js';
import type { Store } from '../store/database.js';
import type { TtlCache } from '../ttl-cache.js';

/** How often a key's `last_used_at` is written, at most: once a minute per key. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * The owner of an API key, or null for a key we do not know. Owners are cached briefly (`cache`), and
 * `last_used_at` is written at most once a minute per key; a failed write of it is reported to
 * `onTouchFailed` and costs the record, never the request.
 */
export async function authenticateKey(
  deps: { store: Store; cache: TtlCache<KeyOwner>; onTouchFailed: (error: unknown) => void },
  key: string,
): Promise<KeyOwner | null> {
  const hash = hashApiKey(key);
  let owner = deps.cache.get(hash);
  if (!owner) {
    owner = await findKeyOwner(deps.store.db, hash);
    if (!owner) return null;
    deps.cache.set(hash, owner);
  }
  const now = Date.now();
  if (owner.lastUsedAt === null || now - owner.lastUsedAt > TOUCH_INTERVAL_MS) {
    owner.lastUsedAt = now;
    // Awaited (once a minute per key) so that a key listing right after a use shows it.
    await touchApiKey(deps.store.db, owner.keyId, now).catch(deps.onTouchFailed);
  }
  return owner;
}
