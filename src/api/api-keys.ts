import type { FastifyInstance } from 'fastify';
import { errors } from '../core/errors.js';
import { apiKeyPrefix, hashApiKey, iso, newApiKey, newId } from '../core/ids.js';
import { deleteApiKey, insertApiKey, listApiKeys } from '../store/api-keys-repo.js';
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
      const name = request.body?.name ?? 'API key';
      const key = newApiKey();
      const now = Date.now();
      const id = newId();
      await insertApiKey(ctx.store.db, {
        id,
        accountId: auth.accountId,
        userId: auth.userId,
        name: name.trim(),
        prefix: apiKeyPrefix(key),
        keyHash: hashApiKey(key),
        now,
      });
      return reply
        .status(201)
        .send({ id, name: name.trim(), key, prefix: apiKeyPrefix(key), created_at: iso(now), last_used_at: null });
    },
  );

  app.get(
    '/v1/api-keys',
    { schema: { tags, summary: 'List API keys', response: withErrors({ 200: { type: 'array', items: apiKeyBody } }) } },
    async (request) => {
      const auth = requireAuth(request);
      return (await listApiKeys(ctx.store.db, auth.accountId)).map(view);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/v1/api-keys/:id',
    {
      schema: { tags, summary: 'Delete an API key', params: idParams, response: withErrors({ 200: deletedBody }, 404) },
    },
    async (request) => {
      const auth = requireAuth(request);
      if (!(await deleteApiKey(ctx.store.db, auth.accountId, request.params.id))) throw errors.notFound('API key');
      ctx.authCache.clear();
      return { id: request.params.id, deleted: true };
    },
  );
}
