import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { errors } from './core/errors.js';
import { limitsFor } from './core/plans.js';
import { MAX_REQUEST_BYTES } from './core/send-body-schema.js';
import { newId } from './ids.js';
import { AllowedMethods } from './api/allowed-methods.js';
import { requestAuth } from './api/auth.js';
import { loginRoute, sessionRoutes } from './api/auth-routes.js';
import { FailedAuthLimiter } from './api/failed-auth-limiter.js';
import { apiKeyRoutes } from './api/api-keys.js';
import type { ApiContext } from './api/context.js';
import { dashboardRoutes } from './api/dashboard.js';
import { domainRoutes } from './api/domains.js';
import { emailRoutes } from './api/email-detail.js';
import { eventRoutes } from './api/events.js';
import { savedSearchRoutes } from './api/saved-searches.js';
import { scheduledEmailRoutes } from './api/scheduled-emails.js';
import { sendEmailRoutes } from './api/send-emails.js';
import { answerClientError, errorHandler, MAX_PARAM_CHARS } from './api/error-handler.js';
import { healthRoutes } from './api/health.js';
import { homePage } from './api/home-page.js';
import { listEmailRoutes } from './api/list-emails.js';
import { sendPixel, trackingRoutes, unroutedTrackingPath } from './tracking/routes.js';
import { registerOpenApi, serveOpenApi } from './api/openapi.js';
import { registerSecurityHeaders } from './api/security-headers.js';
import { senderRoutes } from './api/senders.js';
import { statsRoutes } from './api/stats.js';
import { suppressionRoutes } from './api/suppressions.js';
import { unsubscribeRoutes } from './api/unsubscribe.js';
import { webhookRoutes } from './api/webhooks.js';
import { webhookDeliveryRoutes } from './api/webhook-deliveries.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'fastify' {
  interface FastifyInstance {
    routeList: Array<{ method: string; url: string; hidden: boolean }>;
  }
}

/** Builds the HTTP server from the route modules; listening is the caller's business. */
export async function buildApp(ctx: ApiContext): Promise<FastifyInstance> {
  const app = Fastify({
    // The cast picks Fastify's default logger type for the instance (pino's Logger would thread through
    // every route's types); it is not a no-op, whatever the linter's type-assertion rule says.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: MAX_REQUEST_BYTES,
    // Behind a reverse proxy, the client's address (which tracking classifies) comes from X-Forwarded-For.
    // (Typed as boolean only to pick Fastify's HTTP/1 overload; numbers and address lists work the same.)
    trustProxy: ctx.config.trustProxy as boolean,
    // Click tokens carry the destination URL, so path parameters can be long.
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: true, maxParamLength: MAX_PARAM_CHARS },
    // What the router cannot route (a bad %-escape, a parameter over the limit) is answered like any error, or
    // as the tracking endpoint it was meant for answers a bad token.
    frameworkErrors: (error, request, reply) => answerUnrouted(ctx, error, request, reply),
    // A request Node cannot even parse (a malformed header, one over the size limit) gets the error shape too.
    clientErrorHandler: answerClientError,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId();
    },
    logController: new LogController({ disableRequestLogging: true }),
    // No type coercion and no silent removal: a wrong type is a 422 naming the field.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  });
  await registerOpenApi(app, ctx.config.publicUrl);

  // Every route with its methods, so that a test can hold the OpenAPI document against the real router.
  const routes: Array<{ method: string; url: string; hidden: boolean }> = [];
  app.decorate('routeList', routes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, hidden: Boolean(r.schema?.hide) });
  });
  app.decorateRequest('auth', null);
  app.setErrorHandler(errorHandler);
  // No route for this method and path: a path that other methods answer is a 405 naming them, any other a 404
  // (as is a route's own "not here", such as a missing file of the reference's static assets).
  const allowed = new AllowedMethods(routes);
  app.setNotFoundHandler((request, reply) => {
    const allow = allowed.at(request.url);
    const error =
      allow.length && !allow.includes(request.method)
        ? errors.methodNotAllowed(request.method, allow)
        : errors.routeNotFound(request.method);
    answerUnrouted(ctx, error, request, reply);
  });

  // The tracking endpoints, the hottest path, in a scope of their own: the hooks of the other routes
  // (request id header, request log, key, rate limit) do not run for them.
  const tracking = ctx.tracking;
  if (tracking) await app.register(async (scope) => trackingRoutes(scope, { ...tracking, log: ctx.log }));
  await app.register(async (scope) => apiRoutes(scope, ctx));
  return app;
}

/**
 * Answers a request no route took, with `error`; one meant for a tracking endpoint (see unroutedTrackingPath) is
 * answered as that endpoint answers a token it did not sign: the pixel's GIF, the click's invalid link.
 */
function answerUnrouted(ctx: ApiContext, error: Error, request: FastifyRequest, reply: FastifyReply): void {
  const path = ctx.tracking ? unroutedTrackingPath(request.method, request.url) : null;
  if (path === 'open') void sendPixel(reply);
  else errorHandler(path === 'click' ? errors.notFound('Link') : error, request, reply);
}

/**
 * Every route but tracking: the home page, health, the OpenAPI document and, with the api role, /v1 and the
 * unsubscribe endpoints.
 */
async function apiRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  await registerSecurityHeaders(app, ctx.config.publicUrl);
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 500)
      request.log.warn({ method: request.method, url: request.url, status: reply.statusCode }, 'request failed');
    else
      request.log.debug(
        { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
        'request',
      );
  });
  healthRoutes(app, ctx);
  await serveOpenApi(app);
  // GET / is the dashboard where it is built and served (the api role), else a page that points to the reference.
  const dashboard = ctx.config.roles.has('api') && (await dashboardRoutes(app));
  if (!dashboard) homePage(app);
  if (!ctx.config.roles.has('api')) return;
  // The unsubscribe endpoints: no key (recipients and mailbox providers call them), and a form body parser of
  // their own.
  await app.register(async (scope) => unsubscribeRoutes(scope, ctx));
  // The dashboard's session cookie, read by /v1 (the tracking scope above never parses cookies).
  await app.register(cookie);
  // Login: the one /v1 route that takes no key or session, so in a scope without the hooks below.
  await app.register(async (scope) => {
    scope.removeContentTypeParser('text/plain');
    loginRoute(scope, ctx);
  });
  await app.register(async (v1) => {
    // JSON only: Fastify also reads text/plain as a string, which a JSON route would see as a body of the wrong
    // type (422); any type but JSON is a 415, as a missing Content-Type already is (a route of its own may add one).
    v1.removeContentTypeParser('text/plain');
    // Authentication and the rate limit run first, on the request line and headers alone: a caller
    // without a key (or a dashboard session) gets 401 (and one over its rate 429) before its body is read or
    // validated; a write with the session cookie that fails the CSRF check, 403. Failed authentications are limited
    // per client address, also in this process's memory.
    v1.addHook('onRequest', requestAuth(ctx, new FailedAuthLimiter(ctx.config.authFailuresPerMinute)));
    // Per-key (or per dashboard user) request rate, after authentication (the plugin's hook is added after the one
    // above). Counted in this process's memory: with several API processes, each enforces the limit on its own.
    await v1.register(rateLimit, {
      hook: 'onRequest',
      timeWindow: 1000,
      enableDraftSpec: true,
      keyGenerator: (request) => (request.auth ? (request.auth.keyId ?? `user:${request.auth.userId}`) : request.ip),
      max: (request) => (request.auth ? limitsFor(request.auth.plan, request.auth.limits).requestsPerSecond : 10),
      errorResponseBuilder: (_request, context) =>
        errors.rateLimited(context.max, Math.max(1, Math.ceil(context.ttl / 1000))),
    });
    apiKeyRoutes(v1, ctx);
    domainRoutes(v1, ctx);
    senderRoutes(v1, ctx);
    sendEmailRoutes(v1, ctx);
    listEmailRoutes(v1, ctx);
    scheduledEmailRoutes(v1, ctx);
    savedSearchRoutes(v1, ctx);
    emailRoutes(v1, ctx);
    suppressionRoutes(v1, ctx);
    webhookRoutes(v1, ctx);
    webhookDeliveryRoutes(v1, ctx);
    eventRoutes(v1, ctx);
    statsRoutes(v1, ctx);
    sessionRoutes(v1, ctx);
  });
}
