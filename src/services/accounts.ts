import { errors } from '../core/errors.js';
import type { Store } from '../store/database.js';
import { limitsFor, type PlanLimits } from '../core/plans.js';
import type { LimitOverrides, Plan } from '../model.js';
import {
  countAccounts,
  findAccountOwner,
  insertAccountWithKey,
  listAccounts,
  updateAccountLimits,
} from '../store/accounts-repo.js';
import { apiKeyPrefix, hashApiKey, newApiKey, newId } from '../ids.js';

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

/** An account as the operator's command line lists it: its plan, overrides and effective limits. */
export interface AccountLimits {
  id: string;
  name: string;
  plan: Plan;
  overrides: LimitOverrides | null;
  effective: PlanLimits;
}

/** Every account with its limits, oldest first. */
export async function accountLimits(store: Store): Promise<AccountLimits[]> {
  return (await listAccounts(store.db)).map((a) => ({
    id: a.id,
    name: a.name,
    plan: a.plan,
    overrides: a.limits,
    effective: limitsFor(a.plan, a.limits),
  }));
}

/**
 * Changes an account's plan and overrides some of its plan's limits (`clear`: drops the overrides
 * not given). Returns the account's limits after the change, or null when there is no such account.
 */
export async function changeAccountLimits(
  store: Store,
  id: string,
  change: { plan?: Plan; overrides: LimitOverrides; clear: boolean },
): Promise<AccountLimits | null> {
  const current = (await accountLimits(store)).find((a) => a.id === id);
  if (!current) return null;
  const merged = change.clear ? change.overrides : { ...current.overrides, ...change.overrides };
  const overrides = Object.keys(merged).length ? merged : null;
  await updateAccountLimits(store.db, id, { limits: overrides, plan: change.plan });
  const plan = change.plan ?? current.plan;
  return { ...current, plan, overrides, effective: limitsFor(plan, overrides) };
}

/** Who acts for an account on the operator's command line: its owner, with the account's plan and limits. */
export interface AccountActor {
  accountId: string;
  userId: string;
  plan: Plan;
  limits: LimitOverrides | null;
}

/** The account's owner, who the command line acts as (its keys and emails are theirs); 404 otherwise. */
export async function accountActor(store: Store, accountId: string): Promise<AccountActor> {
  const owner = await findAccountOwner(store.db, accountId);
  if (!owner) throw errors.notFound('Account');
  return owner;
}
