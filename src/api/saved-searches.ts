import type { FastifyInstance } from 'fastify';
import { errors } from '../core/errors.js';
import { listSavedSearches, replaceSavedSearches } from '../services/saved-searches.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { savedSearches, savedSearchesRequest, type SavedSearchesBody } from './saved-search-schemas.js';
import { errorCase, withErrors } from './schemas.js';

const tags = ['Emails'];

/** GET|PUT /v1/emails/saved-searches: named filter sets, per user (the user who created the API key). */
export function savedSearchRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/v1/emails/saved-searches',
    {
      schema: {
        tags,
        summary: 'Get your saved searches',
        description:
          'The saved searches of the user the key belongs to (each user of an account has their own): named sets ' +
          'of filters, stored for the client that shows them. An empty list until some are saved.',
        response: withErrors({ 200: savedSearches }),
      },
    },
    async (request) => {
      return { searches: await listSavedSearches(ctx.store, requireAuth(request).userId) };
    },
  );

  app.put<{ Body: SavedSearchesBody }>(
    '/v1/emails/saved-searches',
    {
      schema: {
        tags,
        summary: 'Replace your saved searches',
        description:
          'Replaces the whole list with the one given (at most 50; an empty list removes them all) and answers ' +
          'with it as stored. Give an entry its `id` back to keep it; new entries get one. Names are trimmed; a ' +
          'blank name, a filter over 500 characters or an id given twice is a 422 naming the field ' +
          '(`searches[1].id`). Unknown fields of an entry are ignored.',
        body: savedSearchesRequest,
        response: withErrors(
          { 200: savedSearches },
          errorCase(
            errors.validation([{ field: 'searches[1].id', error: 'repeats an earlier entry' }]),
            'An entry is invalid.',
          ),
        ),
      },
    },
    async (request) => {
      return { searches: await replaceSavedSearches(ctx.store, requireAuth(request).userId, request.body.searches) };
    },
  );
}
