import type { FastifyInstance } from 'fastify';
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
import { idParams, withErrors, type IdParams } from './schemas.js';
import {
  deliveriesQuery,
  deliveryBody,
  deliveryParams,
  testBody,
  type DeliveriesQuery,
  type DeliveryParams,
  type TestBody,
} from './webhook-delivery-schemas.js';

const tags = ['Webhooks'];

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
        summary: "An endpoint's deliveries, newest first, each with every attempt",
        params: idParams,
        querystring: deliveriesQuery,
        response: withErrors({ 200: { type: 'array', items: deliveryBody } }, 404, 422),
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
        summary: 'One delivery with every attempt',
        params: deliveryParams,
        response: withErrors({ 200: deliveryBody }, 404, 422),
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
        summary: 'Send a delivery again',
        description:
          'Makes the delivery due now, whatever its state, with the same webhook-id (receivers that de-duplicate on it will see a repeat). Answers 202 with the delivery as it now stands.',
        params: deliveryParams,
        response: withErrors({ 202: deliveryBody }, 404, 422),
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
        summary: 'Post a sample event now and see the answer',
        description:
          'Signs and posts a made-up event of the given type (email.delivered by default), waits for the answer (at most the webhook timeout), records it as a delivery that is not retried, and answers with it.',
        params: idParams,
        body: testBody,
        response: withErrors({ 200: deliveryBody }, 404, 422),
      },
    },
    async (request) => {
      const type = request.body?.event ?? 'email.delivered';
      const auth = requireAuth(request);
      return view(await testWebhook(ctx, ctx.webhookSender, auth.accountId, request.params.id, type));
    },
  );
}
