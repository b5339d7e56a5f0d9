import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../core/errors.js';
import { authenticateKey } from '../services/authenticate.js';
import type { ApiContext, AuthContext } from './context.js';

const KEY_SHAPE = /^tfm_k_[A-Za-z0-9]{32}$/;

/** The current request's account, or a 401 when it did not authenticate. */
export function requireAuth(request: FastifyRequest): AuthContext {
  if (!request.auth) throw errors.unauthorized();
  return request.auth;
}

/** An onRequest hook that authenticates `Authorization: Bearer tfm_k_…` (see authenticateKey). */
export function apiKeyAuth(ctx: ApiContext) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const key = match?.[1];
    if (key === undefined || !KEY_SHAPE.test(key)) throw errors.unauthorized();
    const owner = await authenticateKey(
      {
        store: ctx.store,
        cache: ctx.authCache,
        onTouchFailed: (error) => request.log.warn({ err: error }, 'could not record API key use'),
      },
      key,
    );
    if (!owner) throw errors.unauthorized();
    request.auth = {
      accountId: owner.accountId,
      userId: owner.userId,
      keyId: owner.keyId,
      plan: owner.plan,
      limits: owner.limits,
    };
  };
}
