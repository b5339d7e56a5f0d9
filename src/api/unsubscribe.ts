import type { FastifyInstance, FastifyReply } from 'fastify';
import { resubscribe, unsubscribe, unsubscribeScope, type UnsubscribeDeps } from '../services/unsubscribe.js';
import type { ApiContext } from './context.js';
import { confirmPage, notFoundPage, resubscribedPage, unsubscribedPage } from './unsubscribe-pages.js';

const tags = ['Tracking'];
/** A one-click request or a form's button: a few bytes. */
const FORM_LIMIT_BYTES = 4096;
const EXAMPLE_TOKEN = 'ZAGdYjwdc3oQmy5MUdDo86c.sA6r87IrLT78ZQEB55idoA';
const tokenParams = {
  type: 'object',
  required: ['token'],
  properties: {
    token: {
      type: 'string',
      maxLength: 256,
      description: "The signed token of one recipient's copy, from its unsubscribe link or List-Unsubscribe header.",
      examples: [EXAMPLE_TOKEN],
    },
  },
} as const;

// What the reference shows of the pages: the pages themselves, for a recipient of example.com's newsletter.
const exampleScope = { domain: 'example.com', tag: 'newsletter' };
const page = (description: string, example: string) =>
  ({ description, content: { 'text/html': { schema: { type: 'string' }, example } } }) as const;
const notFound = page('The token is not one this server signed, or its email is gone.', notFoundPage());

/** Whether a POST body is RFC 8058's `List-Unsubscribe=One-Click`, form-urlencoded or as a multipart field. */
function isOneClick(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  if (new URLSearchParams(body).get('List-Unsubscribe') === 'One-Click') return true;
  return /name="?List-Unsubscribe"?\r?\n\r?\nOne-Click\r?\n/.test(body);
}

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  // Never cached: each answer reflects the address's state now.
  return reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
}

/**
 * `/v1/unsubscribe/{token}`, without an API key (the links and the List-Unsubscribe header of each
 * recipient's copy): GET shows a page with a confirm button and changes nothing; POST unsubscribes,
 * whether a mailbox provider's one-click request (RFC 8058, `List-Unsubscribe=One-Click`, answered in
 * text) or the page's button (answered with a page offering to subscribe again). Meant for a scope of
 * its own (see buildApp): it adds the form body parser.
 */
export function unsubscribeRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const deps: UnsubscribeDeps = { store: ctx.store, committer: ctx.committer };
  // RFC 8058 allows form-urlencoded or multipart; any other type is read as text too rather than refused
  // with 415: a provider's one-click request must not fail on how it labels a 26-byte body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES }, (_request, body, done) =>
    done(null, body),
  );
  const schema = (summary: string, description: string) => ({
    tags,
    summary,
    description,
    params: tokenParams,
    security: [],
  });
  const action = `/v1/unsubscribe/${EXAMPLE_TOKEN}`;

  app.get<{ Params: { token: string } }>(
    '/v1/unsubscribe/:token',
    {
      config: {
        openapi: {
          response: {
            200: page('The page, with its confirm button.', confirmPage(action, exampleScope)),
            404: notFound,
          },
        },
      },
      schema: schema(
        'Show the unsubscribe page',
        "Where a recipient's unsubscribe link leads: a page that says what it unsubscribes from (the sending " +
          "domain's mail, or only its mail with the email's tag), with a button to confirm. Opening it changes " +
          'nothing: mail scanners open links. No key; never cached.',
      ),
    },
    async (request, reply) => {
      const target = ctx.unsubscribeTokens.verify(request.params.token);
      const scope = target && (await unsubscribeScope(deps, target));
      if (!scope) return html(reply, 404, notFoundPage());
      return html(reply, 200, confirmPage(`/v1/unsubscribe/${request.params.token}`, scope));
    },
  );

  app.post<{ Params: { token: string } }>(
    '/v1/unsubscribe/:token',
    {
      config: {
        openapi: {
          response: {
            200: {
              description:
                'Unsubscribed: for a one-click request the text "Unsubscribed.", for the button a page offering to ' +
                'subscribe again.',
              content: {
                'text/html': {
                  schema: { type: 'string' },
                  example: unsubscribedPage(`${action}/resubscribe`, exampleScope),
                },
                'text/plain': { schema: { type: 'string' }, example: 'Unsubscribed.\n' },
              },
            },
            404: notFound,
          },
        },
      },
      schema: schema(
        'Unsubscribe',
        "Unsubscribes the recipient of the token's copy: adds the address to the unsubscribe list for the " +
          "email's sending domain (and tag, for a tag's link) and records an `unsubscribe` event. Either a mailbox " +
          "provider's one-click request (RFC 8058: the form body `List-Unsubscribe=One-Click`, answered in plain " +
          "text) or the page's button (answered with a page). Unsubscribing again adds no second entry. No key.",
      ),
    },
    async (request, reply) => {
      const target = ctx.unsubscribeTokens.verify(request.params.token);
      const oneClick = isOneClick(request.body);
      const done = target && (await unsubscribe(deps, target, oneClick ? 'one_click' : 'page'));
      if (!done) return html(reply, 404, notFoundPage());
      if (oneClick)
        return reply.header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('Unsubscribed.\n');
      return html(reply, 200, unsubscribedPage(`/v1/unsubscribe/${request.params.token}/resubscribe`, done));
    },
  );

  app.post<{ Params: { token: string } }>(
    '/v1/unsubscribe/:token/resubscribe',
    {
      config: {
        openapi: {
          response: { 200: page('Subscribed again.', resubscribedPage(exampleScope)), 404: notFound },
        },
      },
      schema: schema(
        'Subscribe again',
        'The page\'s "Subscribe again" button: removes the unsubscribe that this token\'s link made, so that the ' +
          'recipient gets that mail again. No key.',
      ),
    },
    async (request, reply) => {
      const target = ctx.unsubscribeTokens.verify(request.params.token);
      const done = target && (await resubscribe(deps, target));
      if (!done) return html(reply, 404, notFoundPage());
      return html(reply, 200, resubscribedPage(done));
    },
  );
}
