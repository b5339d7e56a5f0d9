import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { errors } from '../core/errors.js';
import { cancelScheduledEmail, scheduledEmails, sendScheduledNow } from '../services/scheduling.js';
import type { Store } from '../store/database.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { scheduledView } from './email-views.js';
import { DEFAULT_LIMIT, MAX_PAGE } from './paging.js';
import { querySchemaValidation } from './query-schema.js';
import { cancelledEmail, EXAMPLE_SCHEDULED_ID, scheduledList, sentNowEmail } from './email-schemas.js';
import { badPaging, errorCase, idParamsOf, withErrors, type IdParams } from './schemas.js';

const tags = ['Emails'];
const scheduledParams = idParamsOf('scheduled email', EXAMPLE_SCHEDULED_ID);
const notScheduled = errorCase(
  errors.notFound('Scheduled email'),
  'No email of the account with this id is still scheduled (it may have been sent or cancelled).',
);
/** Rows read per query while streaming the whole list; also the largest `limit` a caller may ask for. */
const CHUNK = 1000;
const scheduledQuery = {
  type: 'object',
  properties: {
    page: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_PAGE,
      description: 'Zero-based page (only when paging; default 0).',
    },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: CHUNK,
      description: `Results per page, 1–${CHUNK} (only when paging; default ${DEFAULT_LIMIT}).`,
    },
  },
} as const;

/**
 * Every scheduled email of an account as one JSON array, read a chunk at a time by key (scheduled_at,
 * id), so the list is complete however long it is, and memory stays at one chunk.
 */
async function* allScheduled(store: Store, accountId: string, nowMs: number): AsyncGenerator<string> {
  yield '[';
  let after: { scheduledAt: number; id: string } | undefined;
  let first = true;
  for (;;) {
    const rows = await scheduledEmails(store, accountId, { limit: CHUNK, after });
    for (const e of rows) {
      yield (first ? '' : ',') + JSON.stringify(scheduledView(e, nowMs));
      first = false;
    }
    const last = rows.at(-1);
    if (rows.length < CHUNK || !last) break;
    after = { scheduledAt: last.scheduled_at ?? 0, id: last.id };
  }
  yield ']';
}

/** GET /v1/emails/scheduled, DELETE /v1/emails/scheduled/{id}, POST /v1/emails/scheduled/{id}/send-now. */
export function scheduledEmailRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: FromSchema<typeof scheduledQuery> }>(
    '/v1/emails/scheduled',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'List scheduled emails',
        description: `The emails waiting for their \`send_at\`, soonest first, each with \`seconds_until_send\`. Without \`page\` and \`limit\`: all of them, streamed. With either: one zero-based page of \`limit\` (1–${CHUNK}, default ${DEFAULT_LIMIT}).`,
        querystring: scheduledQuery,
        response: withErrors({ 200: scheduledList }, badPaging(CHUNK)),
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const now = Date.now();
      const { page, limit } = request.query;
      if (page !== undefined || limit !== undefined) {
        const size = limit ?? DEFAULT_LIMIT;
        return (await scheduledEmails(ctx.store, auth.accountId, { limit: size, offset: (page ?? 0) * size })).map(
          (e) => scheduledView(e, now),
        );
      }
      return reply
        .type('application/json; charset=utf-8')
        .send(Readable.from(allScheduled(ctx.store, auth.accountId, now)));
    },
  );

  app.delete<{ Params: IdParams }>(
    '/v1/emails/scheduled/:id',
    {
      schema: {
        tags,
        summary: 'Cancel a scheduled email',
        description:
          'Cancels an email that is still scheduled, with a `cancelled` event: it will not be sent, and its ' +
          'recipients go back to the quota of the day and month they were taken from. 404 when no email of the ' +
          'account with this id is still scheduled.',
        params: scheduledParams,
        response: withErrors({ 200: cancelledEmail }, notScheduled),
      },
    },
    async (request) => {
      await cancelScheduledEmail(ctx.store, requireAuth(request).accountId, request.params.id);
      return { id: request.params.id, status: 'cancelled' };
    },
  );

  app.post<{ Params: IdParams }>(
    '/v1/emails/scheduled/:id/send-now',
    {
      schema: {
        tags,
        summary: 'Send a scheduled email now',
        description:
          'Queues an email that is still scheduled at once, instead of at its `send_at`. 404 when no email of the ' +
          'account with this id is still scheduled.',
        params: scheduledParams,
        response: withErrors({ 200: sentNowEmail }, notScheduled),
      },
    },
    async (request) => {
      await sendScheduledNow(ctx.store, requireAuth(request).accountId, request.params.id);
      ctx.onQueued();
      return { id: request.params.id, status: 'queued' };
    },
  );
}
