import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { emailList, emailUpdates, searchEmailLog } from '../services/emails.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { emailSummary } from './email-views.js';
import { pageProperties, statusProperty } from './paging.js';
import { querySchemaValidation, queryTime } from './query-schema.js';
import { emailSummary as summarySchema, emailUpdate, searchResult, withErrors } from './schemas.js';

const tags = ['Emails'];
const UPDATES_LIMIT = 50;

const listQuery = { type: 'object', properties: { status: statusProperty, ...pageProperties() } } as const;
const updatesQuery = {
  type: 'object',
  required: ['since'],
  properties: {
    since: {
      type: 'string',
      format: 'date-time',
      description: 'ISO 8601 with a time zone (Z or ±hh:mm); the last updated_at you saw.',
    },
    after_id: {
      type: 'string',
      description: 'Optional: the last id you saw, to page at exactly 50 within one millisecond.',
    },
  },
} as const;
const searchQuery = {
  type: 'object',
  properties: {
    q: { type: 'string', default: '' },
    tag: { type: 'string' },
    status: statusProperty,
    ...pageProperties(),
  },
} as const;

/** GET /v1/emails/ (list), /v1/emails/updates (polling) and /v1/emails/search. */
export function listEmailRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: FromSchema<typeof listQuery> }>(
    '/v1/emails/',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'List emails, newest first',
        querystring: listQuery,
        response: withErrors({ 200: { type: 'array', items: summarySchema } }, 422),
      },
    },
    async (request) => {
      const { status, page, limit } = request.query;
      const rows = await emailList(ctx.store, requireAuth(request).accountId, { status, limit, offset: page * limit });
      return rows.map(emailSummary);
    },
  );

  app.get<{ Querystring: FromSchema<typeof updatesQuery> }>(
    '/v1/emails/updates',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'Up to 50 emails created or updated after `since`, oldest change first',
        description: `Poll with the last \`updated_at\` you saw as \`since\` and you miss nothing: changes show here once they are ${ctx.config.updatesSettleMs} ms old (TAIFA_UPDATES_SETTLE_MS), when no write still in flight can land behind them, and a page never ends inside a millisecond (it holds every email of that millisecond instead, so it can exceed 50). Adding \`after_id\` (the last id you saw) pages within a millisecond at exactly 50.`,
        querystring: updatesQuery,
        response: withErrors({ 200: { type: 'array', items: emailUpdate } }, 422),
      },
    },
    async (request) => {
      const auth = requireAuth(request);
      const since = queryTime(request.query.since, 'since');
      const afterId = request.query.after_id || undefined;
      const until = Date.now() - ctx.config.updatesSettleMs;
      const rows = await emailUpdates(ctx.store, auth.accountId, { since, afterId, until, limit: UPDATES_LIMIT });
      return rows.map((e) => ({ ...emailSummary(e), updated_at: new Date(e.updated_at).toISOString() }));
    },
  );

  app.get<{ Querystring: FromSchema<typeof searchQuery> }>(
    '/v1/emails/search',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary:
          'Search by recipient, sender, subject, status or tag (inline tokens to:, from:, status:, domain:, tag:)',
        querystring: searchQuery,
        response: withErrors({ 200: { type: 'array', items: searchResult } }, 422),
      },
    },
    async (request) => {
      const auth = requireAuth(request);
      const { q, tag, status, page, limit } = request.query;
      const rows = await searchEmailLog(ctx.store, auth.accountId, { q, tag, status, limit, offset: page * limit });
      return rows.map((e) => {
        const s = emailSummary(e);
        return {
          id: s.id,
          from_address: s.from_address,
          to_addresses: s.to_addresses,
          subject: s.subject,
          status: s.status,
          tags: s.tags,
          source: s.source,
          created_at: s.created_at,
          delivered_at: s.delivered_at,
        };
      });
    },
  );
}
