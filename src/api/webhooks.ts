import type { FastifyInstance } from 'fastify';
import { ALL_EVENTS, previousSecretActive, secretHint } from '../core/webhook-endpoints.js';
import { hostLookup } from '../dns/resolver.js';
import { iso } from '../ids.js';
import {
  createWebhook,
  findWebhook,
  removeWebhook,
  rotateSecret,
  updateWebhook,
  webhookList,
  type WebhookDeps,
} from '../services/webhooks.js';
import type { WebhookRow } from '../store/schema.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { querySchemaValidation } from './query-schema.js';
import { deletedBody, idParams, withErrors, type IdParams } from './schemas.js';
import {
  createWebhookBody,
  listWebhooksQuery,
  updateWebhookBody,
  webhookBody,
  type CreateWebhookBody,
  type ListWebhooksQuery,
  type UpdateWebhookBody,
} from './webhook-schemas.js';

const tags = ['Webhooks'];

/** The API shape of a webhook: the secret by its hint only (the full one is in the answers that make one). */
export function webhookView(w: WebhookRow, now = Date.now()) {
  return {
    id: w.id,
    url: w.url,
    events: w.event_types ?? [ALL_EVENTS],
    domain: w.domain,
    tag: w.tag,
    enabled: w.enabled === 1,
    human_only: w.human_only === 1,
    secret_hint: secretHint(w.secret),
    previous_secret_expires_at: previousSecretActive(w, now) ? iso(w.previous_secret_expires_at) : null,
    disabled_reason: w.disabled_reason,
    failing_since: iso(w.failing_since),
    created_at: iso(w.created_at),
    updated_at: iso(w.updated_at),
  };
}

/** `/v1/webhooks`: the endpoints events are posted to — create (secret shown once), list, get, change, delete. */
export function webhookRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const deps: WebhookDeps = {
    store: ctx.store,
    secrets: ctx.secrets,
    guard: { allowPrivate: ctx.config.allowPrivateWebhooks, lookup: hostLookup(ctx.config.dnsServers) },
  };
  app.post<{ Body: CreateWebhookBody }>(
    '/v1/webhooks',
    {
      schema: {
        tags,
        summary: 'Add an endpoint (its signing secret is shown once, in this answer)',
        description:
          'The URL must lead to a public address: one on a private, loopback, link-local or other special network is a 422 naming `url`. At most 20 per account (409 webhook_limit_reached).',
        body: createWebhookBody,
        response: withErrors({ 201: webhookBody }, 409, 422),
      },
    },
    async (request, reply) => {
      const row = await createWebhook(deps, requireAuth(request).accountId, request.body);
      return reply.status(201).send({ ...webhookView(row), secret: row.secret });
    },
  );

  app.get<{ Querystring: ListWebhooksQuery }>(
    '/v1/webhooks',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'List endpoints, newest first',
        querystring: listWebhooksQuery,
        response: withErrors({ 200: { type: 'array', items: webhookBody } }, 422),
      },
    },
    async (request) => {
      const { page, limit } = request.query;
      const rows = await webhookList(deps, requireAuth(request).accountId, { limit, offset: page * limit });
      return rows.map((w) => webhookView(w));
    },
  );

  app.get<{ Params: IdParams }>(
    '/v1/webhooks/:id',
    { schema: { tags, summary: 'Get an endpoint', params: idParams, response: withErrors({ 200: webhookBody }, 404) } },
    async (request) => webhookView(await findWebhook(deps, requireAuth(request).accountId, request.params.id)),
  );

  app.patch<{ Params: IdParams; Body: UpdateWebhookBody }>(
    '/v1/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Change an endpoint: url, events, domain, tag, enabled, human_only',
        params: idParams,
        body: updateWebhookBody,
        response: withErrors({ 200: webhookBody }, 404, 422),
      },
    },
    async (request) => {
      const auth = requireAuth(request);
      return webhookView(await updateWebhook(deps, auth.accountId, request.params.id, request.body));
    },
  );

  app.delete<{ Params: IdParams }>(
    '/v1/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Delete an endpoint and its deliveries',
        params: idParams,
        response: withErrors({ 200: deletedBody }, 404),
      },
    },
    async (request) => {
      await removeWebhook(ctx.store, requireAuth(request).accountId, request.params.id);
      return { id: request.params.id, deleted: true };
    },
  );

  app.post<{ Params: IdParams }>(
    '/v1/webhooks/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Make a new signing secret (shown once); the old one keeps signing beside it for 24 hours',
        params: idParams,
        response: withErrors({ 200: webhookBody }, 404),
      },
    },
    async (request) => {
      const row = await rotateSecret(deps, requireAuth(request).accountId, request.params.id);
      return { ...webhookView(row), secret: row.secret };
    },
  );
}
