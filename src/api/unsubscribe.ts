import type { FastifyInstance, FastifyReply } from 'fastify';
import { resubscribe, unsubscribe, unsubscribeScope, type UnsubscribeDeps } from '../services/unsubscribe.js';
import type { ApiContext } from './context.js';
import { confirmPage, notFoundPage, resubscribedPage, unsubscribedPage } from './unsubscribe-pages.js';

const tags = ['Unsubscribe'];
/** A one-click request or a form's button: a few bytes. */
const FORM_LIMIT_BYTES = 4096;
const tokenParams = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', maxLength: 256 } },
} as const;

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
  const schema = (summary: string) => ({ tags, summary, params: tokenParams, security: [] });

  app.get<{ Params: { token: string } }>(
    '/v1/unsubscribe/:token',
    { schema: schema('The unsubscribe page: a confirm button (a GET changes nothing)') },
    async (request, reply) => {
      const target = ctx.unsubscribeTokens.verify(request.params.token);
      const scope = target && (await unsubscribeScope(deps, target));
      if (!scope) return html(reply, 404, notFoundPage());
      return html(reply, 200, confirmPage(`/v1/unsubscribe/${request.params.token}`, scope));
    },
  );

  app.post<{ Params: { token: string } }>(
    '/v1/unsubscribe/:token',
    { schema: schema('Unsubscribe: one-click (List-Unsubscribe=One-Click) or the page’s button') },
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
    { schema: schema('Subscribe again: takes back the unsubscribe the token made') },
    async (request, reply) => {
      const target = ctx.unsubscribeTokens.verify(request.params.token);
      const done = target && (await resubscribe(deps, target));
      if (!done) return html(reply, 404, notFoundPage());
      return html(reply, 200, resubscribedPage(done));
    },
  );
}
