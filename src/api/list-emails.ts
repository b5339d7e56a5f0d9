import type { FastifyInstance } from 'fastify';
import { errors } from '../core/errors.js';
import { parseSearchQuery } from '../core/search-query.js';
import { listEmails, listUpdates } from '../store/emails-repo.js';
import { searchEmails } from '../store/search-repo.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { emailSummary } from './email-views.js';
import { pageQuery, paging, type PageQuery } from './paging.js';
import { emailSummary as summarySchema, withErrors } from './schemas.js';

const tags = ['Emails'];
const UPDATES_LIMIT = 50;
/** ISO 8601 with a time zone: a bare local time would be read in the server's zone. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
// Query strings arrive as text and paging() checks them, so the schemas document without validating.
const documentOnly = { validatorCompiler: () => () => true };

/** `since` as epoch milliseconds; 422 naming it unless ISO 8601 with a time zone (Z or ±hh:mm). */
function parseSince(since: unknown): number {
  const ms = typeof since === 'string' && ISO_WITH_ZONE.test(since) ? Date.parse(since) : NaN;
  if (Number.isNaN(ms)) throw errors.validation([{ field: 'since', error: 'is required: an ISO 8601 date-time with a time zone, such as 2026-04-06T10:00:00Z' }]);
  return ms;
}

/** GET /v1/emails/ (list), /v1/emails/updates (polling) and /v1/emails/search. */
export function listEmailRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: PageQuery }>('/v1/emails/', {
    ...documentOnly,
    schema: { tags, summary: 'List emails, newest first', querystring: { type: 'object', properties: pageQuery }, response: withErrors({ 200: { type: 'array', items: summarySchema } }, 422) },
  }, async (request) => {
    const auth = requireAuth(request);
    return (await listEmails(ctx.store.db, auth.accountId, paging(request.query))).map(emailSummary);
  });

  app.get<{ Querystring: { since?: string; after_id?: string } }>('/v1/emails/updates', {
    ...documentOnly,
    schema: {
      tags,
      summary: 'Up to 50 emails created or updated after `since`, oldest change first',
      description: `Poll with the last \`updated_at\` you saw as \`since\` and you miss nothing: changes show here once they are ${ctx.config.updatesSettleMs} ms old (TAIFA_UPDATES_SETTLE_MS), when no write still in flight can land behind them, and a page never ends inside a millisecond (it holds every email of that millisecond instead, so it can exceed 50). Adding \`after_id\` (the last id you saw) pages within a millisecond at exactly 50.`,
      querystring: {
        type: 'object', required: ['since'],
        properties: {
          since: { type: 'string', format: 'date-time', description: 'ISO 8601 with a time zone (Z or ±hh:mm); the last updated_at you saw.' },
          after_id: { type: 'string', description: 'Optional: the last id you saw, to page at exactly 50 within one millisecond.' },
        },
      },
      response: withErrors({ 200: { type: 'array', items: { ...summarySchema, properties: { ...summarySchema.properties, updated_at: { type: 'string', format: 'date-time' } } } } }, 422),
    },
  }, async (request) => {
    const auth = requireAuth(request);
    const since = parseSince(request.query.since);
    const afterId = typeof request.query.after_id === 'string' && request.query.after_id ? request.query.after_id : undefined;
    const until = Date.now() - ctx.config.updatesSettleMs;
    const rows = await listUpdates(ctx.store.db, auth.accountId, { since, afterId, until, limit: UPDATES_LIMIT });
    return rows.map((e) => ({ ...emailSummary(e), updated_at: new Date(e.updated_at).toISOString() }));
  });

  app.get<{ Querystring: PageQuery & { q?: string; tag?: string } }>('/v1/emails/search', {
    ...documentOnly,
    schema: {
      tags, summary: 'Search by recipient, sender, subject, status or tag (inline tokens to:, from:, status:, domain:, tag:)',
      querystring: { type: 'object', properties: { q: { type: 'string', default: '' }, tag: { type: 'string' }, ...pageQuery } },
      response: withErrors({ 200: { type: 'array', items: summarySchema } }, 422),
    },
  }, async (request) => {
    const auth = requireAuth(request);
    const { q: rawQ, tag } = request.query;
    if ((rawQ !== undefined && typeof rawQ !== 'string') || (tag !== undefined && typeof tag !== 'string')) {
      throw errors.validation([{ field: typeof rawQ === 'string' || rawQ === undefined ? 'tag' : 'q', error: 'must be given once' }]);
    }
    const q = parseSearchQuery(rawQ ?? '');
    const page = paging({ ...request.query, status: [request.query.status, ...q.status].filter(Boolean).join(',') || undefined });
    const rows = await searchEmails(ctx.store.db, auth.accountId, q, { statuses: page.statuses, tag, limit: page.limit, offset: page.offset });
    return rows.map((e) => {
      const s = emailSummary(e);
      return { id: s.id, from_address: s.from_address, to_addresses: s.to_addresses, subject: s.subject, status: s.status, tags: s.tags, source: s.source, created_at: s.created_at, delivered_at: s.delivered_at };
    });
  });
}
