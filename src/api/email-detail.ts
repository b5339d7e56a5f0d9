import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { errors } from '../core/errors.js';
import { capturedMessage, emailDetail as detailOf, emailEvents } from '../services/emails.js';
import { retryEmail } from '../services/retry-email.js';
import { trackingLinks } from '../services/tracking-links.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { emailDetail, eventView, recipientLinksView } from './email-views.js';
import { querySchemaValidation, UUID } from './query-schema.js';
import { CAPTURED_MESSAGE_HEADERS } from './security-headers.js';
import {
  acceptedBody,
  emailDetail as emailDetailSchema,
  eventBody,
  idParams,
  withErrors,
  type IdParams,
} from './schemas.js';
import { trackingLinksBody } from './tracking-links-schemas.js';

const tags = ['Emails'];

const EVENTS_PAGE_MAX = 1000;
const eventsQuery = {
  type: 'object',
  properties: {
    cursor: { type: 'string', format: 'uuid', description: 'The x-next-cursor header of the previous page.' },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: EVENTS_PAGE_MAX,
      default: EVENTS_PAGE_MAX,
      description: `Events per page, 1–${EVENTS_PAGE_MAX}.`,
    },
  },
} as const;
const rawQuery = {
  type: 'object',
  properties: {
    recipient: {
      type: 'string',
      description:
        "A recipient's address: their own copy (each has its own return path and tracking links). Default: the first recipient's.",
    },
  },
} as const;

/** `/v1/emails/{id}`: detail, events timeline, tracking links, retry, and the sandbox's raw message. */
export function emailRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: IdParams }>(
    '/v1/emails/:id',
    {
      schema: {
        tags,
        summary: 'Get an email with its recipients and events',
        params: idParams,
        response: withErrors({ 200: emailDetailSchema }, 404),
      },
    },
    async (request) => {
      const auth = requireAuth(request);
      if (!UUID.test(request.params.id)) throw errors.notFound('Email');
      const d = await detailOf(ctx.store, auth.accountId, request.params.id);
      return emailDetail(d.email, d.recipients, d.attachments, d.events);
    },
  );

  app.get<{ Params: IdParams; Querystring: FromSchema<typeof eventsQuery> }>(
    '/v1/emails/:id/events',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'The event timeline (next page cursor in x-next-cursor)',
        params: idParams,
        querystring: eventsQuery,
        response: withErrors({ 200: { type: 'array', items: eventBody } }, 404, 422),
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      if (!UUID.test(request.params.id)) throw errors.notFound('Email');
      const { cursor, limit } = request.query;
      const events = await emailEvents(ctx.store, auth.accountId, request.params.id, { after: cursor, limit });
      // The body stays a plain array; the cursor for the next page travels in a header.
      const last = events.at(-1);
      if (events.length === limit && last) void reply.header('x-next-cursor', last.id);
      return events.map(eventView);
    },
  );

  app.get<{ Params: IdParams; Querystring: FromSchema<typeof rawQuery> }>(
    '/v1/emails/:id/raw',
    {
      ...querySchemaValidation,
      helmet: CAPTURED_MESSAGE_HEADERS,
      schema: {
        tags,
        summary: 'Sandbox: the captured message as message/rfc822',
        params: idParams,
        querystring: rawQuery,
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      if (!UUID.test(request.params.id)) throw errors.notFound('Email');
      const raw = await capturedMessage(ctx.store, auth.accountId, request.params.id, request.query.recipient);
      return reply.type('message/rfc822').send(raw);
    },
  );

  app.get<{ Params: IdParams }>(
    '/v1/emails/:id/links',
    {
      schema: {
        tags,
        summary: "Each recipient's open pixel and tracked links",
        description: [
          "The tracking URLs in each recipient's copy, one entry per recipient (but those refused or cancelled before",
          'sending, who get no copy), made by the same code that renders the copies: `pixel_url` when open tracking is',
          'on and the email has HTML, and every tracked link with its destination (`url`) and the URL the copy has for',
          'it (`tracked_url`). Unlike the raw message, these are plain URLs to paste into a browser: a `tracked_url`',
          'answers 302 to `url` and records a click, the `pixel_url` answers a 1×1 GIF and records an open.',
          'Opens and clicks within `TAIFA_PREFETCH_SECONDS` (10 s by default) of the copy being sent are recorded as',
          'a machine\'s prefetch (`metadata.reason: "prefetch"`) and do not count: wait a little before trying them.',
          "The URLs follow the email's tracking options and its domain's settings as they are now (tracking host, open",
          'and click tracking); a copy sent before those settings changed has the URLs of its time. Works in sandbox',
          'and normal mode, before and after the email is sent.',
        ].join(' '),
        params: idParams,
        response: withErrors({ 200: trackingLinksBody }, 404),
      },
    },
    async (request) => {
      const auth = requireAuth(request);
      if (!UUID.test(request.params.id)) throw errors.notFound('Email');
      const deps = { store: ctx.store, tokens: ctx.trackingTokens, publicUrl: ctx.config.publicUrl };
      return (await trackingLinks(deps, auth.accountId, request.params.id)).map(recipientLinksView);
    },
  );

  app.post<{ Params: IdParams }>(
    '/v1/emails/:id/retry',
    {
      schema: {
        tags,
        summary: 'Retry a bounced, rejected or failed email',
        params: idParams,
        response: withErrors({ 202: acceptedBody }, 404, 409, 429),
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      if (!UUID.test(request.params.id)) throw errors.notFound('Email');
      const answer = await retryEmail(
        { store: ctx.store, committer: ctx.acceptCommitter, senderCache: ctx.senderCache },
        { accountId: auth.accountId, userId: auth.userId, plan: auth.plan, limits: auth.limits },
        request.params.id,
      );
      ctx.onQueued();
      return reply.status(answer.status).send(answer.body);
    },
  );
}
