import type { FastifyInstance } from 'fastify';
import { errors, type FieldError } from '../core/errors.js';
import { parseSearchQuery } from '../core/search-query.js';
import { listEmails, listUpdates } from '../store/emails-repo.js';
import { searchEmails } from '../store/search-repo.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { emailSummary } from './email-views.js';
import { emailSummary as summarySchema, withErrors } from './schemas.js';

const tags = ['Emails'];
const UPDATES_LIMIT = 50;
const STATUSES = new Set(['scheduled', 'queued', 'deferred', 'sent', 'delivered', 'bounced', 'rejected', 'failed', 'cancelled']);
const pageQuery = {
  status: { type: 'string', description: 'One status, or several separated by commas.' },
  page: { type: 'string', pattern: '^\\d+$', description: 'Zero-based page (default 0).' },
  limit: { type: 'string', description: 'Results per page, 1–100 (default 20).' },
} as const;

interface PageQuery { status?: string; page?: string; limit?: string }

/** Checks `status`, `page` and `limit` (1–100, default 20); 422 naming the field otherwise. */
function paging(q: PageQuery): { statuses: string[]; limit: number; offset: number } {
  const errs: FieldError[] = [];
  const limit = q.limit === undefined ? 20 : Number(q.limit);
  if (!/^\d+$/.test(q.limit ?? '20') || !Number.isInteger(limit) || limit < 1 || limit > 100) errs.push({ field: 'limit', error: 'must be an integer from 1 to 100' });
  const page = q.page === undefined ? 0 : Number(q.page);
  if (!Number.isInteger(page) || page < 0 || page > 100_000) errs.push({ field: 'page', error: 'must be a zero-based integer' });
  const statuses = q.status ? q.status.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : [];
  const unknown = statuses.filter((s) => !STATUSES.has(s));
  if (unknown.length) errs.push({ field: 'status', error: `unknown status ${unknown.join(', ')} (one of ${[...STATUSES].join(', ')})` });
  if (errs.length) throw errors.validation(errs);
  return { statuses, limit, offset: page * limit };
}

/** GET /v1/emails/ (list), /v1/emails/updates (polling) and /v1/emails/search. */
export function listEmailRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: PageQuery }>('/v1/emails', {
    schema: { tags, summary: 'List emails, newest first', querystring: { type: 'object', properties: pageQuery }, response: withErrors({ 200: { type: 'array', items: summarySchema } }, 422) },
  }, async (request) => {
    const auth = requireAuth(request);
    return (await listEmails(ctx.store.db, auth.accountId, paging(request.query))).map(emailSummary);
  });

  app.get<{ Querystring: { since?: string; after_id?: string } }>('/v1/emails/updates', {
    schema: {
      tags, summary: 'Up to 50 emails created or updated after `since`, oldest change first',
      querystring: {
        type: 'object', required: ['since'],
        properties: {
          since: { type: 'string', description: 'ISO 8601; pass the last updated_at you saw.' },
          after_id: { type: 'string', description: 'Optional: the last id you saw, for changes in the same millisecond (lossless polling).' },
        },
      },
      response: withErrors({ 200: { type: 'array', items: { ...summarySchema, properties: { ...summarySchema.properties, updated_at: { type: 'string' } } } } }, 422),
    },
  }, async (request) => {
    const auth = requireAuth(request);
    const since = Date.parse(request.query.since ?? '');
    if (Number.isNaN(since) || !/^\d{4}-\d{2}-\d{2}T/.test(request.query.since ?? '')) throw errors.validation([{ field: 'since', error: 'must be an ISO 8601 date-time' }]);
    const rows = await listUpdates(ctx.store.db, auth.accountId, { since, afterId: request.query.after_id, limit: UPDATES_LIMIT });
    return rows.map((e) => ({ ...emailSummary(e), updated_at: new Date(e.updated_at).toISOString() }));
  });

  app.get<{ Querystring: PageQuery & { q?: string; tag?: string } }>('/v1/emails/search', {
    schema: {
      tags, summary: 'Search by recipient, sender, subject, status or tag (inline tokens to:, from:, status:, domain:, tag:)',
      querystring: { type: 'object', properties: { q: { type: 'string' }, tag: { type: 'string' }, ...pageQuery } },
      response: withErrors({ 200: { type: 'array', items: summarySchema } }, 422),
    },
  }, async (request) => {
    const auth = requireAuth(request);
    const q = parseSearchQuery(request.query.q ?? '');
    const page = paging({ ...request.query, status: [request.query.status, ...q.status].filter(Boolean).join(',') || undefined });
    const rows = await searchEmails(ctx.store.db, auth.accountId, q, { statuses: page.statuses, tag: request.query.tag, limit: page.limit, offset: page.offset });
    return rows.map((e) => {
      const s = emailSummary(e);
      return { id: s.id, from_address: s.from_address, to_addresses: s.to_addresses, subject: s.subject, status: s.status, tags: s.tags, source: s.source, created_at: s.created_at, delivered_at: s.delivered_at };
    });
  });
}
