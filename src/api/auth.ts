import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, type AppError } from '../core/errors.js';
import { hashApiKey } from '../ids.js';
import { authenticateKey } from '../services/authenticate.js';
import type { ApiContext, AuthContext } from './context.js';
import type { FailedAuthLimiter } from './failed-auth-limiter.js';

const KEY_SHAPE = /^tfm_k_[A-Za-z0-9]{32}$/;

/** The current request's account, or a 401 when it did not authenticate. */
export function requireAuth(request: FastifyRequest): AuthContext {
  if (!request.auth) throw errors.unauthorized();
  return request.auth;
}

/**
 * An onRequest hook that authenticates `Authorization: Bearer tfm_k_…` (see authenticateKey), failures counted per
 * client address: an address that failed too often gets 429 until its minute ends, but for keys already known to
 * work (see FailedAuthLimiter).
 */
export function apiKeyAuth(ctx: ApiContext, limiter: FailedAuthLimiter) {
  const refuse = (request: FastifyRequest): AppError => {
    limiter.recordFailure(request.ip);
    return errors.unauthorized();
  };
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const key = match?.[1];
    const hash = key !== undefined && KEY_SHAPE.test(key) ? hashApiKey(key) : null;
    const blockedFor = limiter.blockedForSeconds(request.ip);
    // Blocked: not even a look-up, unless the key is one that works.
    if (blockedFor > 0 && !(hash !== null && limiter.isKnownKey(hash))) throw errors.tooManyAuthFailures(blockedFor);
    if (key === undefined || hash === null) throw refuse(request);
    const owner = await authenticateKey(
      {
        store: ctx.store,
        cache: ctx.authCache,
        onTouchFailed: (error) => request.log.warn({ err: error }, 'could not record API key use'),
      },
      key,
    );
    if (!owner) throw refuse(request);
    limiter.recordSuccess(hash);
    request.auth = {
      accountId: owner.accountId,
      userId: owner.userId,
      keyId: owner.keyId,
      plan: owner.plan,
      limits: owner.limits,
    };
  };
}
