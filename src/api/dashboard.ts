import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { RouteHeaders } from './security-headers.js';

/** Where `npm install` (the dashboard workspace's build) puts the single-page app. */
export const DASHBOARD_DIST = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

/**
 * The dashboard's own URLs: each answers the app's index.html, which then shows that page (deep links and the back
 * button work). Named one by one, so that every other path stays a 404.
 */
export const DASHBOARD_PAGES = [
  '/',
  '/login',
  '/emails',
  '/emails/:id',
  '/analytics',
  '/suppressions',
  '/domains',
  '/domains/:id',
  '/webhooks',
  '/webhooks/:id',
  '/api-keys',
] as const;

/**
 * The app's pages and assets may load only from this server: its scripts, styles, images and the API. An email's
 * HTML is previewed in a sandboxed srcdoc frame, which inherits this policy, so nothing in it (a tracking pixel,
 * a remote image or font) can reach the network from the dashboard.
 */
export const DASHBOARD_HEADERS: RouteHeaders = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      frameSrc: ["'self'"],
      formAction: ["'self'"],
      baseUri: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
};

/**
 * Serves the built dashboard: hashed assets under /assets/ for a year (a new build has new names), its pages never
 * cached. Answers false, registering nothing, when the dashboard has not been built.
 */
export async function dashboardRoutes(app: FastifyInstance, dist = DASHBOARD_DIST): Promise<boolean> {
  const indexFile = join(dist, 'index.html');
  if (!existsSync(indexFile)) return false;
  const index = await readFile(indexFile);
  await app.register(fastifyStatic, {
    root: join(dist, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    cacheControl: true,
    immutable: true,
    maxAge: '365d',
    schemaHide: true,
  });
  for (const page of DASHBOARD_PAGES)
    app.get(page, { schema: { hide: true } }, async (_request, reply) =>
      reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index),
    );
  return true;
}
