import type { FastifyInstance } from 'fastify';
import { errors } from '../core/errors.js';
import { iso } from '../core/ids.js';
import { cancelScheduled, listScheduled, promoteScheduled } from '../store/schedule-repo.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { emailSummary } from './email-views.js';
import { idParams, scheduledEmail, statusBody, withErrors } from './schemas.js';

const tags = ['Scheduled emails'];

/** GET /v1/emails/scheduled, DELETE /v1/emails/scheduled/{id}, POST /v1/emails/scheduled/{id}/send-now. */
export function scheduledEmailRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/emails/scheduled', { schema: { tags, summary: 'List scheduled emails', response: withErrors({ 200: { type: 'array', items: scheduledEmail } }) } }, async (request) => {
    const auth = requireAuth(request);
    const now = Date.now();
    return (await listScheduled(ctx.store.db, auth.accountId)).map((e) => {
      const s = emailSummary(e);
      return {
        id: s.id, from_address: s.from_address, to_addresses: s.to_addresses, subject: s.subject, status: s.status, tags: s.tags,
        scheduled_at: iso(e.scheduled_at), seconds_until_send: Math.max(0, Math.round(((e.scheduled_at ?? now) - now) / 1000)), created_at: s.created_at,
      };
    });
  });

  app.delete<{ Params: { id: string } }>('/v1/emails/scheduled/:id', { schema: { tags, summary: 'Cancel a scheduled email', params: idParams, response: withErrors({ 200: statusBody }, 404) } }, async (request) => {
    const auth = requireAuth(request);
    if (!(await cancelScheduled(ctx.store.db, auth.accountId, request.params.id, Date.now()))) throw errors.notFound('Scheduled email');
    return { id: request.params.id, status: 'cancelled' };
  });

  app.post<{ Params: { id: string } }>('/v1/emails/scheduled/:id/send-now', { schema: { tags, summary: 'Send a scheduled email now', params: idParams, response: withErrors({ 200: statusBody }, 404) } }, async (request) => {
    const auth = requireAuth(request);
    const promoted = await promoteScheduled(ctx.store.db, ctx.store.dialect, { now: Date.now(), only: { accountId: auth.accountId, emailId: request.params.id } });
    if (promoted.length === 0) throw errors.notFound('Scheduled email');
    ctx.onQueued();
    return { id: request.params.id, status: 'queued' };
  });
}
