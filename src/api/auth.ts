import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, type AppError } from '../core/errors.js';
import { hashApiKey } from '../ids.js';
import { authenticateKey } from '../services/authenticate.js';
import { sessionOwner } from '../services/sessions.js';
import type { ApiContext, AuthContext } from './context.js';
import { passesCsrfCheck } from './csrf.js';
import type { FailedAuthLimiter } from './failed-auth-limiter.js';
import { clearSessionCookie, SESSION_COOKIE } from './session-cookie.js';

const KEY_SHAPE = /^tfm_k_[A-Za-z0-9]{32}$/;

/** The current request's account, or a 401 when it did not authenticate. */
export function requireAuth(request: FastifyRequest): AuthContext {
  if (!request.auth) throw errors.unauthorized();
  return request.auth;
}

/**
 * An onRequest hook that authenticates the request as an account and user, by `Authorization: Bearer tfm_k_…` (see
 * authenticateKey) or, when the request has no Authorization header, by the dashboard's session cookie (see
 * sessionAuth). Failures are counted per client address: an address that failed too often gets 429 until its minute
 * ends, but for keys already known to work and genuine session cookies (see FailedAuthLimiter).
 */
export function requestAuth(ctx: ApiContext, limiter: FailedAuthLimiter) {
  const session = sessionAuth(ctx, limiter);
  const refuse = (request: FastifyRequest): AppError => {
    limiter.recordFailure(request.ip);
    return errors.unauthorized();
  };
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const cookie = request.cookies[SESSION_COOKIE];
    if (request.headers.authorization === undefined && cookie) return session(request, reply, cookie);
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
      sessionId: null,
      plan: owner.plan,
      limits: owner.limits,
    };
  };
}

/**
 * Authentication by the session cookie. A write must pass the CSRF check first (403 `csrf_failed`, before anything
 * is read or looked up). The JWT's signature and expiry are checked without the database; a token that fails them
 * counts as a failed authentication of the address (a blocked address gets 429), one that passes them is not a guess
 * and gets through from a blocked address too. Then its session must still be in the database (logout deletes it).
 * A cookie that does not work is cleared in the 401.
 */
function sessionAuth(ctx: ApiContext, limiter: FailedAuthLimiter) {
  const publicOrigin = new URL(ctx.config.publicUrl).origin;
  return async (request: FastifyRequest, reply: FastifyReply, cookie: string): Promise<void> => {
    if (!passesCsrfCheck(request, publicOrigin)) throw errors.csrfFailed();
    const claims = await ctx.sessionTokens.verify(cookie);
    if (!claims) {
      const blockedFor = limiter.blockedForSeconds(request.ip);
      if (blockedFor > 0) throw errors.tooManyAuthFailures(blockedFor);
      limiter.recordFailure(request.ip);
    }
    const owner = claims ? await sessionOwner(ctx.store, claims) : null;
    if (!owner) {
      clearSessionCookie(reply, request, ctx.config.publicUrl);
      throw errors.sessionEnded();
    }
    request.auth = {
      accountId: owner.accountId,
      userId: owner.userId,
      keyId: null,
      sessionId: owner.sessionId,
      plan: owner.plan,
      limits: owner.limits,
    };
  };
}
