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
import { EXAMPLE_BOUNCED_ID, emailDetailAnswer, emailTimeline, rawMessage } from './email-schemas.js';
import { badPaging, errorCase, idParamsOf, withErrors, type IdParams } from './schemas.js';
import { EXAMPLE_EMAIL_ID, retriedEmail } from './send-schemas.js';
import { trackingLinksBody } from './tracking-links-schemas.js';

const tags = ['Emails'];
const emailParams = idParamsOf('email', EXAMPLE_EMAIL_ID);
const notFound = errorCase(errors.notFound('Email'), 'No such email in the account.');

const EVENTS_PAGE_MAX = 1000;
const eventsQuery = {
  type: 'object',
  properties: {
    cursor: {
      type: 'string',
      format: 'uuid',
      description: 'The x-next-cursor header of the previous page; left out for the first.',
    },
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
      examples: ['jane@example.org'],
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
        summary: 'Get an email',
        description:
          'One email: its status and content, each recipient with their own status, attempts and last SMTP reply, ' +
          'its attachments (names, types and sizes) and its events, oldest first. 404 for an id that is not one ' +
          "of the account's emails.",
        params: emailParams,
        response: withErrors({ 200: emailDetailAnswer }, notFound),
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
        summary: "List an email's events",
        description:
          'The timeline of one email, oldest first: queued, sent, delivered, opens, clicks… A full page (`limit` ' +
          'events, 1–1000, default 1000) comes with an `x-next-cursor` header: pass it back as `cursor` for the ' +
          'next page. Events show here at once (GET /v1/events waits a few seconds).',
        params: emailParams,
        querystring: eventsQuery,
        response: withErrors(
          { 200: emailTimeline },
          notFound,
          badPaging(EVENTS_PAGE_MAX, 'The limit is out of range, or the cursor is not one this API gave out.'),
        ),
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
      config: {
        openapi: {
          response: withErrors(
            { 200: rawMessage },
            errorCase(
              errors.notFound('Captured message (only sandbox mode keeps the raw message, once it has been rendered)'),
              'No such email, not in sandbox mode, or not rendered yet.',
            ),
          ),
        },
      },
      schema: {
        tags,
        summary: 'Read a captured message (sandbox)',
        description:
          'In sandbox mode nothing is sent: each copy is rendered and DKIM-signed as it would have gone out, then ' +
          "kept. This answers it as `message/rfc822`: the first recipient's copy, or with `recipient` that " +
          "recipient's own (each copy has its own tracking links and return path). 404 outside sandbox mode and " +
          'until the copy has been rendered.',
        params: emailParams,
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
        params: emailParams,
        response: withErrors({ 200: trackingLinksBody }, notFound),
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
        summary: 'Retry an email',
        description:
          'Sends a bounced, rejected or failed email again as a new email, with `retry_of_id` pointing at this ' +
          'one, to the recipients that did not get it; the answer is that of a send. 409 `not_retryable` for an ' +
          'email in any other status; the sender and quota are checked as for a send.',
        params: idParamsOf('email', EXAMPLE_BOUNCED_ID),
        response: withErrors(
          { 202: retriedEmail },
          notFound,
          errorCase(errors.notRetryable('delivered'), 'The email is not bounced, rejected or failed.'),
          errorCase(errors.quotaExceeded('daily', 200, 1, 50_400), "Over the plan's recipients per UTC day or month."),
        ),
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
