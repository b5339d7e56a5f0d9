import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import { DASHBOARD_HEADERS, DASHBOARD_PAGES } from './dashboard.js';

/** A route's own headers, over those of every answer (helmet's route option). */
export type RouteHeaders = Omit<FastifyHelmetOptions, 'global'>;

/**
 * What every answer of the API, the reference and the unsubscribe pages carries: helmet's defaults
 * (`X-Content-Type-Options: nosniff` above all: a browser must never take a JSON body or a captured message for a
 * page), with framing refused, but no Content-Security-Policy (the pages that render something have their own,
 * below; the unsubscribe pages are self-contained) and no Strict-Transport-Security (TLS ends at the operator's
 * proxy, which decides that). The tracking endpoints, the hottest path, set nosniff themselves instead.
 */
const EVERY_ANSWER: FastifyHelmetOptions = {
  global: true,
  contentSecurityPolicy: false,
  strictTransportSecurity: false,
  xFrameOptions: { action: 'deny' },
};

/**
 * The rendered API reference (Swagger UI at /docs): its scripts and styles come from this server only; no inline or
 * evaluated script. Swagger UI inserts style elements as it renders (styles cannot run code), shows data: images,
 * and fetches the document from this server and, for "Try it out", from the public URL.
 */
function docsHeaders(publicUrl: string): RouteHeaders {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: [...new Set(["'self'", new URL(publicUrl).origin])],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
  };
}

/**
 * A captured message (GET /v1/emails/{id}/raw): served as message/rfc822 for reading, never rendered. Should a
 * browser render it anyway, nothing in it may load, run, or be framed.
 */
export const CAPTURED_MESSAGE_HEADERS: RouteHeaders = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], sandbox: [], frameAncestors: ["'none'"] },
  },
};

/**
 * The page at GET / (home-page.ts): its own inline style and nothing else, loaded from nowhere; never framed, and its
 * links stay on this server.
 */
export const HOME_PAGE_HEADERS: RouteHeaders = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
};

/**
 * Registers the security headers on a scope, before its routes: every answer's, the reference's under /docs, and the
 * dashboard's.
 */
export async function registerSecurityHeaders(app: FastifyInstance, publicUrl: string): Promise<void> {
  const docs = docsHeaders(publicUrl);
  const dashboardPages = new Set<string>(DASHBOARD_PAGES);
  // Before helmet's own onRoute hook, which reads the option (the reference's routes come from its plugin).
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.helmet = docs;
    // The dashboard's pages and assets (GET / has a page of its own, with its own headers, where it is not served).
    else if (!route.helmet && (dashboardPages.has(route.url) || route.url.startsWith('/assets/')))
      route.helmet = DASHBOARD_HEADERS;
  });
  await app.register(helmet, EVERY_ANSWER);
}
