import type { Kysely } from 'kysely';
import type { LimitOverrides, Plan } from '../model.js';
import type { Database } from './schema.js';

/** Who a live session authenticates as: its user, their account and its plan. */
export interface SessionOwner {
  sessionId: string;
  userId: string;
  accountId: string;
  plan: Plan;
  /** Operator overrides of the plan's limits, or null. */
  limits: LimitOverrides | null;
}

/** Records a new session; the user's sessions that have expired go at the same time. */
export async function insertSession(
  db: Kysely<Database>,
  s: { id: string; userId: string; now: number; expiresAt: number },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('sessions').where('user_id', '=', s.userId).where('expires_at', '<=', s.now).execute();
    await trx
      .insertInto('sessions')
      .values({ id: s.id, user_id: s.userId, created_at: s.now, expires_at: s.expiresAt })
      .execute();
  });
}

/** The owner of session `sessionId` of user `userId` while it lasts (not logged out, not expired), or undefined. */
export async function findSessionOwner(
  db: Kysely<Database>,
  sessionId: string,
  userId: string,
  now: number,
): Promise<SessionOwner | undefined> {
  return (
    db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .innerJoin('accounts', 'accounts.id', 'users.account_id')
      .select([
        'sessions.id as sessionId',
        'users.id as userId',
        'users.account_id as accountId',
        'accounts.plan as plan',
        'accounts.limits as limits',
      ])
      .where('sessions.id', '=', sessionId)
      .where('sessions.user_id', '=', userId)
      .where('sessions.expires_at', '>', now)
      // A user whose password was taken away cannot log in, and their sessions end with it.
      .where('users.password_hash', 'is not', null)
      .executeTakeFirst()
  );
}

/** Ends a session (logout). */
export async function deleteSession(db: Kysely<Database>, sessionId: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}
