import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../core/errors.js';
import { hashApiKey } from '../core/ids.js';
import { findKeyOwner, touchApiKey } from '../store/accounts-repo.js';
import type { ApiContext, AuthContext } from './context.js';

const TOUCH_INTERVAL_MS = 60_000;
const KEY_SHAPE = /^tfm_k_[A-Za-z0-9]{32}$/;

/** The current request's account, or a 401 when it did not authenticate. */
export function requireAuth(request: FastifyRequest): AuthContext {
  if (!request.auth) throw errors.unauthorized();
  return request.auth;
}

/**
 * An onRequest hook that authenticates `Authorization: Bearer tfm_k_…`. `last_used_at` is written at most
 * once a minute per key, so authentication adds a write to at most one request per key per minute.
 */
export function apiKeyAuth(ctx: ApiContext) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match || !KEY_SHAPE.test(match[1]!)) throw errors.unauthorized();
    const hash = hashApiKey(match[1]!);
    let owner = ctx.authCache.get(hash);
    if (!owner) {
      owner = await findKeyOwner(ctx.store.db, hash);
      if (!owner) throw errors.unauthorized();
      ctx.authCache.set(hash, owner);
    }
    const now = Date.now();
    if (owner.lastUsedAt === null || now - owner.lastUsedAt > TOUCH_INTERVAL_MS) {
      owner.lastUsedAt = now;
      // Awaited (once a minute per key) so that a key listing right after a use shows it; a failed
      // write costs the record, never the request.
      await touchApiKey(ctx.store.db, owner.keyId, now).catch((error: unknown) =>
        request.log.warn({ err: error }, 'could not record API key use'),
      );
    }
    request.auth = {
      accountId: owner.accountId,
      userId: owner.userId,
      keyId: owner.keyId,
      plan: owner.plan,
      limits: owner.limits,
    };
  };
}
