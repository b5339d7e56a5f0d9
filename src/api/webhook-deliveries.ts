import type { FastifyInstance } from 'fastify';
import { errors } from '../core/errors.js';
import { ALL_WEBHOOK_EVENTS } from '../core/webhook-events.js';
import { iso } from '../ids.js';
import {
  replayWebhookDelivery,
  testWebhook,
  webhookDeliveries,
  webhookDelivery,
  type DeliveryWithAttempts,
} from '../services/webhook-deliveries.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { querySchemaValidation } from './query-schema.js';
import { badPaging, errorCase, withErrors, type IdParams } from './schemas.js';
import {
  deliveriesQuery,
  deliveryAnswer,
  deliveryList,
  deliveryParams,
  replayedDelivery,
  testedDelivery,
  testRequest,
  type DeliveriesQuery,
  type DeliveryParams,
  type TestBody,
} from './webhook-delivery-schemas.js';
import { webhookParams } from './webhook-schemas.js';

const tags = ['Webhooks'];
const noWebhook = errorCase(errors.notFound('Webhook'), 'No such endpoint in the account.');
const noDelivery = errorCase(errors.notFound('Delivery'), 'No such endpoint, or no such delivery of it.');
const badId = errorCase(
  errors.validation([{ field: 'delivery_id', error: 'must be an id this API gave out' }]),
  'An id is not one this API gives out.',
);

function view({ delivery: d, attempts }: DeliveryWithAttempts) {
  return {
    id: d.id,
    webhook_id: d.webhook_id,
    event_id: d.event_id,
    event_type: d.event_type,
    status: d.status,
    attempt_count: d.attempts,
    next_attempt_at: d.status === 'pending' ? iso(d.next_attempt_at) : null,
    last_attempt_at: iso(d.last_attempt_at),
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    payload: JSON.parse(d.payload) as object,
    attempts: attempts.map((a) => ({
      attempted_at: new Date(a.attempted_at).toISOString(),
      duration_ms: a.duration_ms,
      status_code: a.status_code,
      error: a.error,
      response_body: a.response_body,
    })),
    created_at: new Date(d.created_at).toISOString(),
  };
}

/** An endpoint's delivery log, replays, and test sends. */
export function webhookDeliveryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: IdParams; Querystring: DeliveriesQuery }>(
    '/v1/webhooks/:id/deliveries',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: "List a webhook endpoint's deliveries",
        description:
          'The delivery log, newest first: each event posted (or to be posted) to the endpoint, with its payload ' +
          'and every attempt (time, duration, status code, the first 1 KiB of the answer). `status` narrows it to ' +
          'pending, succeeded or failed; zero-based `page`, `limit` 1–100 (default 20).',
        params: webhookParams,
        querystring: deliveriesQuery,
        response: withErrors(
          { 200: deliveryList },
          noWebhook,
          badPaging(100, 'A page or limit is out of range, or the status is not one.'),
        ),
      },
    },
    async (request) => {
      const { status, page, limit } = request.query;
      const rows = await webhookDeliveries(ctx.store, requireAuth(request).accountId, request.params.id, {
        status,
        limit,
        offset: page * limit,
      });
      return rows.map(view);
    },
  );

  app.get<{ Params: DeliveryParams }>(
    '/v1/webhooks/:id/deliveries/:delivery_id',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'Get a webhook delivery',
        description: 'One delivery of the endpoint, with its payload and every attempt.',
        params: deliveryParams,
        response: withErrors({ 200: deliveryAnswer }, noDelivery, badId),
      },
    },
    async (request) => {
      const { id, delivery_id } = request.params;
      return view(await webhookDelivery(ctx.store, requireAuth(request).accountId, id, delivery_id));
    },
  );

  app.post<{ Params: DeliveryParams }>(
    '/v1/webhooks/:id/deliveries/:delivery_id/replay',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'Replay a webhook delivery',
        description:
          'Makes the delivery due now, whatever its state, with the same webhook-id (receivers that de-duplicate ' +
          'on it will see a repeat). Answers 202 with the delivery as it now stands; the attempt follows.',
        params: deliveryParams,
        response: withErrors({ 202: replayedDelivery }, noDelivery, badId),
      },
    },
    async (request, reply) => {
      const { id, delivery_id } = request.params;
      const d = await replayWebhookDelivery(ctx.store, requireAuth(request).accountId, id, delivery_id);
      return reply.status(202).send(view(d));
    },
  );

  app.post<{ Params: IdParams; Body: TestBody | undefined }>(
    '/v1/webhooks/:id/test',
    {
      schema: {
        tags,
        summary: 'Send a test event to a webhook endpoint',
        description:
          'Signs and posts a made-up event of the given type (email.delivered by default) now, waits for the ' +
          'answer (at most the webhook timeout), records it as a delivery that is not retried, and answers with ' +
          'it: see `status`, `last_status_code` and `attempts` for what your endpoint said.',
        params: webhookParams,
        body: testRequest,
        response: withErrors(
          { 200: testedDelivery },
          noWebhook,
          errorCase(
            errors.validation([
              { field: 'event', error: `must be one of ${ALL_WEBHOOK_EVENTS.map((e) => `"${e}"`).join(', ')}` },
            ]),
            'The event is not a webhook event name.',
          ),
        ),
      },
    },
    async (request) => {
      const type = request.body?.event ?? 'email.delivered';
      const auth = requireAuth(request);
      return view(await testWebhook(ctx, ctx.webhookSender, auth.accountId, request.params.id, type));
    },
  );
}
