import type { FastifyInstance } from 'fastify';
import { errors } from '../core/errors.js';
import { currentUser, logIn, logOut, SESSION_LIFETIME_MS } from '../services/sessions.js';
import { requireAuth } from './auth.js';
import { loginBody, meBody, noContent, userBody, type LoginBody } from './auth-schemas.js';
import type { ApiContext } from './context.js';
import { fromThisOrigin } from './csrf.js';
import { LoginLimiter } from './login-limiter.js';
import { clearSessionCookie, setSessionCookie } from './session-cookie.js';
import { errorCase, withErrors } from './schemas.js';

const tags = ['Auth'];
const DAYS = SESSION_LIFETIME_MS / 86_400_000;

/**
 * POST /v1/auth/login: the one /v1 route without authentication, registered in a scope of its own (no key hook, no
 * per-key rate limit: failed logins are limited by LoginLimiter instead).
 */
export function loginRoute(app: FastifyInstance, ctx: ApiContext): void {
  const limiter = new LoginLimiter();
  const publicOrigin = new URL(ctx.config.publicUrl).origin;
  app.post<{ Body: LoginBody }>(
    '/v1/auth/login',
    {
      schema: {
        tags,
        summary: 'Log in to the dashboard',
        description:
          `Checks the email (any letter case) and password of a dashboard user and answers with the user and a session ` +
          `cookie, taifa_session: a JWT, HttpOnly, SameSite=Lax, Path=/, Secure over https, good for ${DAYS} days ` +
          'from now (using it does not extend it). The cookie authenticates every /v1 route an API key does; a ' +
          'write made with it must send "X-Taifa-Csrf: 1" from this origin. A wrong password and an unknown email ' +
          'get the same 401. After 10 failures within 15 minutes from one address, or to one email, logins from ' +
          'there or to it get 429 until the 15 minutes are over.',
        security: [],
        body: loginBody,
        response: withErrors(
          { 200: userBody },
          errorCase(errors.invalidCredentials(), 'A wrong email or password (the same answer for both).'),
          errorCase(errors.csrfFailed(), 'Sent from another site (its Origin is not this server).'),
          errorCase(
            errors.validation([{ field: 'email', error: 'must NOT have fewer than 1 characters' }]),
            'The body is not an email and a password.',
          ),
          errorCase(errors.tooManyLoginAttempts(900), 'Too many failed logins from this address or to this email.'),
        ),
      },
    },
    async (request, reply) => {
      // Only this server's pages log in (a JSON body cannot come from another site's form anyway).
      if (!fromThisOrigin(request, publicOrigin)) throw errors.csrfFailed();
      const { email, password } = request.body;
      const emailKey = email.trim().toLowerCase();
      const blockedFor = limiter.blockedForSeconds(request.ip, emailKey);
      if (blockedFor > 0) throw errors.tooManyLoginAttempts(blockedFor);
      const session = await logIn({ store: ctx.store, tokens: ctx.sessionTokens }, email, password);
      if (!session) {
        limiter.recordFailure(request.ip, emailKey);
        throw errors.invalidCredentials();
      }
      limiter.recordSuccess(emailKey);
      setSessionCookie(reply, request, ctx.config.publicUrl, session.token, session.expiresAt);
      void reply.header('cache-control', 'no-store');
      return session.user;
    },
  );
}

/** POST /v1/auth/logout and GET /v1/auth/me, behind the /v1 authentication like any route. */
export function sessionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post(
    '/v1/auth/logout',
    {
      schema: {
        tags,
        summary: 'Log out of the dashboard',
        description:
          'Ends the session of the cookie the request carries, on the server: the cookie stops working at once, ' +
          'wherever it is replayed, and the answer clears it. Like every write made with the cookie, it needs ' +
          '"X-Taifa-Csrf: 1". With an API key there is no session to end: 204, and nothing changes.',
        response: withErrors(
          { 204: noContent },
          errorCase(errors.csrfFailed(), 'Made with the cookie but without "X-Taifa-Csrf: 1", or from another site.'),
        ),
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      if (auth.sessionId !== null) {
        await logOut(ctx.store, auth.sessionId);
        clearSessionCookie(reply, request, ctx.config.publicUrl);
      }
      return reply.status(204).send();
    },
  );

  app.get(
    '/v1/auth/me',
    {
      schema: {
        tags,
        summary: 'Who you are logged in as',
        description:
          "The user the request authenticates as (the session cookie's, or the API key's owner) and their account.",
        response: withErrors({ 200: meBody }),
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      return currentUser(ctx.store, requireAuth(request).userId);
    },
  );
}
