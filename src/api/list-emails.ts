import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { errors } from '../core/errors.js';
import { emailList as listEmails, emailUpdates, searchEmailLog } from '../services/emails.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { emailSummary } from './email-views.js';
import { pageProperties, statusProperty } from './paging.js';
import { querySchemaValidation, queryTime } from './query-schema.js';
import { emailList, emailUpdates as updatesAnswer, searchResults } from './email-schemas.js';
import { errorCase, withErrors } from './schemas.js';

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
      examples: ['2026-04-06T10:00:00.000Z'],
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
    q: {
      type: 'string',
      default: '',
      description:
        'Tokens to:, from:, status:, domain:, tag: (an address or a domain for to: and from:), "quoted phrases" ' +
        "and free words (addresses, the sender's name, the subject); every one must match.",
      examples: ['to:jane@example.org welcome'],
    },
    tag: { type: 'string', description: 'Only emails carrying this tag.' },
    status: statusProperty,
    ...pageProperties(),
  },
} as const;

const badStatus = errorCase(
  errors.validation([
    {
      field: 'status',
      error:
        'unknown status delivred (one of scheduled, queued, deferred, sent, delivered, bounced, rejected, failed, cancelled)',
    },
  ]),
  'A parameter is invalid: an unknown status, a page or limit out of range.',
);

/** GET /v1/emails/ (list), /v1/emails/updates (polling) and /v1/emails/search. */
export function listEmailRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: FromSchema<typeof listQuery> }>(
    '/v1/emails/',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'List emails',
        description:
          "The account's emails, newest first, one page at a time: zero-based `page`, `limit` 1–100 (default 20), " +
          '`status` one or several (comma-separated). An unknown status, or a page or limit out of range, is a 422 ' +
          'naming it. To follow changes, poll GET /v1/emails/updates rather than paging.',
        querystring: listQuery,
        response: withErrors({ 200: emailList }, badStatus),
      },
    },
    async (request) => {
      const { status, page, limit } = request.query;
      const rows = await listEmails(ctx.store, requireAuth(request).accountId, { status, limit, offset: page * limit });
      return rows.map(emailSummary);
    },
  );

  app.get<{ Querystring: FromSchema<typeof updatesQuery> }>(
    '/v1/emails/updates',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'Follow changes to emails',
        description: `Up to 50 emails created or changed after \`since\`, oldest change first, each with its \`updated_at\`. Poll with the last \`updated_at\` you saw as \`since\` and you miss nothing: changes show here once they are ${ctx.config.updatesSettleMs} ms old (TAIFA_UPDATES_SETTLE_MS), when no write still in flight can land behind them, and a page never ends inside a millisecond (it holds every email of that millisecond instead, so it can exceed 50). Adding \`after_id\` (the last id you saw) pages within a millisecond at exactly 50. A \`since\` that is not a real date-time with a time zone is a 422 naming it.`,
        querystring: updatesQuery,
        response: withErrors(
          { 200: updatesAnswer },
          errorCase(
            errors.validation([
              {
                field: 'since',
                error: 'must be a real ISO 8601 date-time with a time zone, such as 2026-04-06T10:00:00Z',
              },
            ]),
            'since is missing or not a date-time with a time zone.',
          ),
        ),
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
        summary: 'Search emails',
        description:
          'Finds emails by recipient, sender, subject, status, sending domain or tag, newest first. `q` takes ' +
          '`to:`, `from:`, `status:`, `domain:` and `tag:` tokens, "quoted phrases" and free words (the last one ' +
          'also as the start of a word, while it is not a whole one); `status` and `tag` narrow it further. Pages ' +
          'as the list does: `page`, `limit` 1–100 (default 20).',
        querystring: searchQuery,
        response: withErrors({ 200: searchResults }, badStatus),
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
