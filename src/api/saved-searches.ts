import type { FastifyInstance } from 'fastify';
import { savedSearchesFrom, type SavedSearch } from '../core/saved-searches.js';
import { getSavedSearches, putSavedSearches } from '../store/saved-searches-repo.js';
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
      const auth = requireAuth(request);
      const stored = await getSavedSearches(ctx.store.db, auth.userId);
      return { searches: stored ? (JSON.parse(stored) as SavedSearch[]) : [] };
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
      const auth = requireAuth(request);
      const searches = savedSearchesFrom(request.body.searches);
      await putSavedSearches(ctx.store.db, auth.userId, JSON.stringify(searches), Date.now());
      return { searches };
    },
  );
}
