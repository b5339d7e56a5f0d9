import { CONTROL_CHARACTER_ERROR, hasControlCharacter } from '../core/control-characters.js';
import { errors } from '../core/errors.js';
import { isWellFormed } from '../core/send-validation.js';
import { MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, userEmailKey } from '../core/dashboard-users.js';
import { newId, randomToken } from '../ids.js';
import { hashPassword } from '../password-hash.js';
import { listAccounts } from '../store/accounts-repo.js';
import type { Store } from '../store/database.js';
import { accountExists, findUserByEmailKey, hasLoginUser, insertUser } from '../store/users-repo.js';

/** Characters of a generated password ([A-Za-z0-9], about 119 bits). */
const GENERATED_PASSWORD_CHARS = 20;
/** The sandbox's demo user. */
export const DEMO_USER_EMAIL = 'demo@example.com';

/** A dashboard user as the API shows one. */
export interface DashboardUser {
  id: string;
  email: string;
  name: string;
  account_id: string;
}

/**
 * Creates a dashboard user of an account, who logs in with `email` (unique whatever its letter case: 409
 * `user_exists`) and `password`. Without a password, one is generated and returned: it is stored only as a hash,
 * so the caller shows it this once. 422 naming the field for a bad email, name or password; 404 for no such account.
 */
export async function createUser(
  store: Store,
  input: { accountId: string; email: string; name?: string | null; password?: string | null },
): Promise<{ user: DashboardUser; password: string | null }> {
  const email = input.email.trim();
  const emailKey = userEmailKey(email);
  if (emailKey === null)
    throw errors.validation([{ field: 'email', error: `"${input.email.slice(0, 100)}" is not a valid email address` }]);
  const name = input.name?.trim() || email.slice(0, email.lastIndexOf('@'));
  if (name.length > 100) throw errors.validation([{ field: 'name', error: 'must be at most 100 characters' }]);
  if (hasControlCharacter(name) || !isWellFormed(name))
    throw errors.validation([{ field: 'name', error: CONTROL_CHARACTER_ERROR }]);
  const generated =
    input.password === undefined || input.password === null ? randomToken(GENERATED_PASSWORD_CHARS) : null;
  const password = generated ?? input.password!;
  if (password.length < MIN_PASSWORD_CHARS || password.length > MAX_PASSWORD_CHARS)
    throw errors.validation([
      { field: 'password', error: `must be ${MIN_PASSWORD_CHARS} to ${MAX_PASSWORD_CHARS} characters` },
    ]);
  if (!isWellFormed(password))
    throw errors.validation([
      { field: 'password', error: 'must not contain a lone UTF-16 surrogate (half of a character)' },
    ]);
  if (!(await accountExists(store.db, input.accountId))) throw errors.notFound('Account');
  const exists = () => errors.conflict(`A user with the email ${email} already exists.`, 'user_exists');
  if (await findUserByEmailKey(store.db, emailKey)) throw exists();
  const user: DashboardUser = { id: newId(), email, name, account_id: input.accountId };
  try {
    await insertUser(store.db, {
      id: user.id,
      accountId: user.account_id,
      email,
      emailKey,
      name,
      passwordHash: await hashPassword(password),
      now: Date.now(),
    });
  } catch (error) {
    // Created by someone else since the look-up: the unique email key refused this one.
    if (await findUserByEmailKey(store.db, emailKey)) throw exists();
    throw error;
  }
  return { user, password: generated };
}

/** The dashboard user a first start created: its email, and its password when it was generated (show it once). */
export interface BootstrappedUser {
  user: DashboardUser;
  password: string | null;
  /** Why it was made: the operator asked for it (TAIFA_BOOTSTRAP_ADMIN_*), or sandbox mode's demo user. */
  reason: 'admin' | 'sandbox';
}

/**
 * On a start with no user who can log in, creates one on the oldest account (the one the first start made): the
 * operator's (`admin`, from TAIFA_BOOTSTRAP_ADMIN_EMAIL and _PASSWORD) when given, else in sandbox mode a demo user
 * with a generated password. Null when a user who can log in exists, or nothing is asked for.
 */
export async function bootstrapDashboardUser(
  store: Store,
  options: { admin: { email: string; password: string } | null; sandbox: boolean },
): Promise<BootstrappedUser | null> {
  if (!options.admin && !options.sandbox) return null;
  if (await hasLoginUser(store.db)) return null;
  const account = (await listAccounts(store.db))[0];
  if (!account) return null;
  try {
    const created = options.admin
      ? await createUser(store, { accountId: account.id, email: options.admin.email, password: options.admin.password })
      : await createUser(store, { accountId: account.id, email: DEMO_USER_EMAIL, name: 'Demo' });
    return { ...created, reason: options.admin ? 'admin' : 'sandbox' };
  } catch (error) {
    // Another process made it at the same moment: fine, its start says so.
    if (await hasLoginUser(store.db)) return null;
    throw error;
  }
}
