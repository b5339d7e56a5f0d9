import type { Store } from '../store/database.js';
import { countAccounts, insertAccountWithKey } from '../store/accounts-repo.js';
import { apiKeyPrefix, hashApiKey, newApiKey, newId } from './ids.js';

export const PLANS = ['free', 'starter', 'pro', 'business'] as const;
export type Plan = (typeof PLANS)[number];

/** Creates an account with its owner user and first API key; returns the key (shown once). */
export async function createAccount(
  store: Store,
  a: { name: string; plan: Plan; key?: string },
): Promise<{ accountId: string; key: string }> {
  const key = a.key ?? newApiKey();
  const accountId = newId();
  await insertAccountWithKey(store.db, {
    accountId,
    userId: newId(),
    keyId: newId(),
    name: a.name,
    plan: a.plan,
    keyHash: hashApiKey(key),
    keyPrefix: apiKeyPrefix(key),
    now: Date.now(),
  });
  return { accountId, key };
}

/**
 * On a fresh install, creates the first account (business plan): with the bootstrap key when one is
 * configured, otherwise with a new key that the caller prints once. Returns null when accounts exist.
 */
export async function bootstrapFirstAccount(
  store: Store,
  bootstrapKey: string | null,
): Promise<{ key: string; generated: boolean } | null> {
  if ((await countAccounts(store.db)) > 0) return null;
  try {
    const { key } = await createAccount(store, { name: 'Default', plan: 'business', key: bootstrapKey ?? undefined });
    return { key, generated: bootstrapKey === null };
  } catch (error) {
    // Another process bootstrapped at the same moment (same key hash or a second account): fine if one exists now.
    if ((await countAccounts(store.db)) > 0) return null;
    throw error;
  }
}
