import type { Db } from './schema.js';

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** A stored answer for an idempotency key. */
export interface StoredResponse {
  requestHash: string;
  statusCode: number;
  /** The JSON body answered the first time. */
  response: object;
}

/** The stored answer for a key used within the last 24 h, or undefined. */
export async function findIdempotentResponse(
  db: Db,
  accountId: string,
  key: string,
  now: number,
): Promise<StoredResponse | undefined> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status_code', 'response'])
    .where('account_id', '=', accountId)
    .where('key', '=', key)
    .where('created_at', '>', now - IDEMPOTENCY_TTL_MS)
    .executeTakeFirst();
  return row ? { requestHash: row.request_hash, statusCode: row.status_code, response: row.response } : undefined;
}

/**
 * Claims a key with the answer to replay, in the caller's transaction; false when the key is already
 * claimed (by a concurrent request with the same key). An expired claim is replaced.
 */
export async function claimIdempotencyKey(
  trx: Db,
  k: { accountId: string; key: string; requestHash: string; statusCode: number; response: string; now: number },
): Promise<boolean> {
  await trx
    .deleteFrom('idempotency_keys')
    .where('account_id', '=', k.accountId)
    .where('key', '=', k.key)
    .where('created_at', '<=', k.now - IDEMPOTENCY_TTL_MS)
    .execute();
  const r = await trx
    .insertInto('idempotency_keys')
    .values({
      account_id: k.accountId,
      key: k.key,
      request_hash: k.requestHash,
      status_code: k.statusCode,
      response: k.response,
      created_at: k.now,
    })
    .onConflict((oc) => oc.columns(['account_id', 'key']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** Forgets a key claimed in the same transaction (the request was refused after all). */
export async function releaseIdempotencyKey(trx: Db, accountId: string, key: string): Promise<void> {
  await trx.deleteFrom('idempotency_keys').where('account_id', '=', accountId).where('key', '=', key).execute();
}

/** Deletes keys older than 24 h. */
export async function purgeIdempotencyKeys(db: Db, now: number): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<=', now - IDEMPOTENCY_TTL_MS)
    .execute();
}
