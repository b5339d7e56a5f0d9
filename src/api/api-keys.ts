import type { FastifyInstance } from 'fastify';
import { iso } from '../ids.js';
import { apiKeys, createApiKey, removeApiKey } from '../services/api-keys.js';
import type { ApiKeyRow } from '../store/schema.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import {
  apiKeyList,
  apiKeyParams,
  createApiKeyRequest,
  createdApiKey,
  deletedApiKey,
  type CreateApiKeyBody,
} from './api-key-schemas.js';
import { errorCase, withErrors, type IdParams } from './schemas.js';
import { errors } from '../core/errors.js';

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
        summary: 'Create an API key',
        description:
          'Makes a new key for the account, owned by the same user as the key that asks (saved searches are per ' +
          'user). The answer carries the key itself, `tfm_k_` and 32 letters or digits, this once: only its SHA-256 ' +
          'is stored, and lists show its `prefix`. `name` is trimmed and defaults to "API key"; a blank one, one ' +
          'over 100 characters or one with a control character is a 422 naming `name`.',
        body: createApiKeyRequest,
        response: withErrors(
          { 201: createdApiKey },
          errorCase(errors.validation([{ field: 'name', error: 'must not be blank' }]), 'The name is not usable.'),
        ),
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
    {
      schema: {
        tags,
        summary: 'List API keys',
        description:
          "The account's keys, newest first: name, prefix, when each was made and last used. The keys themselves " +
          'are never shown again.',
        response: withErrors({ 200: apiKeyList }),
      },
    },
    async (request) => {
      return (await apiKeys(ctx.store, requireAuth(request).accountId)).map(view);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/v1/api-keys/:id',
    {
      schema: {
        tags,
        summary: 'Delete an API key',
        description:
          "Deletes one of the account's keys: requests made with it are refused with 401 from then on. 404 for an " +
          "id that is not one of the account's keys.",
        params: apiKeyParams,
        response: withErrors(
          { 200: deletedApiKey },
          errorCase(errors.notFound('API key'), 'No such key in the account.'),
        ),
      },
    },
    async (request) => {
      await removeApiKey(ctx.store, requireAuth(request).accountId, request.params.id);
      ctx.authCache.clear();
      return { id: request.params.id, deleted: true };
    },
  );
}
