import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { errors } from '../core/errors.js';
import { EVENT_TYPES } from '../core/event-filter.js';
import { iso } from '../ids.js';
import { accountEvents } from '../services/account-events.js';
import type { EventRow } from '../store/schema.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { querySchemaValidation, queryTime } from './query-schema.js';
import { accountEvents as eventsAnswer } from './event-schemas.js';
import { errorCase, withErrors } from './schemas.js';

const EVENTS_PAGE_MAX = 1000;
const EVENTS_PAGE_DEFAULT = 100;
const time = (what: string) =>
  ({ type: 'string', format: 'date-time', description: `${what} (ISO 8601 with a time zone), inclusive.` }) as const;
const eventsQuery = {
  type: 'object',
  properties: {
    type: {
      type: 'string',
      description: `One event type, or several separated by commas: ${EVENT_TYPES.join(', ')}.`,
      examples: ['bounced,complaint'],
    },
    email_id: { type: 'string', format: 'uuid', description: "One email's events." },
    recipient: { type: 'string', minLength: 1, maxLength: 320, description: 'Events of one recipient address.' },
    tag: { type: 'string', minLength: 1, maxLength: 256, description: 'Events of emails carrying this tag.' },
    domain: {
      type: 'string',
      minLength: 1,
      maxLength: 253,
      description: 'Events of emails sent from this domain (of the From address).',
    },
    bot: {
      type: 'boolean',
      description: 'true: only opens and clicks by machines (scanners, proxies); false: every other event.',
    },
    since: time('Events created at or after this time'),
    until: time('Events created at or before this time'),
    order: { type: 'string', enum: ['desc', 'asc'], description: 'desc (newest first, the default) or asc.' },
    cursor: { type: 'string', maxLength: 200, description: 'The x-next-cursor header of the previous page.' },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: EVENTS_PAGE_MAX,
      default: EVENTS_PAGE_DEFAULT,
      description: `Events per page, 1–${EVENTS_PAGE_MAX}.`,
    },
  },
} as const;

/** An event as GET /v1/events shows it: the email it belongs to, and which machine made a hit. */
export function accountEventView(ev: EventRow) {
  return {
    id: ev.id,
    email_id: ev.email_id,
    recipient: ev.recipient,
    event_type: ev.event_type,
    metadata: ev.metadata,
    bot: ev.bot ? ev.bot : null,
    created_at: iso(ev.created_at),
  };
}

/** GET /v1/events: every event of the account, filtered, paged by an opaque cursor. */
export function eventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: FromSchema<typeof eventsQuery> }>(
    '/v1/events',
    {
      ...querySchemaValidation,
      schema: {
        tags: ['Events'],
        summary: "List the account's events",
        description: `Every event of every email of the account, newest first (\`order=asc\`: oldest first), filtered by type, email, recipient, tag, sending domain, bot and time. A page holds \`limit\` events (1–1000, default 100); the next page's cursor comes in the \`x-next-cursor\` header, to pass back as \`cursor\` with the same filters. Events show here once they are ${ctx.config.updatesSettleMs} ms old (TAIFA_UPDATES_SETTLE_MS), when no write still in flight can land behind them, so that a cursor never skips one. With order=asc the x-next-cursor header is always given: poll with it to receive the events recorded since, each once. With order=desc it is given while there may be more. An unknown type, a date without a time zone, a bot other than true or false or a cursor not given out is a 422 naming the parameter.`,
        querystring: eventsQuery,
        response: withErrors(
          { 200: eventsAnswer },
          errorCase(
            errors.validation([
              { field: 'type', error: `unknown event type bounce (one of ${EVENT_TYPES.join(', ')})` },
            ]),
            'A parameter is invalid.',
          ),
        ),
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const q = request.query;
      const page = await accountEvents(
        ctx.store,
        auth.accountId,
        {
          type: q.type,
          emailId: q.email_id,
          recipient: q.recipient,
          tag: q.tag,
          domain: q.domain,
          bot: q.bot,
          since: queryTime(q.since, 'since'),
          until: queryTime(q.until, 'until'),
          order: q.order,
          cursor: q.cursor,
          limit: q.limit,
        },
        { settledBy: Date.now() - ctx.config.updatesSettleMs },
      );
      if (page.nextCursor !== null) void reply.header('x-next-cursor', page.nextCursor);
      return page.events.map(accountEventView);
    },
  );
}
