import type { FastifyInstance } from 'fastify';
import { iso } from '../ids.js';
import { apiKeys, createApiKey, removeApiKey } from '../services/api-keys.js';
import type { ApiKeyRow } from '../store/schema.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import {
  apiKeyBody,
  createApiKeyBody,
  deletedBody,
  idParams,
  withErrors,
  type CreateApiKeyBody,
  type IdParams,
} from './schemas.js';

const tags = ['API keys'];

function view(k: ApiKeyRow) {
  return { id: k.id, name: k.name, prefix: k.prefix, created_at: iso(k.created_at), last_used_at: iso(k.last_used_at) };
}

/** `/v1/api-keys`: create (the key is shown once), list, delete. */
export function apiKeyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: CreateApiKeyBody | undefined }>(
    '/v1/api-keys',
    {
      schema: {
        tags,
        summary: 'Create an API key (shown once)',
        body: createApiKeyBody,
        response: withErrors({ 201: apiKeyBody }, 422),
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const { row, key } = await createApiKey(ctx.store, auth, request.body?.name);
      return reply.status(201).send({ ...view(row), key });
    },
  );

  app.get(
    '/v1/api-keys',
    { schema: { tags, summary: 'List API keys', response: withErrors({ 200: { type: 'array', items: apiKeyBody } }) } },
    async (request) => {
      return (await apiKeys(ctx.store, requireAuth(request).accountId)).map(view);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/v1/api-keys/:id',
    {
      schema: { tags, summary: 'Delete an API key', params: idParams, response: withErrors({ 200: deletedBody }, 404) },
    },
    async (request) => {
      await removeApiKey(ctx.store, requireAuth(request).accountId, request.params.id);
      ctx.authCache.clear();
      return { id: request.params.id, deleted: true };
    },
  );
}
