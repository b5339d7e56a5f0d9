import { errors } from '../core/errors.js';
import { userEmailKey } from '../core/dashboard-users.js';
import { newId } from '../ids.js';
import type { Plan } from '../model.js';
import { verifyPassword } from '../password-hash.js';
import type { SessionClaims, SessionTokens } from '../session-tokens.js';
import type { Store } from '../store/database.js';
import { deleteSession, findSessionOwner, insertSession, type SessionOwner } from '../store/sessions-repo.js';
import { findUserByEmailKey, findUserWithAccount } from '../store/users-repo.js';
import type { DashboardUser } from './users.js';

/** How long a session lasts from its login (not sliding: using it does not make it last longer), in ms: 7 days. */
export const SESSION_LIFETIME_MS = 7 * 86_400_000;

/** A new session: its user, the token of its cookie, and when it ends (epoch ms). */
export interface NewSession {
  user: DashboardUser;
  token: string;
  expiresAt: number;
}

/**
 * Logs a user in: a new session when `password` is theirs, else null, the same for an unknown email as for a wrong
 * password, after the same scrypt work (see verifyPassword), so that neither the answer nor its time tells whether
 * an address has an account.
 */
export async function logIn(
  deps: { store: Store; tokens: SessionTokens },
  email: string,
  password: string,
): Promise<NewSession | null> {
  const key = userEmailKey(email);
  const row = key === null ? undefined : await findUserByEmailKey(deps.store.db, key);
  const matches = await verifyPassword(password, row?.password_hash ?? null);
  if (!row || !matches || row.email === null) return null;
  const now = Date.now();
  // Whole seconds: the JWT says when it expires in seconds, and the row says the same.
  const expiresAt = Math.floor((now + SESSION_LIFETIME_MS) / 1000) * 1000;
  const sessionId = newId();
  await insertSession(deps.store.db, { id: sessionId, userId: row.id, now, expiresAt });
  const token = await deps.tokens.sign({ userId: row.id, sessionId, expiresAt }, now);
  return { user: { id: row.id, email: row.email, name: row.name, account_id: row.account_id }, token, expiresAt };
}

/** Who a verified session token authenticates as, while its session lasts (not logged out, not expired), or null. */
export async function sessionOwner(store: Store, claims: SessionClaims): Promise<SessionOwner | null> {
  return (await findSessionOwner(store.db, claims.sessionId, claims.userId, Date.now())) ?? null;
}

/** Ends a session: its cookie stops working at once, wherever it is replayed. */
export async function logOut(store: Store, sessionId: string): Promise<void> {
  await deleteSession(store.db, sessionId);
}

/** A user and their account, for the dashboard (`GET /v1/auth/me`); 404 if the user is gone. */
export async function currentUser(
  store: Store,
  userId: string,
): Promise<{
  user: { id: string; email: string | null; name: string; account_id: string };
  account: { id: string; name: string; plan: Plan };
}> {
  const row = await findUserWithAccount(store.db, userId);
  if (!row) throw errors.notFound('User');
  return {
    user: { id: row.id, email: row.email, name: row.name, account_id: row.account_id },
    account: { id: row.account_id, name: row.account_name, plan: row.plan },
  };
}
