import type { FastifyInstance } from 'fastify';
import { listSavedSearches, replaceSavedSearches } from '../services/saved-searches.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { savedSearchesAnswer, savedSearchesBody, withErrors, type SavedSearchesBody } from './schemas.js';

const tags = ['Saved searches'];

/** GET|PUT /v1/emails/saved-searches: named filter sets, per user (the user who created the API key). */
export function savedSearchRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/v1/emails/saved-searches',
    { schema: { tags, summary: 'List your saved searches', response: withErrors({ 200: savedSearchesAnswer }) } },
    async (request) => {
      return { searches: await listSavedSearches(ctx.store, requireAuth(request).userId) };
    },
  );

  app.put<{ Body: SavedSearchesBody }>(
    '/v1/emails/saved-searches',
    {
      schema: {
        tags,
        summary: 'Replace your saved searches (at most 50)',
        body: savedSearchesBody,
        response: withErrors({ 200: savedSearchesAnswer }, 422),
      },
    },
    async (request) => {
      return { searches: await replaceSavedSearches(ctx.store, requireAuth(request).userId, request.body.searches) };
    },
  );
}
