import type { FastifyInstance } from 'fastify';
import { errors } from '../core/errors.js';
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
import { badPaging, errorCase, withErrors, type IdParams } from './schemas.js';
import {
  createdWebhook,
  createWebhookRequest,
  deletedWebhook,
  listWebhooksQuery,
  rotatedWebhook,
  updatedWebhook,
  updateWebhookRequest,
  webhookAnswer,
  webhookPage,
  webhookParams,
  type CreateWebhookBody,
  type ListWebhooksQuery,
  type UpdateWebhookBody,
} from './webhook-schemas.js';

const tags = ['Webhooks'];
const notFound = errorCase(errors.notFound('Webhook'), 'No such endpoint in the account.');
const badField = errorCase(
  errors.validation([{ field: 'url', error: 'must use https (or http), not ftp' }]),
  'A field is invalid, or the URL leads to a private, loopback or other special address.',
);

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
        summary: 'Add a webhook endpoint',
        description:
          'Adds a URL of yours that events are posted to as they happen, signed the Standard Webhooks way ' +
          '(`webhook-id`, `webhook-timestamp`, `webhook-signature`). The answer carries its signing `secret` ' +
          '(`whsec_…`) this once; reads show only `secret_hint`. `events` lists the event names it wants (every ' +
          'event when left out, null or `["*"]`); `domain` and `tag` narrow them to the emails of one sending ' +
          'domain or tag; `human_only` leaves out the opens and clicks of machines. A 2xx answer is done, a 406 a ' +
          'refusal; anything else is retried (by default 5 minutes to 4 hours apart, then the delivery is failed). ' +
          'The URL must lead to a public address: one on a private, loopback, link-local or other special ' +
          'network is a 422 naming `url`. At most 20 endpoints per account (409 `webhook_limit_reached`).',
        body: createWebhookRequest,
        response: withErrors(
          { 201: createdWebhook },
          errorCase(
            errors.conflict(
              'An account has at most 20 webhooks; delete one first (one endpoint can take many events).',
              'webhook_limit_reached',
            ),
            'The account has 20 endpoints already.',
          ),
          badField,
        ),
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
        summary: 'List webhook endpoints',
        description:
          "The account's endpoints, newest first, each with `secret_hint` (never the secret); zero-based `page`, " +
          '`limit` 1–100 (default 20).',
        querystring: listWebhooksQuery,
        response: withErrors({ 200: webhookPage }, badPaging(100)),
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
    {
      schema: {
        tags,
        summary: 'Get a webhook endpoint',
        description:
          'One endpoint, with `secret_hint`, and why and since when it fails or was disabled, if it does. 404 for ' +
          "an id that is not one of the account's endpoints.",
        params: webhookParams,
        response: withErrors({ 200: webhookAnswer }, notFound),
      },
    },
    async (request) => webhookView(await findWebhook(deps, requireAuth(request).accountId, request.params.id)),
  );

  app.patch<{ Params: IdParams; Body: UpdateWebhookBody }>(
    '/v1/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Change a webhook endpoint',
        description:
          'Changes any of `url`, `events`, `domain`, `tag`, `enabled` and `human_only`; the fields left out stay. ' +
          '`{"enabled": true}` switches an endpoint that was disabled (by you, or after 3 days of failed ' +
          'deliveries) back on and clears `disabled_reason` and `failing_since`. A field that is not valid is a ' +
          '422 naming it, as on create.',
        params: webhookParams,
        body: updateWebhookRequest,
        response: withErrors({ 200: updatedWebhook }, notFound, badField),
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
        summary: 'Delete a webhook endpoint',
        description:
          'Deletes the endpoint with its pending and past deliveries: nothing more is posted to it. 404 for an id ' +
          "that is not one of the account's endpoints.",
        params: webhookParams,
        response: withErrors({ 200: deletedWebhook }, notFound),
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
        summary: "Rotate a webhook endpoint's signing secret",
        description:
          'Makes a new signing secret, in this answer only. For 24 hours the previous one keeps signing beside it ' +
          '(two signatures in `webhook-signature`), so that your receiver can switch without losing a delivery; ' +
          '`previous_secret_expires_at` says until when.',
        params: webhookParams,
        response: withErrors({ 200: rotatedWebhook }, notFound),
      },
    },
    async (request) => {
      const row = await rotateSecret(deps, requireAuth(request).accountId, request.params.id);
      return { ...webhookView(row), secret: row.secret };
    },
  );
}
