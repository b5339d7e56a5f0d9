import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { cancelScheduledEmail, scheduledEmails, sendScheduledNow } from '../services/scheduling.js';
import type { Store } from '../store/database.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { scheduledView } from './email-views.js';
import { DEFAULT_LIMIT, MAX_PAGE } from './paging.js';
import { querySchemaValidation } from './query-schema.js';
import { idParams, scheduledEmail, statusBody, withErrors, type IdParams } from './schemas.js';

const tags = ['Scheduled emails'];
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
        summary: 'List scheduled emails, soonest first',
        description: `Without \`page\` and \`limit\`: all of them, streamed. With either: one zero-based page of \`limit\` (1–${CHUNK}, default ${DEFAULT_LIMIT}).`,
        querystring: scheduledQuery,
        response: withErrors({ 200: { type: 'array', items: scheduledEmail } }, 422),
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
        summary: 'Cancel a scheduled email (its recipients go back to the quota)',
        params: idParams,
        response: withErrors({ 200: statusBody }, 404),
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
        params: idParams,
        response: withErrors({ 200: statusBody }, 404),
      },
    },
    async (request) => {
      await sendScheduledNow(ctx.store, requireAuth(request).accountId, request.params.id);
      ctx.onQueued();
      return { id: request.params.id, status: 'queued' };
    },
  );
}
